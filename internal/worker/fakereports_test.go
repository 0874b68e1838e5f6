package worker_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
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
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/worker"
	"github.com/spsync/spsync/internal/worker/workertest"
)

// This file defines a stream, "test_gadgets", whose history comes only
// from reports of a report type Amazon does not have, served by the test
// itself (createReport, getReport, getReportDocument and the document):
// no simulator, no package of spsync names it. The worker gets it through
// Options.Streams alone, and the staged report job backfills it from its
// descriptor's ReportSource.

const (
	gadgetStream     = "test_gadgets"
	gadgetReportType = "TEST_GADGETS_BY_CREATION_DATE"
	// gadgetWindow is the longest window one gadget report covers.
	gadgetWindow = 3 * 24 * time.Hour
)

// gadget is one line of a gadget report.
type gadget struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// gadgetReport is a report the fake Reports API was asked for.
type gadgetReport struct {
	ID, Type       string
	Start, End     time.Time
	MarketplaceIDs []string
}

// gadgetReports is the fake Reports API 2021-06-30 (and its LWA token
// endpoint): a report is done as soon as it is asked for, with a document
// of the gadgets created in its span (both ends included, as Amazon's
// dataEndTime is), or CANCELLED when it has none, as Amazon does.
type gadgetReports struct {
	url     string
	gadgets []gadget
	mu      sync.Mutex
	reports []gadgetReport
	strange []string // requests the fake does not serve
}

func (f *gadgetReports) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	const reports, documents = "/reports/2021-06-30/reports", "/reports/2021-06-30/documents/"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/auth/o2/token":
		reply(http.StatusOK, map[string]any{"access_token": "Atza|gadgets", "token_type": "bearer", "expires_in": 3600})
	case r.Method == http.MethodPost && r.URL.Path == reports:
		var spec struct {
			ReportType     string    `json:"reportType"`
			MarketplaceIDs []string  `json:"marketplaceIds"`
			DataStartTime  time.Time `json:"dataStartTime"`
			DataEndTime    time.Time `json:"dataEndTime"`
		}
		if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
			reply(http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"code": "InvalidInput", "message": err.Error()}}})
			return
		}
		id := strconv.Itoa(len(f.reports) + 1)
		f.reports = append(f.reports, gadgetReport{ID: id, Type: spec.ReportType, Start: spec.DataStartTime, End: spec.DataEndTime, MarketplaceIDs: spec.MarketplaceIDs})
		reply(http.StatusAccepted, map[string]string{"reportId": id})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, reports+"/"):
		rep, ok := f.report(strings.TrimPrefix(r.URL.Path, reports+"/"))
		if !ok {
			reply(http.StatusNotFound, map[string]any{"errors": []map[string]string{{"code": "NotFound", "message": "no such report"}}})
			return
		}
		out := map[string]any{"reportId": rep.ID, "reportType": rep.Type, "dataStartTime": rep.Start, "dataEndTime": rep.End,
			"createdTime": rep.Start, "processingStatus": spapi.ReportCancelled}
		if len(f.in(rep)) > 0 {
			out["processingStatus"], out["reportDocumentId"] = spapi.ReportDone, "doc-"+rep.ID
		}
		reply(http.StatusOK, out)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, documents):
		id := strings.TrimPrefix(r.URL.Path, documents)
		reply(http.StatusOK, map[string]string{"reportDocumentId": id, "url": f.url + "/storage/" + id})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/storage/doc-"):
		rep, ok := f.report(strings.TrimPrefix(r.URL.Path, "/storage/doc-"))
		if !ok {
			http.Error(w, "no such document", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "gadget-id\tname\tcreated-at")
		for _, g := range f.in(rep) {
			fmt.Fprintf(w, "%s\t%s\t%s\n", g.ID, g.Name, g.CreatedAt.Format(time.RFC3339))
		}
	default:
		f.strange = append(f.strange, r.Method+" "+r.URL.Path)
		http.NotFound(w, r)
	}
}

// report finds report id; f.mu is held.
func (f *gadgetReports) report(id string) (gadgetReport, bool) {
	for _, rep := range f.reports {
		if rep.ID == id {
			return rep, true
		}
	}
	return gadgetReport{}, false
}

// in lists the gadgets created in the report's span; f.mu is held.
func (f *gadgetReports) in(rep gadgetReport) []gadget {
	var out []gadget
	for _, g := range f.gadgets {
		if !g.CreatedAt.Before(rep.Start) && !g.CreatedAt.After(rep.End) {
			out = append(out, g)
		}
	}
	return out
}

