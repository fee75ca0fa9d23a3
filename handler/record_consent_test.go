package handler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/agreementpdf"
	"refundflow/handler"
	"refundflow/refund"
	"refundflow/web"
)

func (f *httpFixture) consentHandler() handler.RecordConsent {
	return handler.RecordConsent{AgreementPDF: agreementpdf.ForHandler, Store: f.store, Waits: f.flow, CrossOrigin: f.origins, Clock: f.store.Now}
}

// consentGet is GET /consent/{code}.
func consentGet(t testing.TB, code string) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "get-consent.json")
	setPath(&ev, "/consent/"+code, map[string]string{"code": code})
	return ev
}

// consentPost is the consent form post with the given fields.
func consentPost(t testing.TB, code string, form url.Values) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-consent-accept.json")
	setPath(&ev, "/consent/"+code, map[string]string{"code": code})
	setForm(&ev, form)
	return ev
}

// consentAccept accepts the offer behind a radio button's value ("<id>|<hash>").
func consentAccept(t testing.TB, code, choice, name string) events.APIGatewayV2HTTPRequest {
	return consentPost(t, code, url.Values{
		"decision": {"accept"}, "offer": {choice}, "full_name": {name}, "agree": {"yes"},
	})
}

var offerChoice = regexp.MustCompile(`name="offer" value="([^"]+)"`)

// choices returns the radio button values of a consent page, in page order.
func choices(t testing.TB, page events.APIGatewayV2HTTPResponse) []string {
	t.Helper()
	var out []string
	for _, m := range offerChoice.FindAllStringSubmatch(page.Body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("consent page without offers:\n%s", page.Body)
	}
	return out
}

// openConsent loads the consent page.
func (f *httpFixture) openConsent(code string) events.APIGatewayV2HTTPResponse {
	f.t.Helper()
	page := mustCall(f.t, f.consentHandler(), consentGet(f.t, code))
	wantStatus(f.t, page, http.StatusOK)
	return page
}

func TestConsentPageShowsOffersAgreementAndHash(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	rec := f.request(s.id)
	for i, o := range s.offers {
		text := refund.Agreement(s.order, rec.Request, o)
		hash := refund.AgreementHash(o, text)
		if got, want := choices(t, page)[i], o.ID+"|"+hash; got != want {
			t.Errorf("offer %d choice = %q, want %q", i, got, want)
		}
		if !strings.Contains(page.Body, html.EscapeString(text)) {
			t.Errorf("offer %s: the page does not show the exact agreement text", o.ID)
		}
		if !strings.Contains(page.Body, "<code>"+hash+"</code>") {
			t.Errorf("offer %s: hash not shown", o.ID)
		}
	}
	if !strings.Contains(page.Body, "Hello Ana López") || !strings.Contains(page.Body, "EUR 4,500.00") {
		t.Error("page lacks greeting or amount")
	}
	if strings.Contains(page.Body, s.consentCode) && !strings.Contains(page.Body, `action="/consent/`+s.consentCode+`"`) {
		t.Error("consent code shown outside the form action")
	}
}

func TestConsentGetAndHeadChangeNothingButViewedEntries(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	before := f.request(s.id)
	h := f.consentHandler()
	for range 5 {
		wantStatus(t, mustCall(t, h, consentGet(t, s.consentCode)), http.StatusOK)
	}
	head := loadEvent(t, "head-consent.json")
	setPath(&head, "/consent/"+s.consentCode, map[string]string{"code": s.consentCode})
	resp := mustCall(t, h, head)
	wantStatus(t, resp, http.StatusOK)
	if resp.Body != "" {
		t.Error("HEAD has a body")
	}
	after := f.request(s.id)
	if after.Status != before.Status || after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("request changed: %+v -> %+v", before.Request, after.Request)
	}
	if _, err := f.store.GetConsent(context.Background(), s.id); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("consent exists after GETs: %v", err)
	}
	if got := f.outcome(s.id); got != "" {
		t.Errorf("workflow got %q from a GET", got)
	}
	entries, _ := f.store.ListAudit(context.Background(), s.id)
	viewed := 0
	for _, e := range entries {
		if e.Action == "viewed" {
			viewed++
			if e.To != "" || e.Actor != refund.ActorClient || e.IP == "" {
				t.Errorf("viewed entry %+v", e)
			}
		}
	}
	if viewed != 6 {
		t.Errorf("%d viewed entries, want 6", viewed)
	}
	last := entries[len(entries)-1]
	if last.IP != "192.0.2.44" || !strings.Contains(last.UserAgent, "SafeLinks") || !strings.Contains(last.Detail, "HEAD") {
		t.Errorf("HEAD entry = %+v", last)
	}
}

