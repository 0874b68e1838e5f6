package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// What Amazon sends does not always decode cleanly (see internal/spapi/decode.go). The
// client keeps going — an odd optional field becomes a DecodeWarning, a page's record
// without its key a Quarantined record — and the jobs make both visible: warnings as WARN
// lines and counters, quarantined records in the quarantined_records table, written in the
// page's transaction so they commit with it.

// ReportDecoded logs and counts the decode warnings of records of op that were stored: one
// WARN per record naming the operation, the entity and the fields (never their values,
// which may be PII), and one count per field on OnDecodeWarning.
func ReportDecoded[R spapi.Record](d *Deps, accountID, op string, recs ...R) {
	for _, r := range recs {
		ws := r.DecodeWarnings()
		if len(ws) == 0 {
			continue
		}
		var undecodable, unknown, dropped []string
		for _, w := range ws {
			d.OnDecodeWarning(op, w.Field, w.Problem)
			switch w.Problem {
			case spapi.ProblemUnknownEnum:
				unknown = append(unknown, w.Field)
			case spapi.ProblemDroppedElement:
				dropped = append(dropped, w.Field)
			default:
				undecodable = append(undecodable, w.Field)
			}
		}
		attrs := []any{"account", accountID, "operation", op, "entity", r.RecordID()}
		if len(undecodable) > 0 {
			attrs = append(attrs, "undecodable_fields", undecodable)
		}
		if len(unknown) > 0 {
			attrs = append(attrs, "unknown_enum_fields", unknown)
		}
		if len(dropped) > 0 {
			attrs = append(attrs, "dropped_elements_without", dropped)
		}
		d.Log().Warn("stored a record with fields that did not decode; raw keeps Amazon's values", attrs...)
	}
}

// Quarantine stores, on tx, the records of an answer of op that lack their key, so the
// rest of the page commits and an operator can read them (worker status,
// quarantined_records). Service jobs lose their PII there unless opts keep it, as in
// service_jobs.raw.
func (d *Deps) Quarantine(ctx context.Context, tx pgx.Tx, acct *Account, recs []spapi.Quarantined, opts ...store.ServiceJobsOption) error {
	if len(recs) == 0 {
		return nil
	}
	if err := store.QuarantineRecords(ctx, tx, acct.ID, recs, opts...); err != nil {
		return err
	}
	for _, q := range recs {
		d.Log().Warn("quarantined a record without its key; the rest of the answer is stored",
			slog.String("account", acct.ID), slog.String("operation", q.Op), slog.String("entity", q.EntityID), slog.String("reason", q.Reason))
	}
	return nil
}

// QuarantineIncomplete handles a single-record answer (getOrder, getFulfillmentOrder,
// getPackageTrackingDetails, getServiceJobByServiceJobId) whose record lacks its key: it is
// quarantined in its own transaction and the job is cancelled, since a retry gets the same
// answer. Any other error is returned as is.
func (d *Deps) QuarantineIncomplete(ctx context.Context, acct *Account, err error, opts ...store.ServiceJobsOption) error {
	var inc *spapi.IncompleteRecordError
	if !errors.As(err, &inc) {
		return err
	}
	if qerr := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		return d.Quarantine(ctx, tx, acct, []spapi.Quarantined{inc.Record}, opts...)
	}); qerr != nil {
		return fmt.Errorf("%w (and quarantining it failed: %w)", err, qerr)
	}
	return river.JobCancel(err)
}

// WatchPermissions returns an spapi OnResponse hook that keeps permission_denials
// current for acct: a refusal that a new token does not fix (spapi.ResponseMeta
// PermissionDenied) is recorded, and the next success of that operation clears it. Each
// operation's first success in a process clears too, so a row an earlier process left
// does not outlive the fix. A failed write is logged, never returned: bookkeeping must
// not fail the call.
func (d *Deps) WatchPermissions(acct *Account) func(context.Context, spapi.ResponseMeta) {
	var mu sync.Mutex
	noRow := map[string]bool{} // operation → known to have no row
	return func(ctx context.Context, meta spapi.ResponseMeta) {
		switch {
		case meta.PermissionDenied:
			mu.Lock()
			noRow[meta.Op] = false
			mu.Unlock()
			d.Log().Warn("SP-API refused an operation: the application lacks the role or the seller did not grant the API; the account's other operations go on",
				"account", acct.ID, "operation", meta.Op, "error", meta.Denial)
			if err := store.RecordPermissionDenied(ctx, d.Pool, acct.ID, meta.Op, meta.Denial); err != nil {
				d.Log().Error("record permission denied", "account", acct.ID, "err", err)
			}
		case meta.StatusCode >= 200 && meta.StatusCode <= 299:
			mu.Lock()
			done := noRow[meta.Op]
			noRow[meta.Op] = true
			mu.Unlock()
			if done {
				return
			}
			if err := store.ClearPermissionDenied(ctx, d.Pool, acct.ID, meta.Op); err != nil {
				d.Log().Error("clear permission denied", "account", acct.ID, "err", err)
				mu.Lock()
				noRow[meta.Op] = false
				mu.Unlock()
			}
		}
	}
}
