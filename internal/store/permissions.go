package store

import (
	"context"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// An operation Amazon refuses with a 403 that is not about the access token
// (a role the application lacks, an API the seller did not grant) fails the
// same way until a person changes the authorization. permission_denials keeps
// one row per account and operation so `worker status` can say so; the
// operation's next success deletes it.

// RecordPermissionDenied notes a refusal of op for accountID with Amazon's
// error text.
func RecordPermissionDenied(ctx context.Context, db DBTX, accountID, op, errText string) error {
	if err := dbsqlc.New().RecordPermissionDenied(ctx, db, dbsqlc.RecordPermissionDeniedParams{AccountID: accountID, Operation: op, Error: errText}); err != nil {
		return fmt.Errorf("record permission denied for %s of account %s: %w", op, accountID, err)
	}
	return nil
}

// ClearPermissionDenied forgets the refusals of op for accountID.
func ClearPermissionDenied(ctx context.Context, db DBTX, accountID, op string) error {
	if err := dbsqlc.New().ClearPermissionDenied(ctx, db, dbsqlc.ClearPermissionDeniedParams{AccountID: accountID, Operation: op}); err != nil {
		return fmt.Errorf("clear permission denied for %s of account %s: %w", op, accountID, err)
	}
	return nil
}

// PermissionDenial is one refused operation of one account.
type PermissionDenial struct {
	AccountID   string
	Operation   string
	Error       string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	TimesSeen   int64
}

// ListPermissionDenials returns every refused operation, by account and
// operation.
func ListPermissionDenials(ctx context.Context, db DBTX) ([]PermissionDenial, error) {
	rows, err := dbsqlc.New().ListPermissionDenials(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list permission denials: %w", err)
	}
	out := make([]PermissionDenial, len(rows))
	for i, r := range rows {
		out[i] = PermissionDenial{AccountID: r.AccountID, Operation: r.Operation, Error: r.Error,
			FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt, TimesSeen: r.TimesSeen}
	}
	return out, nil
}