func TestConsentAcceptRecordsAndCompletesTheWait(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	choice := choices(t, page)[1] // the service credit
	resp := mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choice, "  Ana  López "))
	wantStatus(t, resp, http.StatusSeeOther)
	if got, want := resp.Headers["Location"], "/consent/"+s.consentCode+"?recorded=1"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}

	c, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	offer := s.offers[1]
	text := refund.Agreement(s.order, f.request(s.id).Request, offer)
	if c.Decision != refund.DecisionAccept || c.OfferID != offer.ID || c.OfferHash != refund.AgreementHash(offer, text) ||
		c.AgreementText != text || c.TypedName != "Ana  López" || c.IP != "203.0.113.7" || !strings.HasPrefix(c.UserAgent, "Mozilla/5.0") {
		t.Errorf("consent = %+v", c)
	}
	if got := f.request(s.id).Status; got != refund.StatusExecuting {
		t.Errorf("status = %s", got)
	}
	if got := f.outcome(s.id); got != "accepted" {
		t.Errorf("workflow outcome = %q", got)
	}
	if got := len(f.sfn.sent()); got != 1 {
		t.Errorf("%d SendTaskSuccess calls, want 1", got)
	}

	// Following the redirect confirms the client's own decision (200): what they accepted, that it
	// is being carried out, where the status page's link is, and the signed agreement to download
	// with the consent code. The consent code does not open the status page.
	ev := consentGet(t, s.consentCode)
	setQuery(&ev, url.Values{"recorded": {"1"}})
	done := mustCall(t, f.consentHandler(), ev)
	wantStatus(t, done, http.StatusOK)
	pdfPath := "/consent/" + s.consentCode + "/agreement"
	for _, want := range []string{
		"<h1>Thank you — we recorded your acceptance</h1>",
		"You accepted Service credit (EUR 4,950.00). We are carrying it out now and will email you as soon as it is done.",
		"the link is in the email with your options",
		`<a href="` + pdfPath + `" download>Download your signed agreement (PDF)</a>`,
	} {
		if !strings.Contains(done.Body, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, done.Body)
		}
	}
	for _, unwanted := range []string{"already", "Send a new request", s.statusCode, "/requests/"} {
		if strings.Contains(done.Body, unwanted) {
			t.Errorf("confirmation contains %q", unwanted)
		}
	}
	wantStatus(t, mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.consentCode, false)), http.StatusNotFound)

	// The signed agreement, by the consent link and from the status page (which links it): the PDF
	// made again from the stored consent, byte for byte; a wrong code is 404.
	stored, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := agreementpdf.ForHandler(context.Background(), web.CurrentCompany(), stored, s.order.Number, f.request(s.id).PolicyVersion)
	if err != nil {
		t.Fatal(err)
	}
	status := mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.statusCode, false))
	statusPDF := "/requests/" + s.id + "/agreement?t=" + s.statusCode
	if !strings.Contains(status.Body, `href="`+statusPDF+`"`) {
		t.Errorf("status page lacks the agreement link %s", statusPDF)
	}
	byConsent := consentGet(t, s.consentCode)
	setPath(&byConsent, pdfPath, map[string]string{"code": s.consentCode})
	byConsent.RouteKey = "GET /consent/{code}/agreement"
	for _, tc := range []struct {
		name   string
		h      lambdaHandler
		ev     events.APIGatewayV2HTTPRequest
		status int
	}{
		{"consent code", f.consentHandler(), byConsent, http.StatusOK},
		{"status code", f.statusHandler(), agreementEvent(t, s.id, s.statusCode), http.StatusOK},
		{"wrong status code", f.statusHandler(), agreementEvent(t, s.id, "wrong-code"), http.StatusNotFound},
		{"consent code on the status route", f.statusHandler(), agreementEvent(t, s.id, s.consentCode), http.StatusNotFound},
	} {
		resp := mustCall(t, tc.h, tc.ev)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		if tc.status != http.StatusOK {
			continue
		}
		got, _ := base64.StdEncoding.DecodeString(resp.Body)
		if resp.Headers["Content-Type"] != "application/pdf" || !bytes.Equal(got, want) {
			t.Errorf("%s: not the PDF of the stored consent (%s, %d vs %d bytes)", tc.name, resp.Headers["Content-Type"], len(got), len(want))
		}
	}

	// The SHA-256 of the PDF made at consent is in the consent's audit entry and the verify record;
	// the PDF made again from the stored record has it.
	wantHash := agreementpdf.Hash(want)
	if stored.PDFHash != wantHash || stored.OrderNumber != s.order.Number {
		t.Errorf("consent's PDF fingerprint = %q for %q, want %q for %q", stored.PDFHash, stored.OrderNumber, wantHash, s.order.Number)
	}
	entries, err := f.store.ListAudit(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range entries {
		if e.Action == "consent_accepted" {
			details = append(details, e.Detail)
		}
	}
	if got, want := strings.Join(details, "|"), handler.AgreementAuditPrefix+wantHash; got != want {
		t.Errorf("consent_accepted audit details = %q, want %q", got, want)
	}
	signed, err := f.store.GetSignedAgreement(context.Background(), wantHash)
	if err != nil {
		t.Fatal(err)
	}
	if signed.RequestID != s.id || signed.OrderNumber != s.order.Number || !signed.SignedAt.Equal(stored.At) {
		t.Errorf("signed agreement = %+v", signed)
	}

	// A second post, and a later visit of the link, say "already recorded" (410).
	again := mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choice, "Ana López"))
	wantStatus(t, again, http.StatusGone)
	if !strings.Contains(again.Body, "Your answer is already recorded") || !strings.Contains(again.Body, "You accepted Service credit (EUR 4,950.00) on 3 March 2025 at 14:05 UTC.") {
		t.Errorf("double submit does not say already recorded:\n%s", again.Body)
	}
	later := mustCall(t, f.consentHandler(), consentGet(t, s.consentCode))
	wantStatus(t, later, http.StatusGone)
	if !strings.Contains(later.Body, "Your answer is already recorded") {
		t.Error("a later visit does not say already recorded")
	}
	if got := len(f.sfn.sent()); got != 1 {
		t.Errorf("%d SendTaskSuccess calls after a double submit, want 1", got)
	}
}

