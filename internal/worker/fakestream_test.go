package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
	"github.com/spsync/spsync/internal/worker"
	"github.com/spsync/spsync/internal/worker/workertest"
)

// This file defines a whole paged-list stream, "test_widgets", that exists
// only here, and hands it to the worker through Options.Streams, the
// registry, and nowhere else: no package of spsync names it, no migration
// lists it. Its table is made by the test (a real stream's comes in a goose
// migration).

const (
	widgetStream = "test_widgets"
	widgetTable  = "test_widgets"
	// widgetOp is the budget bucket the widget list and get calls take: a
	// fake source has no usage plan of its own, so it borrows one nothing
	// else spends in this test (a real stream adds its operations to
	// spapi.DefaultUsagePlans).
	widgetOp = spapi.OpGetServiceJobByServiceJobID
	// widgetPageSize keeps pages small, so every walk takes several.
	widgetPageSize = 2
)

// widget is the fake source's record.
type widget struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (w widget) RecordID() string                    { return w.ID }
func (widget) DecodeWarnings() []spapi.DecodeWarning { return nil }

// widgetSource is the fake paged-list API: a list by change time (the
// poll's), a list by creation time (the backfill's), and a get (the
// refresh's). Tokens are offsets.
type widgetSource struct {
	mu      sync.Mutex
	widgets []widget
}

func (s *widgetSource) list(byCreation bool, from, to time.Time, token string) ([]widget, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []widget
	for _, w := range s.widgets {
		at := w.UpdatedAt
		if byCreation {
			at = w.CreatedAt
		}
		if !at.Before(from) && at.Before(to) {
			match = append(match, w)
		}
	}
	slices.SortFunc(match, func(a, b widget) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	start := 0
	if token != "" {
		var err error
		if start, err = strconv.Atoi(token); err != nil || start > len(match) {
			return nil, "", fmt.Errorf("bad page token %q", token)
		}
	}
	end := min(start+widgetPageSize, len(match))
	next := ""
	if end < len(match) {
		next = strconv.Itoa(end)
	}
	return match[start:end], next, nil
}

func (s *widgetSource) get(id string) (widget, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.widgets {
		if w.ID == id {
			return w, true
		}
	}
	return widget{}, false
}

func (s *widgetSource) rename(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.widgets {
		if s.widgets[i].ID == id {
			s.widgets[i].Name = name
		}
	}
}

type widgetPollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

func (widgetPollArgs) Kind() string { return "test_widget_poll" }
func (widgetPollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: 1, UniqueOpts: jobs.UniqueWhileActive()}
}

type widgetRefreshArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	WidgetID  string `json:"widget_id" river:"unique"`
}

func (widgetRefreshArgs) Kind() string { return "test_widget_refresh" }
func (widgetRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: 2, UniqueOpts: jobs.UniqueWhileActive()}
}

// widgetLookback is how far back a new poll starts: the widgets older than
// it come only from a backfill.
const widgetLookback = 24 * time.Hour

// widgetCron is the widgets poll's schedule and the variable that sets it:
// config reads it because the descriptor declares it.
var widgetCron = config.ScheduleSpec{Env: "SPSYNC_TEST_WIDGETS_CRON", Default: "@every 1h"}