// asked returns the reports asked for so far.
func (f *gadgetReports) asked() ([]gadgetReport, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gadgetReport(nil), f.reports...), append([]string(nil), f.strange...)
}

// newGadgetStream is the stream's descriptor: no poll, no list backfill,
// only reports.
func newGadgetStream() jobs.Stream {
	return jobs.Stream{
		Name:     gadgetStream,
		Tables:   []string{gadgetStream},
		Register: func(*river.Workers, *jobs.Deps) {},
		Reports: &jobs.ReportSource{
			Type: gadgetReportType, Noun: "gadget report",
			MaxWindow: gadgetWindow, MaxAge: 30 * 24 * time.Hour,
			TooOld: "gadget reports cover the last 30 days",
			Store:  storeGadgetReport,
		},
	}
}

// storeGadgetReport reads a gadget report (a header line, then one
// tab-separated gadget per line) and upserts its gadgets in tx.
func storeGadgetReport(ctx context.Context, _ *jobs.Deps, tx pgx.Tx, acct *jobs.Account, reportID string, body io.Reader) (jobs.ReportStored, error) {
	sc := bufio.NewScanner(body)
	lines, changed := 0, 0
	for sc.Scan() {
		if lines++; lines == 1 {
			continue // the header
		}
		cells := strings.Split(sc.Text(), "\t")
		if len(cells) != 3 {
			return jobs.ReportStored{}, fmt.Errorf("gadget report %s line %d: %d cells", reportID, lines, len(cells))
		}
		tag, err := tx.Exec(ctx, `INSERT INTO test_gadgets (account_id, id, name, created_at, report_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, report_id = excluded.report_id
			WHERE test_gadgets.name IS DISTINCT FROM excluded.name`, acct.ID, cells[0], cells[1], cells[2], reportID)
		if err != nil {
			return jobs.ReportStored{}, fmt.Errorf("upsert gadget %s: %w", cells[0], err)
		}
		changed += int(tag.RowsAffected())
	}
	if err := sc.Err(); err != nil {
		return jobs.ReportStored{}, fmt.Errorf("read gadget report %s: %w", reportID, err)
	}
	return jobs.ReportStored{Rows: int64(changed), Counts: []jobs.RowCount{{Table: gadgetStream, Offered: lines - 1, Changed: changed}},
		Log: []any{"lines", lines - 1}}, nil
}