func TestConsentDecline(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	f.openConsent(s.consentCode)
	resp := mustCall(t, f.consentHandler(), consentPost(t, s.consentCode, url.Values{
		"decision": {"decline"}, "decline_reason": {"Found another provider.\r\nThanks."},
	}))
	wantStatus(t, resp, http.StatusSeeOther)
	c, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil || c.Decision != refund.DecisionDecline || c.DeclineReason != "Found another provider.\nThanks." {
		t.Fatalf("consent = %+v, %v", c, err)
	}
	if got := f.request(s.id).Status; got != refund.StatusDeclined {
		t.Errorf("status = %s", got)
	}
	if got := f.outcome(s.id); got != "declined" {
		t.Errorf("outcome = %q", got)
	}
	ev := consentGet(t, s.consentCode)
	setQuery(&ev, url.Values{"recorded": {"1"}})
	done := mustCall(t, f.consentHandler(), ev)
	wantStatus(t, done, http.StatusOK)
	if !strings.Contains(done.Body, "<h1>Thank you — we recorded your answer</h1>") || !strings.Contains(done.Body, "You declined our offers, so nothing is refunded or changed") {
		t.Errorf("decline confirmation:\n%s", done.Body)
	}
}

// The consent page gives the offers' real deadline, the date the offers email gives (the end of
// the consent period), not the link's expiry, which runs a day longer.
func TestConsentPageShowsTheOffersDeadline(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, false)
	rec := f.request(s.id)
	deadline := rec.UpdatedAt.Add(handler.ConsentPeriod)
	code := newCode(t)
	// As RequestConsent mints it: valid until the deadline plus the grace.
	err := f.store.PutLinkCode(context.Background(), refund.LinkCode{Hash: refund.HashCode(code), RequestID: s.id,
		Purpose: refund.LinkConsent, ExpiresAt: deadline.Add(handler.ConsentLinkGrace)})
	if err != nil {
		t.Fatal(err)
	}
	page := f.openConsent(code)
	want := deadline.UTC().Format("2 January 2006 at 15:04 UTC")
	if !strings.Contains(page.Body, `<time datetime="`+deadline.UTC().Format(time.RFC3339)+`">`+want+`</time>`) {
		t.Errorf("the page does not give the deadline %s", want)
	}
	if late := deadline.Add(handler.ConsentLinkGrace).UTC().Format("2 January 2006"); strings.Contains(page.Body, late) {
		t.Errorf("the page gives the link's expiry %s, a day after the offers expire", late)
	}
}