// newWidgetStream is the stream's descriptor, the one place that knows it.
func newWidgetStream(src *widgetSource) jobs.Stream {
	return jobs.Stream{
		Name:   widgetStream,
		Tables: []string{widgetTable},
		Register: func(w *river.Workers, deps *jobs.Deps) {
			river.AddWorker(w, &widgetPollWorker{deps: deps, src: src})
			river.AddWorker(w, &widgetRefreshWorker{deps: deps, src: src})
		},
		Periodic: []jobs.Periodic{{
			// Run on start, then hourly: the test waits for the first.
			ID: "test_widgets_poll", Poll: true, Cron: widgetCron,
			Args: func(accountID string) river.JobArgs { return widgetPollArgs{AccountID: accountID} },
		}},
		Refresh: []jobs.RefreshKind{{Kind: "test-widget", Args: func(accountID, id string) (river.JobArgs, error) {
			return widgetRefreshArgs{AccountID: accountID, WidgetID: id}, nil
		}}},
		Backfill: &jobs.BackfillSource{
			Op: jobs.OneOp(widgetOp), DefaultWindow: 48 * time.Hour,
			Page: func(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
				page, next, err := src.list(true, from, to, token)
				if err != nil {
					return nil, err
				}
				return &jobs.Page{Next: next, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
					return jobs.StorePage(ctx, deps, tx, widgetPage(acct, page, false))
				}}, nil
			},
		},
	}
}

// widgetPage stores widgets through the one page-store recipe.
func widgetPage(acct *jobs.Account, recs []widget, poll bool) jobs.PageStore[widget] {
	return jobs.PageStore[widget]{
		Account: acct, Stream: widgetStream, Op: widgetOp, Table: widgetTable, Records: recs, Poll: poll,
		Write: func(ctx context.Context, tx pgx.Tx, recs []widget) (jobs.Written, error) {
			changed := 0
			for _, w := range recs {
				tag, err := tx.Exec(ctx, `INSERT INTO test_widgets (account_id, id, name, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
					WHERE (test_widgets.name, test_widgets.updated_at) IS DISTINCT FROM (excluded.name, excluded.updated_at)`,
					acct.ID, w.ID, w.Name, w.CreatedAt, w.UpdatedAt)
				if err != nil {
					return jobs.Written{}, fmt.Errorf("upsert widget %s: %w", w.ID, err)
				}
				changed += int(tag.RowsAffected())
			}
			return jobs.Written{Changed: changed}, nil
		},
	}
}

type widgetPollWorker struct {
	river.WorkerDefaults[widgetPollArgs]
	deps *jobs.Deps
	src  *widgetSource
}

// Work walks the widgets changed since the cursor, page by page (RunWalk),
// and moves the cursor on the last page.
func (w *widgetPollWorker) Work(ctx context.Context, job *river.Job[widgetPollArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	end := w.deps.Clock().UTC().Truncate(time.Second)
	_, err = w.deps.RunWalk(ctx, jobs.Walk{
		Account: acct, Stream: widgetStream, Key: jobs.PollWalkKey(""), Op: widgetOp, Class: jobs.ClassPoll,
		Begin: func(ctx context.Context) (jobs.WalkState, bool, error) {
			cursor, err := jobs.Cursor(ctx, w.deps.Pool, acct.ID, widgetStream, "")
			if err != nil {
				return jobs.WalkState{}, false, err
			}
			from := end.Add(-widgetLookback)
			if cursor != nil {
				from = *cursor
			}
			return jobs.WalkState{From: from, To: end}, end.After(from), nil
		},
		Fetch: func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
			page, next, err := w.src.list(false, st.From, st.To, st.Token)
			if err != nil {
				return nil, err
			}
			return &jobs.Page{Next: next, Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
				return jobs.StorePage(ctx, w.deps, tx, widgetPage(acct, page, true))
			}}, nil
		},
		Commit: func(ctx context.Context, tx pgx.Tx, st jobs.WalkState, _ int64, last bool) error {
			if !last {
				return nil
			}
			return jobs.AdvanceCursor(ctx, tx, acct.ID, widgetStream, "", st.To, st.Rows)
		},
	})
	if err != nil {
		w.deps.RecordFailure(ctx, acct.ID, widgetStream, "", err)
		return w.deps.JobError(fmt.Errorf("widgets poll of account %s: %w", acct.ID, err))
	}
	return nil
}

type widgetRefreshWorker struct {
	river.WorkerDefaults[widgetRefreshArgs]
	deps *jobs.Deps
	src  *widgetSource
}

