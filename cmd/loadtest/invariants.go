package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/dynamo"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// checkInvariants reads the stack's table and executions after the run and prints each invariant with
// its figures. It reports whether all hold.
func checkInvariants(ctx context.Context, out io.Writer, targets []*target, jobs []*job, rec *recorder, replayMismatch int64) bool {
	ok := true
	check := func(holds bool, format string, args ...any) {
		mark := "ok  "
		if !holds {
			mark = "FAIL"
			ok = false
		}
		fmt.Fprintf(out, "%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	submitted := map[string]*job{}
	for _, j := range jobs {
		submitted[j.id] = j
	}

	// Requests submitted = stored = executions started.
	stored := map[string]bool{}
	executions := map[string]bool{}
	var readErr error
	for _, tg := range targets {
		if err := countStack(ctx, tg, submitted, stored, executions); err != nil {
			readErr = err
			break
		}
	}
	if readErr != nil {
		check(false, "read the table and the executions: %v", readErr)
		return false
	}
	same := len(stored) == len(submitted) && len(executions) == len(submitted)
	for id := range submitted {
		same = same && stored[id] && executions[id]
	}
	check(same, "requests submitted = stored = executions started: %d = %d = %d (the same IDs)", len(submitted), len(stored), len(executions))
	check(replayMismatch == 0, "every retried POST with the same Idempotency-Key got the first request back (%d did not)", replayMismatch)

	// One terminal outcome each; refunds issued = consents accepted; refunded <= paid.
	var wrongOutcome, wrongAudit []string
	accepted, completed, secondRecorded, twice := 0, 0, 0, 0
	refunds, overRefunded, ledgerOver, ledgerMismatch := 0, 0, 0, 0
	for _, j := range jobs {
		if j.accepted {
			accepted++
		}
		if j.twice {
			twice++
			if j.secondCode == http.StatusSeeOther {
				secondRecorded++
			}
		}
		store := dynamo.New(j.tg.ddb, j.tg.table)
		r, err := store.GetRequest(ctx, j.id)
		if err != nil {
			check(false, "read request %s: %v", j.id, err)
			return false
		}
		if r.Status == refund.StatusCompleted {
			completed++
		} else {
			wrongOutcome = append(wrongOutcome, fmt.Sprintf("%s %s", j.id, r.Status))
		}
		audit, err := store.ListAudit(ctx, j.id)
		if err != nil {
			check(false, "read the audit trail of %s: %v", j.id, err)
			return false
		}
		finals := 0
		for _, e := range audit {
			if e.To.Terminal() {
				finals++
			}
		}
		if finals != 1 {
			wrongAudit = append(wrongAudit, fmt.Sprintf("%s: %d final moves", j.id, finals))
		}
		pay, err := sandbox.New(j.tg.ddb, j.tg.table).Payment(ctx, j.order.Payment.Reference)
		if err != nil {
			check(false, "read payment %s: %v", j.order.Payment.Reference, err)
			return false
		}
		refunds += len(pay.Refunds)
		if pay.Refunded.Amount > pay.Captured.Amount {
			overRefunded++
		}
		o, err := store.GetOrder(ctx, j.order.Number)
		if err != nil {
			check(false, "read order %s: %v", j.order.Number, err)
			return false
		}
		if o.Refunded > o.Paid {
			ledgerOver++
		}
		if o.Refunded != pay.Refunded.Amount {
			ledgerMismatch++
		}
	}
	sort.Strings(wrongOutcome)
	check(len(wrongOutcome) == 0 && len(wrongAudit) == 0, "one terminal outcome each: %d of %d completed, each with one move into a final status%s%s",
		completed, len(jobs), sample(" — not completed: ", wrongOutcome), sample(" — audit: ", wrongAudit))
	check(refunds == accepted && accepted == len(jobs), "refunds issued = consents accepted: %d = %d (of %d requests)", refunds, accepted, len(jobs))
	check(secondRecorded == 0, "a second acceptance is never recorded: %d of %d double posts answered 303", secondRecorded, twice)
	check(overRefunded == 0 && ledgerOver == 0 && ledgerMismatch == 0,
		"refunded <= paid for every payment: %d over at the provider, %d over in the ledger, %d where ledger and provider differ", overRefunded, ledgerOver, ledgerMismatch)
	n5xx, detail := rec.fiveXX()
	check(n5xx == 0, "zero 5xx: %d %v", n5xx, detail)
	return ok
}

// countStack adds one stack's stored requests and started executions of this run to the sets.
func countStack(ctx context.Context, tg *target, submitted map[string]*job, stored, executions map[string]bool) error {
	store := dynamo.New(tg.ddb, tg.table)
	orders := map[string]bool{}
	for _, j := range submitted {
		orders[strings.ToUpper(j.order.Number)] = true
	}
	for _, st := range refund.Statuses() {
		cursor := ""
		for {
			page, next, err := store.ListRequestsByStatus(ctx, st, 100, cursor)
			if err != nil {
				return err
			}
			for _, r := range page {
				if orders[strings.ToUpper(r.OrderNumber)] || submitted[r.ID] != nil {
					stored[r.ID] = true
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	var token *string
	for {
		page, err := tg.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(tg.machine), MaxResults: 1000, NextToken: token})
		if err != nil {
			return err
		}
		for _, x := range page.Executions {
			if name := aws.ToString(x.Name); stored[name] || submitted[name] != nil {
				executions[name] = true
			}
		}
		if token = page.NextToken; token == nil {
			return nil
		}
	}
}

// sample lists up to five items after a prefix, "" for none.
func sample(prefix string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	if len(items) > 5 {
		items = append(items[:5:5], fmt.Sprintf("and %d more", len(items)-5))
	}
	return prefix + strings.Join(items, ", ")
}
