package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// A record of an SP-API page that lacks a key the sync needs cannot be
// stored in its table. Failing the page for it would stop the stream at that
// record for good (the next poll brings it back), and dropping it would lose
// what Amazon sent without a trace. So the decoder sets it aside
// (spapi.Quarantined) and QuarantineRecords keeps it in quarantined_records,
// on the transaction that stores the rest of the page.

// quarantineRow is one element of QuarantineRecords' jsonb batch.
type quarantineRow struct {
	Operation string          `json:"operation"`
	EntityID  string          `json:"entity_id"`
	Reason    string          `json:"reason"`
	Raw       json.RawMessage `json:"raw"`
}

// QuarantineRecords stores the quarantined records of one answer of one
// account in one statement on db, the caller's transaction, so they commit
// (or roll back) with the page's other rows. A record already stored for the
// account and operation with the same content (as jsonb: key order and
// spacing do not matter) is not stored twice: its last_seen_at and
// times_seen move, because overlapping poll windows bring the same bad record
// back on every poll.
//
// Service job records (getServiceJobs, getServiceJobByServiceJobId) lose the
// buyer's name and phone and the address's name, street lines and phone,
// like service_jobs.raw, unless StoreServiceJobPII(true) is passed: a
// quarantined job must not keep the PII its stored copy would not. A record
// without raw JSON is stored as JSON null.
func QuarantineRecords(ctx context.Context, db DBTX, accountID string, recs []spapi.Quarantined, opts ...ServiceJobsOption) error {
	if len(recs) == 0 {
		return nil
	}
	var o serviceJobsOptions
	for _, opt := range opts {
		opt(&o)
	}
	rows := make([]quarantineRow, len(recs))
	for i, r := range recs {
		raw := r.Raw
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		if !o.keepPII && isServiceJobOp(r.Op) && isJSONObject(raw) {
			redacted, err := spapi.StripServiceJobPII(raw)
			if err != nil {
				return fmt.Errorf("quarantine %s record of account %s: remove PII: %w", r.Op, accountID, err)
			}
			raw = redacted
		}
		if isOrders2026Op(r.Op) {
			// A 2026 order, item or package: Amazon's PII list is removed
			// as from stored rows (kept PII lives in order_pii only).
			stripped, err := spapi.StripOrder2026PII(raw)
			if err == nil {
				stripped, err = spapi.StripOrderItem2026PII(stripped)
			}
			if err != nil {
				return fmt.Errorf("quarantine %s record of account %s: remove PII: %w", r.Op, accountID, err)
			}
			raw = stripped
		}
		rows[i] = quarantineRow{Operation: r.Op, EntityID: r.EntityID, Reason: r.Reason, Raw: raw}
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode %d quarantined records: %w", len(rows), err)
	}
	if err := dbsqlc.New().QuarantineRecords(ctx, db, dbsqlc.QuarantineRecordsParams{Rows: payload, AccountID: accountID}); err != nil {
		return fmt.Errorf("quarantine %d records of account %s: %w", len(rows), accountID, err)
	}
	return nil
}

// isServiceJobOp reports whether op answers with service jobs, whose raw
// payload is stored without PII unless the account opted in.
func isServiceJobOp(op string) bool {
	return op == spapi.OpGetServiceJobs || op == spapi.OpGetServiceJobByServiceJobID
}

// isJSONObject reports whether b is a JSON object (spapi.StripServiceJobPII
// refuses anything else, and a quarantined record may be anything).
func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// isOrders2026Op reports whether op answers with Orders 2026-01-01 orders.
func isOrders2026Op(op string) bool {
	return op == spapi.OpSearchOrders || op == spapi.OpGetOrder2026
}

// QuarantineCount summarizes the quarantined records of one account and
// operation.
type QuarantineCount struct {
	AccountID string
	Operation string
	// Records counts distinct records (not sightings).
	Records int64
	// LastSeenAt is when an answer last held one of them.
	LastSeenAt time.Time
	// LastReason is the reason of the record seen last.
	LastReason string
}

// QuarantineSummary counts the quarantined records per account and
// operation, ordered by account and operation, for `worker status` and the
// spsync_quarantined_records gauge.
func QuarantineSummary(ctx context.Context, db DBTX) ([]QuarantineCount, error) {
	rows, err := dbsqlc.New().QuarantineSummary(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("summarize quarantined records: %w", err)
	}
	out := make([]QuarantineCount, len(rows))
	for i, r := range rows {
		out[i] = QuarantineCount{AccountID: r.AccountID, Operation: r.Operation, Records: r.Records, LastSeenAt: r.LastSeenAt, LastReason: r.LastReason}
	}
	return out, nil
}

// PruneQuarantine deletes the quarantined records no SP-API answer has held
// for retention (SPSYNC_QUARANTINE_RETENTION) and returns how many. They
// are dated by last_seen_at, not first_seen_at: a bad record Amazon still
// sends would otherwise be deleted and stored again by the next poll,
// looking new. Retention zero or less prunes nothing: unset, quarantined
// records are kept until an operator deletes them.
func PruneQuarantine(ctx context.Context, db DBTX, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	n, err := dbsqlc.New().PruneQuarantine(ctx, db, retention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune quarantined records older than %s: %w", retention, err)
	}
	return n, nil
}