// Work fetches one widget again and stores it.
func (w *widgetRefreshWorker) Work(ctx context.Context, job *river.Job[widgetRefreshArgs]) error {
	acct, err := w.deps.Account(ctx, job.Args.AccountID)
	if err != nil {
		return err
	}
	if err := w.deps.Take(ctx, acct, widgetOp, jobs.ClassFollowup); err != nil {
		return w.deps.JobError(err)
	}
	got, ok := w.src.get(job.Args.WidgetID)
	if !ok {
		return river.JobCancel(fmt.Errorf("no widget %s", job.Args.WidgetID))
	}
	return pgx.BeginFunc(ctx, w.deps.Pool, func(tx pgx.Tx) error {
		_, err := jobs.StorePage(ctx, w.deps, tx, widgetPage(acct, []widget{got}, false))
		return err
	})
}

// TestAStreamOfATestIsSynced: a stream defined entirely in this test and
// added through the registry alone (worker.Options.Streams) is polled on its
// schedule, backfilled by `worker backfill`'s path (backfill.Start and the
// window worker), refreshed by `worker refresh`'s (the registry's refresh
// kind, inserted as a job), and shows in `worker status` and /metrics,
// beside the registry's own streams — and the database took its name
// without a migration (00025's CHECKs).
func TestAStreamOfATestIsSynced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `CREATE TABLE test_widgets (
		account_id text NOT NULL, id text NOT NULL, name text NOT NULL,
		created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
		PRIMARY KEY (account_id, id))`)
	require.NoError(t, err)

	now := time.Now().UTC().Truncate(time.Second)
	src := &widgetSource{}
	// Five recent widgets (the poll's, within its lookback) and seven old
	// ones, created and last changed 3 to 9 days ago (the backfill's).
	for i := range 5 {
		at := now.Add(-time.Duration(i+1) * time.Hour)
		src.widgets = append(src.widgets, widget{ID: fmt.Sprintf("new-%d", i), Name: "new", CreatedAt: at, UpdatedAt: at})
	}
	for i := range 7 {
		at := now.Add(-time.Duration(3+i) * 24 * time.Hour)
		src.widgets = append(src.widgets, widget{ID: fmt.Sprintf("old-%d", i), Name: "old", CreatedAt: at, UpdatedAt: at})
	}

	env := map[string]string{"DATABASE_URL": url, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		// The registry's streams poll the simulator hourly: they run beside
		// the widgets without crowding two CPUs.
		"SPSYNC_ORDERS_CRON": "@every 1h", "SPSYNC_FULFILLMENT_ORDERS_CRON": "@every 1h", "SPSYNC_SERVICE_JOBS_CRON": "@every 1h"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.True(t, cfg.Simulate)
	registry := append(streams.All(cfg), newWidgetStream(src))
	require.Contains(t, registry.ScheduleSpecs(), widgetCron)

	// Its schedule's variable is checked like any other: a bad one stops
	// the start, naming it.
	bad, err := config.Load(func(k string) string { return map[string]string{"SPSYNC_TEST_WIDGETS_CRON": "every minute"}[k] })
	require.NoError(t, err)
	err = worker.Run(ctx, worker.Options{Config: bad, Streams: registry})
	require.True(t, config.IsConfigError(err), "%v", err)
	require.ErrorContains(t, err, `SPSYNC_TEST_WIDGETS_CRON: "every minute" is not a cron expression`)

	r := workertest.Start(t, worker.Options{Config: cfg, Streams: registry})

	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, pool.QueryRow(ctx, query, args...).Scan(&n))
		return n
	}

	// Polled: the periodic poll (run on start) walks the recent widgets
	// in pages of two and moves the cursor.
	var acctID string
	require.Eventually(t, func() bool {
		err := pool.QueryRow(ctx, `SELECT account_id FROM sync_cursors WHERE stream = $1 ORDER BY account_id LIMIT 1`, widgetStream).Scan(&acctID)
		return err == nil
	}, time.Minute, 100*time.Millisecond, "the widgets poll never moved its cursor")
	require.Equal(t, 5, count(`SELECT count(*) FROM test_widgets WHERE account_id = $1`, acctID), "the poll stores the recent widgets only")

	// Backfilled: `worker backfill test_widgets` starts windows that the
	// registry's window worker walks through the descriptor's Page.
	stream, ok := registry.Backfillable().Lookup(widgetStream)
	require.True(t, ok, "the registry offers the widgets to `worker backfill`")
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	var backfillID int64
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		backfillID, err = backfill.Start(ctx, tx, inserter, acctID, stream, now.Add(-10*24*time.Hour), now.Add(-2*24*time.Hour), backfill.Options{})
		return err
	}))
	var b *store.Backfill
	require.Eventually(t, func() bool {
		b, err = store.GetBackfill(ctx, pool, backfillID)
		require.NoError(t, err)
		return b.State != "running"
	}, time.Minute, 100*time.Millisecond, "the widgets backfill did not finish")
	require.Equal(t, "done", b.State, "last error: %v", b.LastError)
	require.Equal(t, widgetStream, b.Stream)
	require.EqualValues(t, 4, b.WindowsTotal, "eight days in the descriptor's two-day windows")
	require.EqualValues(t, 7, b.RowsWritten)
	require.Equal(t, 12, count(`SELECT count(*) FROM test_widgets WHERE account_id = $1`, acctID))

	// Refreshed: `worker refresh test-widget old-3` finds the kind in the
	// registry and queues its job; the worker fetches the widget again.
	// Its change time did not move, so no poll would pick the new name up.
	src.rename("old-3", "renamed")
	kind, ok := registry.RefreshKind("test-widget")
	require.True(t, ok, "the registry offers the widgets to `worker refresh`")
	require.Contains(t, registry.RefreshKinds(), "test-widget")
	args, err := kind.Args(acctID, "old-3")
	require.NoError(t, err)
	_, err = inserter.Insert(ctx, args, nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM test_widgets WHERE account_id = $1 AND id = 'old-3' AND name = 'renamed'`, acctID) == 1
	}, time.Minute, 100*time.Millisecond, "the refresh did not store the renamed widget")

	// `worker status`: the widgets' cursor, its lag and rows, in JSON and
	// text, beside the other streams' cursors.
	rep, err := status.Collect(ctx, pool)
	require.NoError(t, err)
	idx := slices.IndexFunc(rep.Streams, func(s status.Stream) bool { return s.Stream == widgetStream && s.AccountID == acctID })
	require.GreaterOrEqual(t, idx, 0, "worker status lists the widgets stream: %+v", rep.Streams)
	require.NotNil(t, rep.Streams[idx].LagSeconds)
	require.EqualValues(t, 5, rep.Streams[idx].RowsWritten)
	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Regexp(t, regexp.MustCompile(regexp.QuoteMeta(acctID)+`\s+`+widgetStream+`\s`), text.String())

	// /metrics: the lag gauge from the widgets' cursor, and the rows of
	// every source (poll, backfill, refresh) counted under its table.
	res, err := http.Get("http://" + r.HTTPAddr + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	require.Regexp(t, `spsync_sync_lag_seconds\{account="`+regexp.QuoteMeta(acctID)+`",scope="",stream="test_widgets"\} \d`, string(body))
	// Every row of the table was inserted once (polls of every account,
	// the backfill), and the refresh changed one more time.
	changed := regexp.MustCompile(`spsync_rows_upserted_total\{outcome="changed",table="test_widgets"\} (\d+)`).FindStringSubmatch(string(body))
	require.NotNil(t, changed, "no row counts of the widgets table in /metrics")
	require.Equal(t, strconv.Itoa(count(`SELECT count(*) FROM test_widgets`)+1), changed[1])
}