func TestConsentRefusedPosts(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	choice := choices(t, page)[0]
	id, hash, _ := strings.Cut(choice, "|")
	const script = `<script>alert(1)</script>`

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"changed hash", url.Values{"decision": {"accept"}, "offer": {id + "|" + strings.Repeat("0", 64)}, "full_name": {"Ana"}, "agree": {"yes"}},
			http.StatusConflict, "The offer changed since you opened this page"},
		{"offer of another request", url.Values{"decision": {"accept"}, "offer": {"req-x-1-full_refund|" + hash}, "full_name": {"Ana"}, "agree": {"yes"}},
			http.StatusConflict, "The offer changed since you opened this page"},
		{"no name, no agree box", url.Values{"decision": {"accept"}, "offer": {choice}},
			http.StatusBadRequest, "Type your full name: it is your signature."},
		{"no decision", url.Values{"full_name": {"Ana"}},
			http.StatusBadRequest, "Choose whether you accept an option or decline."},
		{"script in the name comes back escaped", url.Values{"decision": {"accept"}, "offer": {choice}, "full_name": {script}},
			http.StatusBadRequest, html.EscapeString(script)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := mustCall(t, f.consentHandler(), consentPost(t, s.consentCode, tc.form))
			wantStatus(t, resp, tc.status)
			if !strings.Contains(resp.Body, tc.want) {
				t.Errorf("page lacks %q", tc.want)
			}
			if strings.Contains(resp.Body, "<script>") {
				t.Error("raw script in the page")
			}
			if len(choices(t, resp)) != len(s.offers) {
				t.Error("the page does not show the offers again")
			}
		})
	}
	t.Run("posted from another website", func(t *testing.T) {
		wantCrossSiteRefused(t, mustCall(t, f.consentHandler(), crossSite(consentAccept(t, s.consentCode, choice, "Ana"))))
		decline := crossSite(consentPost(t, s.consentCode, url.Values{"decision": {"decline"}}))
		decline.Headers["sec-fetch-site"] = "same-site" // a sibling subdomain is another website too
		wantCrossSiteRefused(t, mustCall(t, f.consentHandler(), decline))
	})
	if _, err := f.store.GetConsent(context.Background(), s.id); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Fatalf("a refused post recorded a consent: %v", err)
	}
	if got := f.request(s.id).Status; got != refund.StatusAwaitingConsent {
		t.Errorf("status = %s", got)
	}

	t.Run("wrong content type and oversized body", func(t *testing.T) {
		ev := consentAccept(t, s.consentCode, choice, "Ana")
		ev.Headers["content-type"] = "text/plain"
		wantStatus(t, mustCall(t, f.consentHandler(), ev), http.StatusUnsupportedMediaType)
		ev = consentPost(t, s.consentCode, url.Values{"decline_reason": {strings.Repeat("x", 300<<10)}})
		wantStatus(t, mustCall(t, f.consentHandler(), ev), http.StatusRequestEntityTooLarge)
	})
}