// TestAReportStreamOfATestIsBackfilled: a stream defined entirely in this
// test, whose history comes from reports only (jobs.Stream.Reports), is
// backfilled via reports by `worker backfill --via reports`'s path
// (backfill.Start, then the worker's report window job) with the worker
// given it through Options.Streams alone: one report of the descriptor's
// type per window of its length, asked for with the window's span, each
// done document stored by the descriptor's Store in the window's
// transaction, an empty window (CANCELLED) done with no rows, and the rows
// counted in /metrics under the descriptor's table.
func TestAReportStreamOfATestIsBackfilled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `CREATE TABLE test_gadgets (
		account_id text NOT NULL, id text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL, report_id text NOT NULL,
		PRIMARY KEY (account_id, id))`)
	require.NoError(t, err)

	now := time.Now().UTC().Truncate(time.Second)
	from, to := now.Add(-9*24*time.Hour), now.Add(-24*time.Hour)
	fake := &gadgetReports{}
	// Seven gadgets in the first two windows (of three days from from); the
	// last window has none.
	for i := range 7 {
		at := from.Add(time.Duration(i)*20*time.Hour + time.Hour)
		fake.gadgets = append(fake.gadgets, gadget{ID: fmt.Sprintf("g-%d", i), Name: fmt.Sprintf("gadget %d", i), CreatedAt: at})
	}
	// One created before the backfill's span: no report asks for it.
	fake.gadgets = append(fake.gadgets, gadget{ID: "too-old", Name: "old", CreatedAt: from.Add(-time.Hour)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.url = srv.URL

	env := map[string]string{"DATABASE_URL": url, "SPSYNC_HTTP_ADDR": "127.0.0.1:0",
		"SPAPI_ENDPOINT": srv.URL, "LWA_ENDPOINT": srv.URL + "/auth/o2/token",
		"LWA_CLIENT_ID": "amzn1.application-oa2-client.gadgets", "LWA_CLIENT_SECRET": "gadgets-secret", "SPAPI_REFRESH_TOKEN": "Atzr|gadgets"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.False(t, cfg.Simulate)
	acctID := cfg.Accounts[0].ID
	registry := jobs.Streams{newGadgetStream()}

	// The descriptor bounds the windows and the history.
	stream, ok := registry.Backfillable().Lookup(gadgetStream)
	require.True(t, ok, "a stream with reports only is backfillable")
	require.NotNil(t, stream.Reports)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	start := func(from, to time.Time, opts backfill.Options) (int64, error) {
		var id int64
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			id, err = backfill.Start(ctx, tx, inserter, acctID, stream, from, to, opts)
			return err
		})
		return id, err
	}
	for _, tt := range []struct {
		name     string
		from     time.Time
		opts     backfill.Options
		contains string
	}{
		{"window longer than a report", from, backfill.Options{Via: backfill.ViaReports, Window: 4 * 24 * time.Hour}, "longer than one gadget report covers (3 days)"},
		{"older than the reports reach", now.Add(-40 * 24 * time.Hour), backfill.Options{Via: backfill.ViaReports}, "gadget reports cover the last 30 days"},
		{"no list to page through", from, backfill.Options{Via: backfill.ViaAPI}, "no backfill by its list operation"},
	} {
		_, err := start(tt.from, to, tt.opts)
		require.ErrorIs(t, err, backfill.ErrInvalid, tt.name)
		require.ErrorContains(t, err, tt.contains, tt.name)
	}

	ready := workertest.Start(t, worker.Options{Config: cfg, Streams: registry})

	id, err := start(from, to, backfill.Options{Via: backfill.ViaReports})
	require.NoError(t, err)
	var b *store.Backfill
	require.Eventually(t, func() bool {
		b, err = store.GetBackfill(ctx, pool, id)
		require.NoError(t, err)
		return b.State != "running"
	}, time.Minute, 100*time.Millisecond, "the gadgets backfill did not finish")
	require.Equal(t, "done", b.State, "last error: %v", b.LastError)
	require.Equal(t, gadgetStream, b.Stream)
	require.Equal(t, backfill.ViaReports, b.Via)
	require.EqualValues(t, 3, b.WindowsTotal, "eight days in the descriptor's three-day windows")
	require.EqualValues(t, 3, b.WindowsDone)
	require.EqualValues(t, 7, b.RowsWritten)

	// One report of the descriptor's type per window, over the window
	// (Amazon's end is inclusive), in the account's marketplaces.
	asked, strange := fake.asked()
	require.Empty(t, strange, "requests the fake Reports API does not serve")
	require.Len(t, asked, 3)
	// The windows run in parallel: their reports, by window.
	slices.SortFunc(asked, func(a, b gadgetReport) int { return a.Start.Compare(b.Start) })
	for i, rep := range asked {
		ws := from.Add(time.Duration(i) * gadgetWindow)
		we := ws.Add(gadgetWindow)
		if we.After(to) {
			we = to
		}
		require.Equal(t, gadgetReportType, rep.Type)
		require.True(t, rep.Start.Equal(ws), "report %d starts %s, want %s", i, rep.Start, ws)
		require.True(t, rep.End.Equal(we.Add(-time.Second)), "report %d ends %s, want %s", i, rep.End, we.Add(-time.Second))
		require.Equal(t, cfg.Accounts[0].MarketplaceIDs, rep.MarketplaceIDs)
	}
	var statuses []string
	rows, err := pool.Query(ctx, `SELECT report_status FROM backfill_windows WHERE backfill_id = $1 ORDER BY window_start`, id)
	require.NoError(t, err)
	statuses, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{spapi.ReportDone, spapi.ReportDone, spapi.ReportCancelled}, statuses)

	// The gadgets, each stored from its window's report (report ids are
	// given in the order the windows asked).
	reportOf := map[time.Time]string{}
	for _, rep := range asked {
		reportOf[rep.Start.UTC()] = rep.ID
	}
	type stored struct{ ID, ReportID string }
	rows, err = pool.Query(ctx, `SELECT id, report_id FROM test_gadgets WHERE account_id = $1 ORDER BY id`, acctID)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	require.NoError(t, err)
	want := make([]stored, 7)
	for i := range want {
		report := reportOf[from]
		if fake.gadgets[i].CreatedAt.Compare(from.Add(gadgetWindow)) >= 0 {
			report = reportOf[from.Add(gadgetWindow)]
		}
		want[i] = stored{ID: fmt.Sprintf("g-%d", i), ReportID: report}
	}
	require.Equal(t, want, got)

	// /metrics: the descriptor's counts, under its table.
	res, err := http.Get("http://" + ready.HTTPAddr + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, res.Body.Close())
	require.NoError(t, err)
	require.Contains(t, string(body), `spsync_rows_upserted_total{outcome="changed",table="test_gadgets"} 7`)
}
