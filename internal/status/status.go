// Package status gathers what an operator asks first: is each stream
// current, what failed last, how much rate budget is left, and how much
// work is queued. Everything is read from the shared database, so the
// report is true for all worker processes, not one.
package status

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/riverext"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Report is one status snapshot. JSON names are stable: scripts read them.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Streams     []Stream  `json:"streams"`
	Budgets     []Budget  `json:"budgets"`
	Queues      []Queue   `json:"queues"`
	// Backfills are the backfills still running, oldest first.
	Backfills []Backfill `json:"backfills"`
	// Quarantine counts the records Amazon sent that could not be stored
	// (a required key missing), per account and operation; empty when
	// there are none.
	Quarantine []Quarantine `json:"quarantine"`
	// PermissionDenied lists the operations Amazon refuses an account with a 403 that a
	// new token does not fix (a missing role or API grant), until they answer again.
	PermissionDenied []PermissionDenied `json:"permission_denied"`
	// Push is the health of push notifications per account and stream:
	// empty until a notification was received or a safety-net poll ran
	// with push on.
	Push []Push `json:"push"`
	// PeriodicInsertFailures are failures of River's periodic job enqueuer
	// in the last day: polls and purges due then were not inserted.
	PeriodicInsertFailures []PeriodicInsertFailure `json:"periodic_insert_failures"`
	// Polls are the budget-aware polls' schedules (jobs.NextPoll) per
	// account and stream, as each poll last decided them.
	Polls []Poll `json:"polls"`
	// Accounts counts stored accounts by state and lists those not
	// active; NeedsReauth are the accounts whose seller must authorize
	// again; ClientSecrets each application's secrets and rotation
	// (accounts.go).
	Accounts      Accounts        `json:"accounts"`
	NeedsReauth   []Reauth        `json:"needs_reauth"`
	ClientSecrets []ClientSecrets `json:"client_secrets"`
	// Summary is what the per-account rows above add up to, and the worst
	// of them (scale.go): what the text report shows at scale.
	Summary *Summary `json:"summary"`
}

// Poll is one account's poll schedule: the change rate it observed, what
// its cadence spends of the list bucket and what it leaves, and, when the
// rate is above what polling alone can carry, the remedy.
type Poll struct {
	AccountID string `json:"account_id"`
	Stream    string `json:"stream"`
	Operation string `json:"operation"`
	// Mode is fresh, backfill, safety-net or over-ceiling.
	Mode string `json:"mode"`
	// ChangeRate is the observed changes an hour.
	ChangeRate float64 `json:"change_rate_per_hour"`
	// CallsPerHour is what the poll spends; BudgetPerHour the bucket's
	// refill; Headroom what is left for backfills.
	CallsPerHour  float64 `json:"calls_per_hour"`
	BudgetPerHour float64 `json:"budget_per_hour"`
	Headroom      float64 `json:"headroom_per_hour"`
	// Ceiling is the change rate polling alone carries (a full page every
	// refill).
	Ceiling         float64   `json:"ceiling_per_hour"`
	IntervalSeconds float64   `json:"interval_seconds"`
	LagTarget       float64   `json:"lag_target_seconds"`
	LagSlope        float64   `json:"lag_slope"`
	NextPollAt      time.Time `json:"next_poll_at"`
	// Advice is set when the change rate is above the ceiling: polling
	// falls behind whatever its cadence, and push is the remedy.
	Advice string `json:"advice,omitempty"`
}

// pushAdvice is Poll.Advice: push carries each change by getOrder (its own
// bucket), which the poll's list bucket cannot.
func pushAdvice(p Poll) string {
	getOrder := 3600 * spapi.DefaultUsagePlans[spapi.OpGetOrder2026].Rate
	return fmt.Sprintf("%.0f changes an hour is above what polling alone carries (%.0f an hour: a full page of 100 every refill); the lag grows %.0f minutes an hour. "+
		"Turn on push notifications (SPSYNC_SQS_QUEUE_URL): each change is then fetched by getOrder, whose own budget carries about %.0f an hour, and the poll becomes a safety net",
		p.ChangeRate, p.Ceiling, p.LagSlope*60, getOrder)
}

// Push is one account's and stream's push path: the last notification,
// how many arrived, and how many changes the safety-net poll found that no
// notification had announced (lost, late or unsubscribed notifications).
type Push struct {
	AccountID            string     `json:"account_id"`
	Stream               string     `json:"stream"`
	LastNotificationAt   *time.Time `json:"last_notification_at"`
	Notifications        int64      `json:"notifications"`
	SafetyNetUnannounced int64      `json:"safety_net_unannounced"`
}