func TestConsentLinkStates(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.consentHandler()
	ctx := context.Background()

	unknown := mustCall(t, h, consentGet(t, newCode(t)))
	wantStatus(t, unknown, http.StatusNotFound)
	if !strings.Contains(unknown.Body, "We do not recognise this link") {
		t.Error("unknown link page")
	}

	// A status code is not a consent code.
	s := f.seed(refund.StatusAwaitingConsent, false)
	wantStatus(t, mustCall(t, h, consentGet(t, s.statusCode)), http.StatusNotFound)

	// Expired link.
	exp := f.seed(refund.StatusAwaitingConsent, false)
	expCode := newCode(t)
	if err := f.store.PutLinkCode(ctx, refund.LinkCode{Hash: refund.HashCode(expCode), RequestID: exp.id, Purpose: refund.LinkConsent, ExpiresAt: httpT0.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	resp := mustCall(t, h, consentGet(t, expCode))
	wantStatus(t, resp, http.StatusGone)
	if !strings.Contains(resp.Body, "This link has expired") {
		t.Error("expired link page")
	}
	post := mustCall(t, h, consentPost(t, expCode, url.Values{"decision": {"decline"}}))
	wantStatus(t, post, http.StatusGone)

	// Withdrawn request.
	w := f.seed(refund.StatusAwaitingConsent, false)
	rec := f.request(w.id)
	if err := f.store.Transition(ctx, w.id, rec.Status, refund.StatusWithdrawn, rec.Version, refund.AuditEntry{Actor: refund.ActorClient}); err != nil {
		t.Fatal(err)
	}
	resp = mustCall(t, h, consentGet(t, w.consentCode))
	wantStatus(t, resp, http.StatusGone)
	if !strings.Contains(resp.Body, "This request was withdrawn") {
		t.Error("withdrawn link page")
	}

	// Expired request (the workflow's expire phase ran).
	e := f.seed(refund.StatusAwaitingConsent, false)
	rec = f.request(e.id)
	if err := f.store.Transition(ctx, e.id, rec.Status, refund.StatusExpired, rec.Version, refund.AuditEntry{Actor: refund.SystemActor("RequestConsent")}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, mustCall(t, h, consentGet(t, e.consentCode)), http.StatusGone)

	// Needs attention: the link has nothing to do now.
	n := f.seed(refund.StatusAwaitingConsent, false)
	rec = f.request(n.id)
	if err := f.store.Transition(ctx, n.id, rec.Status, refund.StatusNeedsAttention, rec.Version, refund.AuditEntry{Actor: refund.SystemActor("MarkNeedsAttention")}); err != nil {
		t.Fatal(err)
	}
	resp = mustCall(t, h, consentGet(t, n.consentCode))
	wantStatus(t, resp, http.StatusGone)
	if !strings.Contains(resp.Body, "This link is no longer in use") {
		t.Error("closed link page")
	}
}

func TestConsentOfferChangedByStaffNeedsAFreshLook(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	old := choices(t, page)[0]

	// A new offer set replaces the one the client is looking at.
	adjusted := s.offers[0]
	adjusted.ID = s.id + "-s2-1-partial_refund"
	adjusted.Amount.Amount -= 10_000
	adjusted.Breakdown = append(adjusted.Breakdown, refund.Line{Label: "Adjusted by our team", Amount: refund.Money{Amount: -10_000, Currency: "EUR"}})
	if err := f.store.Decide(context.Background(), s.id, refund.StatusAwaitingConsent, f.request(s.id).Version,
		refund.AuditEntry{Actor: refund.StaffActor(staffSub), Action: "offers_adjusted"}, refund.WithOffers(2, []refund.Offer{adjusted})); err != nil {
		t.Fatal(err)
	}
	resp := mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, old, "Ana López"))
	wantStatus(t, resp, http.StatusConflict)
	fresh := choices(t, resp)
	if len(fresh) != 1 || !strings.HasPrefix(fresh[0], adjusted.ID+"|") {
		t.Fatalf("page shows %v, want the new offer", fresh)
	}
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, fresh[0], "Ana López")), http.StatusSeeOther)
	if c, _ := f.store.GetConsent(context.Background(), s.id); c.OfferID != adjusted.ID {
		t.Errorf("accepted %q", c.OfferID)
	}
}

