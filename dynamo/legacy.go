package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Open-request locks of the old layout.
//
// Until issue 15 the order's open-request lock lived beside the order, at ORDER#<NUMBER> / OPEN, so the
// public functions that take and release it needed write access to the partition of the ledger. The
// lock now has its own partition (LOCK#<NUMBER> / OPEN). A table deployed before may still hold old
// locks of requests that were open during the upgrade. This code neither writes nor deletes them (the
// functions may no longer write under ORDER#): it reads the old lock when a submitter names the order,
// and counts it while its request is still open, so no second request can open beside a request of
// the old layout. Once that request ends (its end releases only a LOCK# lock, and there is none), the
// old lock is ignored, and it can be deleted by hand (docs/deploy.md says how). Nothing writes an old
// lock any more, so once none is left this file can go.

// legacyOpenRequest returns the request holding the order's lock of the old layout, if that request
// is still open; "" otherwise. The old lock can only have been written before the upgrade, so an
// eventually consistent read sees it as a strong one would.
func (s *Store) legacyOpenRequest(ctx context.Context, orderNumber string) (string, error) {
	item, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(orderPK(orderNumber), skOpen)})
	if err != nil {
		return "", fmt.Errorf("get old-layout lock of order %s: %w", orderNumber, err)
	}
	if len(item.Item) == 0 {
		return "", nil
	}
	var lock openLockItem
	if err := unmarshal(item.Item, &lock); err != nil {
		return "", fmt.Errorf("decode old-layout lock of order %s: %w", orderNumber, err)
	}
	if lock.RequestID == "" {
		return "", nil
	}
	req, ok, err := s.getRequestItem(ctx, lock.RequestID)
	switch {
	case err != nil:
		return "", err
	case !ok || req.Status.Terminal():
		return "", nil // its request ended (or is gone): the old lock holds nothing
	}
	return lock.RequestID, nil
}
