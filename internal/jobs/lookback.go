package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/store"
)

// BackfillWindowArgs fetches one window of one backfill. It is the backfill
// package's job (backfill.WindowArgs); it lives here so that a stream's
// first poll can start its lookback (StartLookback) without importing the
// backfill package, a peer of the streams.
type BackfillWindowArgs struct {
	BackfillID  int64     `json:"backfill_id"`
	AccountID   string    `json:"account_id"`
	Stream      string    `json:"stream"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Via is ViaLookback for a lookback's window (pages by last update
	// date: BackfillSource.Lookback); empty for a backfill by the list's
	// own windows.
	Via string `json:"via,omitempty"`
}

// Kind is the River job kind.
func (BackfillWindowArgs) Kind() string { return "backfill_window" }

// InsertOpts puts windows in the backfill queue at the lowest priority.
func (BackfillWindowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBackfill, Priority: PriorityBackfill}
}

// The backfills.via of the backfills this package names (the backfill
// package has the rest): ViaAPI a list operation's own windows, ViaLookback
// a lookback — the part of an account's first window that its first poll
// left behind it, by last update date.
const (
	ViaAPI      = "api"
	ViaLookback = "lookback"
)

// BackfillLabel names a backfill of stream fetched via for an operator:
// the stream alone for the list's own windows, "orders via reports" or
// "orders via lookback" otherwise (`worker status`, `worker backfill`).
func BackfillLabel(stream, via string) string {
	if via == "" || via == ViaAPI {
		return stream
	}
	return stream + " via " + via
}

// StartLookback records a lookback of stream for accountID over [from, to)
// and queues its one window (paged by token through the stream's
// BackfillSource.Lookback), both in tx, with the River client running the
// current job: the poll's first cursor, which leaves [from, to) to it,
// commits with it or not at all. It returns the backfill's id. The window
// runs on the backfill package's worker and shows in `worker backfill list`
// and `worker status` like any backfill, but in the poll queue at the
// poll's priority: it is the first poll's remainder, one per account, and
// its budget class (ClassLookback) already keeps the tokens polls need. In
// the backfill queue, sized for an operator's few backfills (one slot at a
// thousand sellers), a thousand new accounts' lookbacks waited 20 minutes
// and more behind each other (BENCHMARKS.md "A new account: today first").
func StartLookback(ctx context.Context, tx pgx.Tx, accountID, stream string, from, to time.Time) (int64, error) {
	from, to = from.UTC().Truncate(time.Second), to.UTC().Truncate(time.Second)
	if !from.Before(to) {
		return 0, fmt.Errorf("lookback of %s for account %s: from %s is not before to %s", stream, accountID, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return 0, fmt.Errorf("start lookback outside a job: %w", err)
	}
	b, err := store.CreateBackfill(ctx, tx, store.NewBackfill{
		AccountID: accountID, Stream: stream, FromTime: from, ToTime: to,
		WindowSeconds: int64(to.Sub(from) / time.Second), WindowsTotal: 1, Via: ViaLookback,
	}, []time.Time{from}, []time.Time{to})
	if err != nil {
		return 0, err
	}
	args := BackfillWindowArgs{BackfillID: b.ID, AccountID: accountID, Stream: stream, WindowStart: from, WindowEnd: to, Via: ViaLookback}
	if _, err := client.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: QueuePoll, Priority: PriorityPoll}); err != nil {
		return 0, fmt.Errorf("queue lookback window: %w", err)
	}
	return b.ID, nil
}
