package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/store"
)

// AmazonDelay is how far behind its own clock Amazon serves data: every
// date of a request must be at least two minutes in the past.
const AmazonDelay = 2 * time.Minute

// ErrInvalid marks errors in the arguments of Start (unknown stream, bad
// span): the command line reports them as usage errors.
var ErrInvalid = errors.New("invalid backfill")

// Options tune Start. Zero values are the defaults.
type Options struct {
	// Window is the length of one window. Defaults to the stream's
	// DefaultWindow; ignored for a stream that is one window.
	Window time.Duration
	// Now is the clock that `to` is checked against (the two-minute rule).
	// Defaults to time.Now.
	Now func() time.Time
	// Via is how the history is fetched: ViaAPI (the stream's list
	// operation, the default) or ViaReports (the stream's reports,
	// jobs.Stream.Reports). (ViaLookback is started by a first poll:
	// jobs.StartLookback.)
	Via string
}

// The ways of fetching history (backfills.via).
const (
	ViaAPI     = jobs.ViaAPI
	ViaReports = "reports"
	// ViaLookback is started by a stream's first poll (jobs.StartLookback),
	// not by `worker backfill`: the rest of its first window, by last
	// update date.
	ViaLookback = jobs.ViaLookback
)

// Window is one span of creation dates, start inclusive, end exclusive.
type Window struct {
	Start, End time.Time
}

// Find returns the backfillable stream named name (or one of its old
// spellings). Errors wrap ErrInvalid.
func Find(streams jobs.Streams, name string) (jobs.Stream, error) {
	s, ok := streams.Backfillable().Lookup(name)
	if !ok {
		return jobs.Stream{}, fmt.Errorf("%w: unknown stream %q (want %s)", ErrInvalid, name, streams.Backfillable().Names())
	}
	return s, nil
}

