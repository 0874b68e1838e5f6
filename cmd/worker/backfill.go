package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/store"
	"github.com/spsync/spsync/internal/streams"
)

const backfillUsage = `usage:
  worker backfill orders|fulfillment-orders|service-jobs --from DATE --to DATE [--account A] [--window DURATION] [--wait]
  worker backfill orders --via reports --from DATE --to DATE [--account A] [--window DURATION] [--wait]
  worker backfill list [--json]
  worker backfill cancel ID

DATE is 2006-01-02 (midnight UTC) or RFC 3339 (2006-01-02T15:04:05Z07:00).
History is fetched by creation date in windows (default 24h for orders,
168h for service-jobs); fulfillment-orders is one window listing every order
whose status changed since --from (the API has no end date). The running
workers (worker run) do the work in the backfill queue; --wait shows
progress until the backfill ends.

--via reports fetches orders history as order reports, one per window of
order dates (default and at most 30 days; --from at most two years back):
minutes of API time for a year, where the order APIs take days. Report
lines fill order_report_lines; orders the order APIs synced are not touched.
`

// Tunables of --wait, variables so tests can speed them up.
var (
	backfillPollInterval = time.Second
	backfillNow          = time.Now
)

// runBackfill starts, lists or cancels backfills.
func runBackfill(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, backfillUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return backfillList(ctx, args[1:], getenv, stdout, stderr)
	case "cancel":
		return backfillCancel(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, backfillUsage)
		return 0
	}
	return backfillStart(ctx, args, getenv, stdout, stderr)
}

// backfillRequest is a checked `worker backfill STREAM` command line.
type backfillRequest struct {
	stream   jobs.Stream
	from, to time.Time
	account  string
	window   time.Duration
	wait     bool
	via      string
}

// parseBackfill checks the command line without touching the database:
// every mistake here is a usage error (exit 2).
func parseBackfill(args []string, now time.Time, stderr io.Writer) (*backfillRequest, error) {
	fs := flag.NewFlagSet("worker backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, backfillUsage) }
	from := fs.String("from", "", "start of the history, by creation date (inclusive)")
	to := fs.String("to", "", "end of the history, by creation date (exclusive)")
	account := fs.String("account", "", "account id (required when several are configured)")
	window := fs.Duration("window", 0, "window length (default 24h for orders, 168h for service_jobs)")
	wait := fs.Bool("wait", false, "show progress until the backfill is done")
	via := fs.String("via", backfill.ViaAPI, "api (the stream's list operation) or reports (the stream's reports: "+streams.All(nil).Reportable().Names()+")")
	// The stream may come before or after the flags.
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	backfillable := streams.All(nil).Backfillable()
	switch {
	case len(positional) == 0:
		return nil, errors.New("name the stream: " + backfillable.Names())
	case len(positional) > 1:
		return nil, fmt.Errorf("unexpected argument %q", positional[1])
	}
	stream, ok := backfillable.Lookup(positional[0])
	if !ok {
		return nil, fmt.Errorf("unknown stream %q: want %s", positional[0], backfillable.Names())
	}
	r := &backfillRequest{stream: stream, account: *account, window: *window, wait: *wait, via: *via}
	switch {
	case r.via != backfill.ViaAPI && r.via != backfill.ViaReports:
		return nil, fmt.Errorf("--via %q: want api or reports", r.via)
	case r.via == backfill.ViaReports && stream.Reports == nil:
		return nil, fmt.Errorf("--via reports: stream %s has no report to backfill from (want %s)", stream.Name, backfillable.Reportable().Names())
	case r.via == backfill.ViaReports && *window > stream.Reports.MaxWindow:
		return nil, fmt.Errorf("--window %s: one %s covers at most %s (%s)", *window, stream.Reports.Noun, jobs.Days(stream.Reports.MaxWindow), fmt.Sprintf("%.0fh", stream.Reports.MaxWindow.Hours()))
	case r.via == backfill.ViaAPI && stream.Backfill == nil:
		return nil, fmt.Errorf("stream %s is backfilled from reports only: add --via reports", stream.Name)
	}
	var err error
	if r.from, err = parseDate("--from", *from); err != nil {
		return nil, err
	}
	if r.to, err = parseDate("--to", *to); err != nil {
		return nil, err
	}
	if *window < 0 || (*window > 0 && *window < time.Second) {
		return nil, fmt.Errorf("--window %s: want a duration of a second or more, such as 24h", *window)
	}
	if err := backfill.Validate(r.from, r.to, now); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), backfill.ErrInvalid.Error()+": "))
	}
	return r, nil
}

func parseDate(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required (2006-01-02 or RFC 3339)", name)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a date: want 2006-01-02 or RFC 3339 such as 2006-01-02T15:04:05Z", name, s)
	}
	return t.UTC(), nil
}

func backfillStart(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	req, err := parseBackfill(args, backfillNow(), stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill:", err)
		return 2
	}
	op, code := openOperatorDB(ctx, "backfill", getenv, stderr)
	if op == nil {
		return code
	}
	defer op.Close()
	accountID, err := op.account(req.account)
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill:", err)
		return 2
	}
	var id int64
	err = pgx.BeginFunc(ctx, op.db.Pool, func(tx pgx.Tx) error {
		id, err = backfill.Start(ctx, tx, op.river, accountID, req.stream, req.from, req.to, backfill.Options{Window: req.window, Now: backfillNow, Via: req.via})
		return err
	})
	if errors.Is(err, backfill.ErrInvalid) {
		fmt.Fprintln(stderr, "worker backfill:", err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill:", err)
		return 1
	}
	b, err := store.GetBackfill(ctx, op.db.Pool, id)
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backfill %d started: %s of account %s created %s..%s, %d windows (worker backfill cancel %d stops it)\n",
		id, b.Stream, b.AccountID, b.FromTime.UTC().Format(time.RFC3339), b.ToTime.UTC().Format(time.RFC3339), b.WindowsTotal, id)
	if !req.wait {
		return 0
	}
	return waitBackfill(ctx, op, id, stderr)
}

