package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Every list page a stream stores — a poll's, a backfill window's, the
// records of a follow-up — goes through the same steps in the page's
// transaction: upsert the records, set aside the ones without their key,
// report what did not decode, count the rows, queue the follow-ups, and, for
// a poll, count what no notification announced. StorePage is those steps,
// once; a stream supplies only its upsert (PageStore.Write). Written out per
// source, the steps drifted: three of four backfill sources never counted
// their rows, so spsync_rows_upserted_total missed backfilled rows.

// PageStore describes one page of records of type R to store (StorePage).
type PageStore[R spapi.Record] struct {
	Account *Account
	// Stream names the stream in the safety-net count.
	Stream string
	// Op is the operation the records came from: decode warnings name it.
	Op string
	// Table is the table the records are rows of, as counted on
	// Deps.OnRows: offered len(Records), changed Written.Changed.
	Table string
	// Records are the page's records to store (a backfill keeps those of
	// its window).
	Records []R
	// Quarantined are the page's records without their key.
	Quarantined []spapi.Quarantined
	// QuarantineOpts are the store options of quarantined records (service
	// jobs' PII).
	QuarantineOpts []store.ServiceJobsOption
	// Write upserts recs in tx and says what it wrote.
	Write func(ctx context.Context, tx pgx.Tx, recs []R) (Written, error)
	// Poll marks a poll's page: its changes feed the safety-net count
	// (SafetyNet). A backfill's or a follow-up's do not: they are not what
	// a notification would have announced.
	Poll bool
}

// Written is what a page's upsert wrote.
type Written struct {
	// Changed is the number of rows of PageStore.Table inserted or
	// changed: the page's rows in its walk.
	Changed int
	// Also counts rows of other tables the upsert wrote (the items inline
	// in a 2026 order), reported to Deps.OnRows after Table's.
	Also []RowCount
	// Followups are the jobs the page queues in its transaction (items,
	// details).
	Followups []river.InsertManyParams
	// Changes are the entities written with their change times, for the
	// safety-net count of a poll.
	Changes []store.EntityChange
}

// RowCount is an upsert's outcome for one table, as Deps.OnRows hears it.
type RowCount struct {
	Table            string
	Offered, Changed int
}

// StorePage stores one page in tx (see PageStore): Write, the quarantined
// records, decode warnings, row counts, follow-ups and, for a poll, the
// safety net. It returns the rows changed, which the walk adds up.
func StorePage[R spapi.Record](ctx context.Context, deps *Deps, tx pgx.Tx, p PageStore[R]) (int64, error) {
	if p.Table == "" {
		// Counting rows is the step the copies forgot; a page that names
		// no table would be counted nowhere.
		return 0, fmt.Errorf("store %s page: no table to count rows in", p.Op)
	}
	w, err := p.Write(ctx, tx, p.Records)
	if err != nil {
		return 0, err
	}
	if err := deps.Quarantine(ctx, tx, p.Account, p.Quarantined, p.QuarantineOpts...); err != nil {
		return 0, err
	}
	ReportDecoded(deps, p.Account.ID, p.Op, p.Records...)
	deps.CountRows(p.Table, len(p.Records), w.Changed)
	for _, c := range w.Also {
		deps.CountRows(c.Table, c.Offered, c.Changed)
	}
	if err := InsertFollowups(ctx, tx, w.Followups); err != nil {
		return 0, err
	}
	if p.Poll {
		if err := SafetyNet(ctx, deps, tx, p.Account, p.Stream, w.Changes); err != nil {
			return 0, err
		}
	}
	return int64(w.Changed), nil
}