// Validate checks a backfill's span against the clock now. Errors wrap
// ErrInvalid.
func Validate(from, to, now time.Time) error {
	if from.IsZero() || to.IsZero() {
		return fmt.Errorf("%w: both from and to are required", ErrInvalid)
	}
	if !from.Before(to) {
		return fmt.Errorf("%w: from %s is not before to %s", ErrInvalid, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	if latest := now.Add(-AmazonDelay); to.After(latest) {
		return fmt.Errorf("%w: to %s is in the future: Amazon serves history up to two minutes ago (%s)", ErrInvalid,
			to.UTC().Format(time.RFC3339), latest.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	return nil
}

// Split cuts [from, to) into windows of the stream: size long each (the
// last one shorter), or a single window for a stream that cannot bound its
// end.
func Split(src *jobs.BackfillSource, from, to time.Time, size time.Duration) []Window {
	if src.SingleWindow {
		return []Window{{Start: from, End: to}}
	}
	if size <= 0 {
		size = src.DefaultWindow
	}
	var out []Window
	for start := from; start.Before(to); start = start.Add(size) {
		out = append(out, Window{Start: start, End: minTime(start.Add(size), to)})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Start records a backfill of stream for accountID over [from, to) and
// queues one window job per window, all in tx: the backfill exists with
// all its jobs or not at all. from and to are truncated to whole seconds
// (Amazon's dates have no fractions). It returns the backfill's id.
func Start(ctx context.Context, tx pgx.Tx, client *river.Client[pgx.Tx], accountID string, stream jobs.Stream, from, to time.Time, opts Options) (int64, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	from, to = from.UTC().Truncate(time.Second), to.UTC().Truncate(time.Second)
	if err := Validate(from, to, now()); err != nil {
		return 0, err
	}
	if accountID == "" {
		return 0, fmt.Errorf("%w: no account", ErrInvalid)
	}
	via := opts.Via
	if via == "" {
		via = ViaAPI
	}
	size := opts.Window
	switch via {
	case ViaAPI:
		if stream.Backfill == nil {
			return 0, fmt.Errorf("%w: stream %s has no backfill by its list operation (try --via reports)", ErrInvalid, stream.Name)
		}
		if size <= 0 {
			size = stream.Backfill.DefaultWindow
		}
		if stream.Backfill.SingleWindow {
			size = to.Sub(from)
		}
		if limit := stream.Backfill.MaxWindow; limit > 0 && size > limit {
			return 0, fmt.Errorf("%w: window %s is longer than stream %s's list answers in full (%s)", ErrInvalid, size, stream.Name, jobs.Days(limit))
		}
	case ViaReports:
		if stream.Reports == nil {
			return 0, fmt.Errorf("%w: stream %s has no report to backfill from", ErrInvalid, stream.Name)
		}
		if size <= 0 {
			size = stream.Reports.MaxWindow
		}
		if err := stream.Reports.CheckWindow(size, from, now()); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	default:
		return 0, fmt.Errorf("%w: via %q (want %s or %s)", ErrInvalid, via, ViaAPI, ViaReports)
	}
	size = size.Truncate(time.Second)
	if size <= 0 {
		return 0, fmt.Errorf("%w: window %s is shorter than a second", ErrInvalid, opts.Window)
	}
	// A report backfill's windows are size long, whatever the stream's
	// list can bound.
	src := &jobs.BackfillSource{}
	if via == ViaAPI {
		src = stream.Backfill
	}
	windows := Split(src, from, to, size)
	starts := make([]time.Time, len(windows))
	ends := make([]time.Time, len(windows))
	for i, w := range windows {
		starts[i], ends[i] = w.Start, w.End
	}
	b, err := store.CreateBackfill(ctx, tx, store.NewBackfill{
		AccountID: accountID, Stream: stream.Name, FromTime: from, ToTime: to,
		WindowSeconds: int64(size / time.Second), WindowsTotal: int32(len(windows)), Via: via,
	}, starts, ends)
	if err != nil {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(windows))
	for i, w := range windows {
		var args river.JobArgs = WindowArgs{
			BackfillID: b.ID, AccountID: accountID, Stream: stream.Name, WindowStart: w.Start, WindowEnd: w.End,
		}
		if via == ViaReports {
			args = ReportWindowArgs{BackfillID: b.ID, AccountID: accountID, WindowStart: w.Start, WindowEnd: w.End}
		}
		params[i] = river.InsertManyParams{Args: args}
	}
	if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
		return 0, fmt.Errorf("queue %d backfill windows: %w", len(params), err)
	}
	return b.ID, nil
}

// ErrNotFound and ErrNotRunning are Cancel's refusals.
var (
	ErrNotFound   = store.ErrBackfillNotFound
	ErrNotRunning = store.ErrBackfillStopped
)

// Beginner is a database that can open a transaction (*pgxpool.Pool).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Cancel marks backfill id cancelled and cancels its window jobs that have
// not started, in one transaction, through client (an insert-only client
// will do: any process with the database can cancel). A window job that is
// running stops before its next page (it rereads the state), and its page in
// flight, if any, rolls back. It returns the backfill as cancelled.
func Cancel(ctx context.Context, client *river.Client[pgx.Tx], db Beginner, id int64) (*store.Backfill, error) {
	var out *store.Backfill
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		b, err := store.CancelBackfill(ctx, tx, id)
		if err != nil {
			return err
		}
		// The jobs not yet running are cancelled; a running one stops at
		// its next page.
		params := river.NewJobListParams().Kinds(WindowArgs{}.Kind(), ReportWindowArgs{}.Kind()).
			States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending).
			Where("(args->>'backfill_id')::bigint = @backfill_id", river.NamedArgs{"backfill_id": id}).
			First(10_000)
		for {
			res, err := client.JobListTx(ctx, tx, params)
			if err != nil {
				return fmt.Errorf("list jobs of backfill %d: %w", id, err)
			}
			for _, j := range res.Jobs {
				if _, err := client.JobCancelTx(ctx, tx, j.ID); err != nil {
					return fmt.Errorf("cancel job %d of backfill %d: %w", j.ID, id, err)
				}
			}
			if len(res.Jobs) < 10_000 {
				break
			}
			params = params.After(res.LastCursor)
		}
		out = b
		return nil
	})
	return out, err
}