// PeriodicInsertFailure is one kind of failure of River's periodic job
// enqueuer, counted across worker processes.
type PeriodicInsertFailure struct {
	Failure     string    `json:"failure"`
	Error       string    `json:"error"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	Times       int64     `json:"times"`
}

// PermissionDenied is one operation refused to one account.
type PermissionDenied struct {
	AccountID   string    `json:"account_id"`
	Operation   string    `json:"operation"`
	Error       string    `json:"error"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	Times       int64     `json:"times"`
}

// Quarantine is the quarantined records of one account and operation; the
// records themselves are in the quarantined_records table.
type Quarantine struct {
	AccountID  string    `json:"account_id"`
	Operation  string    `json:"operation"`
	Records    int64     `json:"records"`
	LastSeenAt time.Time `json:"last_seen_at"`
	LastReason string    `json:"last_reason"`
}

// QuarantineQuery is what WriteText tells operators to run to read the
// quarantined records.
const QuarantineQuery = `SELECT account_id, operation, entity_id, reason, raw, first_seen_at, last_seen_at, times_seen FROM quarantined_records ORDER BY last_seen_at DESC`

// Backfill is one running `worker backfill`, or the lookback an
// account's first orders poll left behind it (Via lookback).
type Backfill struct {
	ID        int64  `json:"id"`
	AccountID string `json:"account_id"`
	Stream    string `json:"stream"`
	// Via is api, reports or lookback.
	Via          string    `json:"via"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	WindowsDone  int32     `json:"windows_done"`
	WindowsTotal int32     `json:"windows_total"`
	RowsWritten  int64     `json:"rows_written"`
	Errors       int32     `json:"errors"`
	LastError    *string   `json:"last_error"`
	StartedAt    time.Time `json:"started_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Stream is one poller's cursor and last outcome.
type Stream struct {
	AccountID     string     `json:"account_id"`
	Stream        string     `json:"stream"`
	Scope         string     `json:"scope"`
	CursorAt      *time.Time `json:"cursor_at"`
	LagSeconds    *float64   `json:"lag_seconds"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastError     *string    `json:"last_error"`
	LastErrorAt   *time.Time `json:"last_error_at"`
	RowsWritten   int64      `json:"rows_written"`
}

// Budget is one rate budget bucket.
type Budget struct {
	AccountID       string     `json:"account_id"`
	Region          string     `json:"region"`
	Operation       string     `json:"operation"`
	Tokens          float64    `json:"tokens"`
	Burst           float64    `json:"burst"`
	Rate            float64    `json:"rate"`
	LearnedRate     *float64   `json:"learned_rate"`
	Granted         int64      `json:"granted_total"`
	Throttled       int64      `json:"throttled_total"`
	LastThrottledAt *time.Time `json:"last_throttled_at"`
}

// Queue counts River jobs of one queue by state.
type Queue struct {
	Queue     string `json:"queue"`
	Available int64  `json:"available"`
	Running   int64  `json:"running"`
	Scheduled int64  `json:"scheduled"`
	Retryable int64  `json:"retryable"`
	// Discarded24h counts jobs that failed for good in the last day.
	Discarded24h int64 `json:"discarded_24h"`
}

// Collect reads a report from db.
func Collect(ctx context.Context, db store.DBTX) (*Report, error) {
	r := &Report{Streams: []Stream{}, Budgets: []Budget{}, Queues: []Queue{}, Backfills: []Backfill{}, Quarantine: []Quarantine{}, PermissionDenied: []PermissionDenied{}, Push: []Push{}, PeriodicInsertFailures: []PeriodicInsertFailure{}, Polls: []Poll{}}
	var err error
	if r.GeneratedAt, err = store.Now(ctx, db); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	cursors, err := store.ListCursors(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: list cursors: %w", err)
	}
	for _, c := range cursors {
		s := Stream{AccountID: c.AccountID, Stream: c.Stream, Scope: c.Scope, CursorAt: c.CursorAt,
			LastSuccessAt: c.LastSuccessAt, LastError: c.LastError, LastErrorAt: c.LastErrorAt, RowsWritten: c.RowsWritten}
		if c.CursorAt != nil {
			lag := r.GeneratedAt.Sub(*c.CursorAt).Seconds()
			s.LagSeconds = &lag
		}
		r.Streams = append(r.Streams, s)
	}
	budgets, err := store.ListRateBudgets(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: list rate budgets: %w", err)
	}
	for _, b := range budgets {
		r.Budgets = append(r.Budgets, Budget{AccountID: b.AccountID, Region: b.Region, Operation: b.Operation,
			Tokens: b.Level, Burst: b.Burst, Rate: b.Rate, LearnedRate: b.LearnedRate,
			Granted: b.GrantedTotal, Throttled: b.ThrottledTotal, LastThrottledAt: b.LastThrottledAt})
	}
	queues, err := riverext.CountQueues(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, c := range queues {
		r.Queues = append(r.Queues, Queue{Queue: c.Queue, Available: c.Available, Running: c.Running,
			Scheduled: c.Scheduled, Retryable: c.Retryable, Discarded24h: c.Discarded24h})
	}
	backfills, err := store.ListRunningBackfills(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: list backfills: %w", err)
	}
	for _, b := range backfills {
		r.Backfills = append(r.Backfills, Backfill{ID: b.ID, AccountID: b.AccountID, Stream: b.Stream, Via: b.Via, From: b.FromTime, To: b.ToTime,
			WindowsDone: b.WindowsDone, WindowsTotal: b.WindowsTotal, RowsWritten: b.RowsWritten, Errors: b.Errors,
			LastError: b.LastError, StartedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt})
	}
	quarantined, err := store.QuarantineSummary(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, c := range quarantined {
		r.Quarantine = append(r.Quarantine, Quarantine{AccountID: c.AccountID, Operation: c.Operation,
			Records: c.Records, LastSeenAt: c.LastSeenAt, LastReason: c.LastReason})
	}
	denials, err := store.ListPermissionDenials(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, d := range denials {
		r.PermissionDenied = append(r.PermissionDenied, PermissionDenied{AccountID: d.AccountID, Operation: d.Operation,
			Error: d.Error, FirstSeenAt: d.FirstSeenAt, LastSeenAt: d.LastSeenAt, Times: d.TimesSeen})
	}
	pushed, err := store.ListPushStreams(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, p := range pushed {
		r.Push = append(r.Push, Push{AccountID: p.AccountID, Stream: p.Stream, LastNotificationAt: p.LastReceivedAt,
			Notifications: p.Notifications, SafetyNetUnannounced: p.SafetyNetUnannounced})
	}
	failures, err := store.ListPeriodicInsertFailures(ctx, db, 24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, f := range failures {
		r.PeriodicInsertFailures = append(r.PeriodicInsertFailures, PeriodicInsertFailure{Failure: f.Failure, Error: f.Error,
			FirstSeenAt: f.FirstSeenAt, LastSeenAt: f.LastSeenAt, Times: f.TimesSeen})
	}
	polls, err := store.ListPollSchedules(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for _, p := range polls {
		poll := Poll{AccountID: p.AccountID, Stream: p.Stream, Operation: p.Operation, Mode: p.Mode, ChangeRate: p.ChangeRate,
			CallsPerHour: p.CallsPerHour, BudgetPerHour: p.BudgetPerHour, Headroom: p.HeadroomPerHour, Ceiling: p.CeilingPerHour,
			IntervalSeconds: p.IntervalSeconds, LagTarget: p.LagTargetSeconds, LagSlope: p.LagSlope, NextPollAt: p.NextPollAt}
		if p.ChangeRate > p.CeilingPerHour {
			poll.Advice = pushAdvice(poll)
		}
		r.Polls = append(r.Polls, poll)
	}
	if err := collectAccounts(ctx, db, r); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	r.Summarize(DefaultWorst)
	return r, nil
}

// WriteText renders the report as aligned tables for a terminal, each
// per-account section summarised past DefaultWorst rows.
func (r *Report) WriteText(w io.Writer) error {
	return r.WriteTextOptions(w, TextOptions{Worst: DefaultWorst})
}

// WriteTextOptions renders the report as WriteText does, with o's limits.
func (r *Report) WriteTextOptions(w io.Writer, o TextOptions) error {
	if r.Summary == nil {
		r.Summarize(o.Worst)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if o.Account != "" {
		fmt.Fprintf(tw, "spsync status of account %s at %s\n\n", o.Account, r.GeneratedAt.UTC().Format(time.RFC3339))
		r.writeAccountHeader(tw, o.Account)
	} else {
		fmt.Fprintf(tw, "spsync status at %s\n\n", r.GeneratedAt.UTC().Format(time.RFC3339))
	}
	// SCOPE tells a stream's cursors apart: service jobs are polled per
	// marketplace (getServiceJobs takes one), so each marketplace has its
	// own row and lag, and one that lags or fails shows by itself.
	streams, more := section(o, r.Streams, r.worseStream)
	if more > 0 {
		r.writeStreamSummary(tw, len(streams))
	}
	fmt.Fprintln(tw, "ACCOUNT\tSTREAM\tSCOPE\tCURSOR\tLAG\tLAST SUCCESS\tLAST ERROR")
	if len(r.Streams) == 0 {
		fmt.Fprintln(tw, "(no poll has run yet)\t\t\t\t\t\t")
	}
	for _, s := range streams {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.AccountID, s.Stream, scope(s.Scope), ts(s.CursorAt), lag(s.LagSeconds), ts(s.LastSuccessAt), lastError(s))
	}
	moreLine(tw, more, "cursors")
	budgets, more := section(o, r.Budgets, worseBudget)
	if more > 0 {
		// At scale the buckets worth a look are the near-empty ones.
		var near []Budget
		for _, b := range r.Budgets {
			if b.NearEmpty() {
				near = append(near, b)
			}
		}
		r.writeBudgetSummary(tw, len(near))
		budgets = worst(near, o.Worst, worseBudget)
		more = len(near) - len(budgets)
		if len(near) > 0 {
			fmt.Fprintln(tw, "ACCOUNT\tREGION\tOPERATION\tTOKENS\tRATE/S\tTHROTTLED\tLAST 429")
		}
	} else {
		fmt.Fprintln(tw, "\nACCOUNT\tREGION\tOPERATION\tTOKENS\tRATE/S\tTHROTTLED\tLAST 429")
	}
	for _, b := range budgets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f/%g\t%g\t%d\t%s\n", b.AccountID, b.Region, b.Operation, b.Tokens, b.Burst, b.Rate, b.Throttled, ts(b.LastThrottledAt))
	}
	moreLine(tw, more, "near-empty buckets")
	// The polls' budget: what each spends of its list bucket at the change
	// rate it sees, and what it leaves for backfills.
	if len(r.Polls) > 0 {
		polls, more := section(o, r.Polls, worsePoll)
		if more > 0 {
			fmt.Fprintf(tw, "\n%s\n", r.pollModes())
		} else {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "POLL\tSTREAM\tOPERATION\tMODE\tCHANGES/H\tCALLS/H\tHEADROOM/H\tCEILING/H\tEVERY\tLAG TARGET\tNEXT")
		for _, p := range polls {
			target := "-"
			if p.LagTarget > 0 {
				target = lag(&p.LagTarget)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.1f/%.1f\t%.1f\t%.0f\t%s\t%s\t%s\n", p.AccountID, p.Stream, p.Operation, p.Mode,
				p.ChangeRate, p.CallsPerHour, p.BudgetPerHour, p.Headroom, p.Ceiling, lag(&p.IntervalSeconds), target, ts(&p.NextPollAt))
		}
		moreLine(tw, more, "polls")
		// The advice is the same for every poll over its ceiling: at
		// scale it is said once, with the first one's numbers.
		over := 0
		for _, p := range polls {
			if p.Advice == "" {
				continue
			}
			if over++; over == 1 || more == 0 {
				fmt.Fprintf(tw, "%s %s: %s.\n", p.AccountID, p.Stream, p.Advice)
			}
		}
		if n := r.Summary.PollModes["over-ceiling"]; more > 0 && n > 1 {
			fmt.Fprintf(tw, "The same holds for the other %s polls over their ceiling (mode over-ceiling).\n", count(n-1))
		}
	}
	if o.Account == "" {
		fmt.Fprintln(tw, "\nQUEUE\tAVAILABLE\tRUNNING\tSCHEDULED\tRETRYABLE\tFAILED (24H)")
		for _, q := range r.Queues {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", q.Queue, q.Available, q.Running, q.Scheduled, q.Retryable, q.Discarded24h)
		}
	}
	fmt.Fprintln(tw, "\nBACKFILL\tACCOUNT\tSTREAM\tSPAN\tWINDOWS\tROWS\tERRORS\tLAST ERROR")
	if len(r.Backfills) == 0 {
		fmt.Fprintln(tw, "(none running)\t\t\t\t\t\t\t")
	}
	// Running backfills stay oldest first: each is an operator's request
	// (or a first poll's lookback, "via lookback").
	backfills, more := section(o, r.Backfills, func(a, b Backfill) int { return cmp.Compare(a.ID, b.ID) })
	for _, b := range backfills {
		last := "-"
		if b.LastError != nil {
			last = shorten(*b.LastError)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s..%s\t%d/%d\t%d\t%d\t%s\n", b.ID, b.AccountID, jobs.BackfillLabel(b.Stream, b.Via),
			b.From.UTC().Format(time.RFC3339), b.To.UTC().Format(time.RFC3339), b.WindowsDone, b.WindowsTotal, b.RowsWritten, b.Errors, last)
	}
	moreLine(tw, more, "running backfills")
	// Quarantined records are rare and need a person, so the section shows
	// only when there are some, and says where to read them.
	if len(r.Quarantine) > 0 {
		fmt.Fprintln(tw, "\nQUARANTINED: records Amazon sent without a key spsync needs (the rest of their pages is stored)")
		fmt.Fprintln(tw, "ACCOUNT\tOPERATION\tRECORDS\tLAST SEEN\tLAST REASON")
		rows, more := section(o, r.Quarantine, func(a, b Quarantine) int { return cmp.Compare(b.Records, a.Records) })
		for _, q := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", q.AccountID, q.Operation, q.Records, ts(&q.LastSeenAt), shorten(q.LastReason))
		}
		moreLine(tw, more, "accounts' and operations' quarantined records")
		fmt.Fprintf(tw, "Read them with: %s;\n", QuarantineQuery)
	}
	// Push shows once notifications are on: the last one per stream, and
	// the changes only the safety-net poll found (a rising count means the
	// push path loses notifications).
	if len(r.Push) > 0 {
		rows, more := section(o, r.Push, worsePush)
		if more > 0 {
			fmt.Fprintf(tw, "\nPUSH: %s streams; most changes found only by the safety-net poll first, then the oldest last notification\n", count(len(r.Push)))
		} else {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "PUSH\tSTREAM\tLAST NOTIFICATION\tNOTIFICATIONS\tFOUND ONLY BY THE SAFETY-NET POLL")
		for _, p := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", p.AccountID, p.Stream, ts(p.LastNotificationAt), p.Notifications, p.SafetyNetUnannounced)
		}
		moreLine(tw, more, "push streams")
	}
	// A refused operation needs the seller or the developer to change the
	// authorization; shown only when there is one.
	if len(r.PermissionDenied) > 0 {
		fmt.Fprintln(tw, "\nPERMISSION DENIED: Amazon refuses these operations (a role or API grant is missing); the accounts' other operations go on")
		fmt.Fprintln(tw, "ACCOUNT\tOPERATION\tSINCE\tLAST\tTIMES\tERROR")
		rows, more := section(o, r.PermissionDenied, func(a, b PermissionDenied) int { return b.LastSeenAt.Compare(a.LastSeenAt) })
		for _, d := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", d.AccountID, d.Operation, ts(&d.FirstSeenAt), ts(&d.LastSeenAt), d.Times, shorten(d.Error))
		}
		moreLine(tw, more, "refused operations")
	}
	// A failed periodic insert means scheduled polls or purges did not
	// run; shown only when one happened in the last day.
	if len(r.PeriodicInsertFailures) > 0 {
		fmt.Fprintln(tw, "\nPERIODIC JOBS NOT INSERTED (24H): polls and purges due then waited for their next tick; see the worker's log")
		fmt.Fprintln(tw, "FAILURE\tSINCE\tLAST\tTIMES\tERROR")
		for _, f := range r.PeriodicInsertFailures {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Failure, ts(&f.FirstSeenAt), ts(&f.LastSeenAt), f.Times, shorten(f.Error))
		}
	}
	r.writeAccounts(tw, o)
	return tw.Flush()
}

// scope is a cursor's scope for the text report: its marketplaces, "-" for
// a stream with one cursor per account.
func scope(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ts(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func lag(s *float64) string {
	if s == nil {
		return "-"
	}
	return (time.Duration(*s) * time.Second).Round(time.Second).String()
}

func lastError(s Stream) string {
	if s.LastError == nil || (s.LastSuccessAt != nil && s.LastErrorAt != nil && s.LastSuccessAt.After(*s.LastErrorAt)) {
		return "-"
	}
	return ts(s.LastErrorAt) + " " + shorten(*s.LastError)
}

// shorten puts an error message on one line of at most 80 bytes.
func shorten(msg string) string {
	msg = strings.ReplaceAll(msg, "\n", " ")
	if len(msg) > 80 {
		msg = msg[:77] + "..."
	}
	return msg
}