// waitBackfill redraws a progress line on stderr until the backfill ends:
// 0 when it is done, 1 when it was cancelled or failed.
func waitBackfill(ctx context.Context, op *operatorDB, id int64, stderr io.Writer) int {
	ticker := time.NewTicker(backfillPollInterval)
	defer ticker.Stop()
	width := 0
	for {
		p, err := backfill.GetProgress(ctx, op.db.Pool, streams.All(op.cfg), op.cfg.Accounts, id)
		if err != nil {
			fmt.Fprintln(stderr, "\nworker backfill:", err)
			return 1
		}
		line := progressLine(p)
		pad := ""
		if n := width - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		width = len(line)
		fmt.Fprint(stderr, "\r"+line+pad)
		switch p.State {
		case "done":
			fmt.Fprintln(stderr)
			return 0
		case "cancelled", "failed":
			fmt.Fprintln(stderr)
			msg := fmt.Sprintf("worker backfill: backfill %d %s", id, p.State)
			if p.LastError != nil {
				msg += ": " + *p.LastError
			}
			fmt.Fprintln(stderr, msg)
			return 1
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "\nworker backfill: stopped waiting; backfill %d goes on (worker backfill list)\n", id)
			return 1
		case <-ticker.C:
		}
	}
}

// progressLine is the one-line progress bar of --wait.
func progressLine(p *backfill.Progress) string {
	const width = 24
	filled := 0
	if p.WindowsTotal > 0 {
		filled = int(p.WindowsDone) * width / int(p.WindowsTotal)
	}
	eta := "-"
	switch {
	case p.State == "done":
		eta = "0s"
	case p.ETA >= 0:
		eta = p.ETA.String()
	}
	line := fmt.Sprintf("backfill %d %s [%s%s] %d/%d windows  %d rows  ETA %s",
		p.ID, jobs.BackfillLabel(p.Stream, p.Via), strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.WindowsDone, p.WindowsTotal, p.RowsWritten, eta)
	if p.Errors > 0 {
		line += fmt.Sprintf("  %d errors", p.Errors)
	}
	return line
}

func backfillList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker backfill list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	limit := fs.Int("n", 50, "how many backfills to show, newest first")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker backfill list: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	op, code := openOperatorDB(ctx, "backfill list", getenv, stderr)
	if op == nil {
		return code
	}
	defer op.Close()
	list, err := store.ListBackfills(ctx, op.db.Pool, int32(max(*limit, 1)))
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill list:", err)
		return 1
	}
	if *asJSON {
		type row struct {
			ID           int64      `json:"id"`
			AccountID    string     `json:"account_id"`
			Stream       string     `json:"stream"`
			Via          string     `json:"via"`
			From         time.Time  `json:"from"`
			To           time.Time  `json:"to"`
			WindowsDone  int32      `json:"windows_done"`
			WindowsTotal int32      `json:"windows_total"`
			RowsWritten  int64      `json:"rows_written"`
			Errors       int32      `json:"errors"`
			LastError    *string    `json:"last_error"`
			State        string     `json:"state"`
			CreatedAt    time.Time  `json:"created_at"`
			FinishedAt   *time.Time `json:"finished_at"`
		}
		rows := make([]row, 0, len(list))
		for _, b := range list {
			rows = append(rows, row{b.ID, b.AccountID, b.Stream, b.Via, b.FromTime, b.ToTime, b.WindowsDone, b.WindowsTotal,
				b.RowsWritten, b.Errors, b.LastError, b.State, b.CreatedAt, b.FinishedAt})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(stderr, "worker backfill list:", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tSTREAM\tVIA\tFROM\tTO\tWINDOWS\tROWS\tERRORS\tSTATE\tSTARTED\tFINISHED")
	if len(list) == 0 {
		fmt.Fprintln(tw, "(no backfill yet)\t\t\t\t\t\t\t\t\t\t\t")
	}
	for _, b := range list {
		finished := "-"
		if b.FinishedAt != nil {
			finished = b.FinishedAt.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%s\t%s\t%s\n", b.ID, b.AccountID, b.Stream, b.Via,
			b.FromTime.UTC().Format(time.RFC3339), b.ToTime.UTC().Format(time.RFC3339), b.WindowsDone, b.WindowsTotal,
			b.RowsWritten, b.Errors, b.State, b.CreatedAt.UTC().Format("2006-01-02 15:04:05"), finished)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(stderr, "worker backfill list:", err)
		return 1
	}
	return 0
}

func backfillCancel(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: worker backfill cancel ID")
		return 2
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "worker backfill cancel: %q is not a backfill id (see worker backfill list)\n", args[0])
		return 2
	}
	op, code := openOperatorDB(ctx, "backfill cancel", getenv, stderr)
	if op == nil {
		return code
	}
	defer op.Close()
	b, err := backfill.Cancel(ctx, op.river, op.db.Pool, id)
	if err != nil {
		fmt.Fprintln(stderr, "worker backfill cancel:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backfill %d cancelled after %d/%d windows, %d rows\n", b.ID, b.WindowsDone, b.WindowsTotal, b.RowsWritten)
	return 0
}