func TestConsentRecordedEvenWhenTheWorkflowCannotBeTold(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	f.sfn.failSends = 1
	resp := mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choices(t, page)[0], "Ana López"))
	wantStatus(t, resp, http.StatusSeeOther)
	if _, err := f.store.GetConsent(context.Background(), s.id); err != nil {
		t.Fatalf("consent not recorded: %v", err)
	}
	if got := f.request(s.id).Status; got != refund.StatusExecuting {
		t.Errorf("status = %s", got)
	}
	// The wait is still parked; the workflow's next consent phase finds the recorded decision.
	if got := f.outcome(s.id); got != "" {
		t.Errorf("outcome = %q, want still waiting", got)
	}
}

func TestConsentFiftyParallelPosts(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	choice := choices(t, page)[0]
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev events.APIGatewayV2HTTPRequest
			if i%2 == 0 {
				ev = consentAccept(t, s.consentCode, choice, "Ana López")
			} else {
				ev = consentPost(t, s.consentCode, url.Values{"decision": {"decline"}})
			}
			resp, err := call(f.consentHandler(), ev)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusGone] != n-1 {
		t.Errorf("answers = %v, want one 303 and %d 410 (already recorded)", count, n-1)
	}
	if got := len(f.sfn.sent()); got != 1 {
		t.Errorf("%d SendTaskSuccess calls, want exactly 1", got)
	}
	c, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[refund.Decision]string{refund.DecisionAccept: "accepted", refund.DecisionDecline: "declined"}[c.Decision]
	if got := f.outcome(s.id); got != want {
		t.Errorf("outcome %q for decision %s", got, c.Decision)
	}
	decisions := 0
	for _, a := range f.auditActions(s.id) {
		if strings.HasPrefix(a, "consent_") {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("%d decision audit entries, want 1", decisions)
	}
}

// BenchmarkConsentPage measures GET /consent/{code} end to end through the Lambda handler: link
// lookup, request, offers and order from the local DynamoDB, agreement texts and hashes, the viewed audit entry
// and the page render.
func BenchmarkConsentPage(b *testing.B) {
	f := newHTTPFixture(b)
	s := f.seed(refund.StatusAwaitingConsent, false)
	h := f.consentHandler()
	ev := consentGet(b, s.consentCode)
	b.ResetTimer()
	for b.Loop() {
		resp, err := call(h, ev)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %d", err, resp.StatusCode)
		}
	}
}

// agreementEvent is GET /requests/{id}/agreement?t=code.
func agreementEvent(t testing.TB, id, code string) events.APIGatewayV2HTTPRequest {
	ev := statusEvent(t, id, code, false)
	setPath(&ev, "/requests/"+id+"/agreement", map[string]string{"id": id})
	ev.RouteKey = "GET /requests/{id}/agreement"
	return ev
}
