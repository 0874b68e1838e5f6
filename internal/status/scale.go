package status

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/store"
)

// A status at a thousand sellers (issue 25): every per-account table of
// the report has thousands of rows (cursors, buckets, polls, push health,
// authorizations), which nobody reads. The text report therefore shows a
// table whole only while it has at most TextOptions.Worst rows, as it did
// for a few accounts; past that it shows what the rows add up to (per
// stream, per operation, per mode) and the worst rows, and says how to see
// the rest: `--account ID` for one account in full, `--all` for every row,
// `--json` for machines (the JSON keeps every row, plus Summary).

// DefaultWorst is how many rows a per-account section shows before it is
// summarised: a screen's worth, and more than one account's rows (about
// ten buckets, five cursors), so a deployment of a few sellers reads as
// before.
const DefaultWorst = 20

// BehindSeconds is the lag past which a cursor counts as behind: the
// SpsyncSyncLagHigh alert's threshold (a normal lag is at most about 17
// minutes, the orders safety-net poll with push on).
const BehindSeconds = 1800

// NearEmptyShare is the share of its burst under which a bucket counts as
// near empty (or under one token, for small bursts): its operation then
// waits for the refill instead of calling.
const NearEmptyShare = 0.1

// Summary is what the per-account rows add up to, and the worst of them.
// JSON names are stable: scripts read them.
type Summary struct {
	// Accounts counts the accounts the report has rows for (stored, or
	// with a cursor or a bucket).
	Accounts int `json:"accounts"`
	// Streams counts the cursors of each stream by state.
	Streams []StreamSummary `json:"streams"`
	// WorstLags are the worst cursors: failing first, then not polled
	// yet, then by lag; accounts not active come last.
	WorstLags []Stream `json:"worst_lags"`
	// Budgets sums each operation's buckets.
	Budgets []BudgetSummary `json:"budgets"`
	// BucketsNearEmpty are the emptiest buckets under NearEmptyShare of
	// their burst (or one token), emptiest first.
	BucketsNearEmpty []Budget `json:"buckets_near_empty"`
	// PollModes counts the budget-aware polls by mode (fresh, backfill,
	// safety-net, over-ceiling).
	PollModes map[string]int `json:"poll_modes"`
}

// StreamSummary counts one stream's cursors by state. Each cursor is in
// one state: Quiet (its account is paused, removed or needs
// re-authorization), else Failing (its last error is newer than its last
// success), else NotPolled (no window done yet), else Behind (lag over
// BehindSeconds), else Current.
type StreamSummary struct {
	Stream    string `json:"stream"`
	Cursors   int    `json:"cursors"`
	Current   int    `json:"current"`
	Behind    int    `json:"behind"`
	Failing   int    `json:"failing"`
	NotPolled int    `json:"not_polled"`
	Quiet     int    `json:"quiet"`
	// Lag quantiles over the cursors of active accounts that have one
	// (nil when none has).
	LagP50 *float64 `json:"lag_p50_seconds"`
	LagP95 *float64 `json:"lag_p95_seconds"`
	LagMax *float64 `json:"lag_max_seconds"`
}

// BudgetSummary sums one operation's buckets over accounts and regions:
// what the fleet may spend (Rate) against what it holds (Tokens of Burst).
type BudgetSummary struct {
	Operation       string     `json:"operation"`
	Buckets         int        `json:"buckets"`
	NearEmpty       int        `json:"near_empty"`
	Tokens          float64    `json:"tokens"`
	Burst           float64    `json:"burst"`
	Rate            float64    `json:"rate"`
	Throttled       int64      `json:"throttled_total"`
	LastThrottledAt *time.Time `json:"last_throttled_at"`
}

// Cursor states (StreamSummary, and the spsync_sync_cursors series).
const (
	CursorCurrent   = "current"
	CursorBehind    = "behind"
	CursorFailing   = "failing"
	CursorNotPolled = "not_polled"
	CursorQuiet     = "quiet"
)

// CursorStates are the cursor states in the order shown.
var CursorStates = []string{CursorCurrent, CursorBehind, CursorFailing, CursorNotPolled, CursorQuiet}

// CursorState is the state s is counted in (see StreamSummary).
func (r *Report) CursorState(s Stream) string {
	switch {
	case r.Accounts.LagQuiet(s.AccountID):
		return CursorQuiet
	case failing(s):
		return CursorFailing
	case s.LagSeconds == nil:
		return CursorNotPolled
	case *s.LagSeconds > BehindSeconds:
		return CursorBehind
	}
	return CursorCurrent
}

// failing reports whether the cursor's last outcome is an error.
func failing(s Stream) bool {
	return s.LastError != nil && (s.LastSuccessAt == nil || s.LastErrorAt == nil || !s.LastSuccessAt.After(*s.LastErrorAt))
}

// NearEmpty reports whether the bucket is under NearEmptyShare of its
// burst, or under one token.
func (b Budget) NearEmpty() bool {
	return b.Tokens < math.Max(1, NearEmptyShare*b.Burst)
}

// Summarize fills r.Summary, keeping the worst n rows (n <= 0: all).
func (r *Report) Summarize(n int) {
	s := &Summary{Streams: []StreamSummary{}, Budgets: []BudgetSummary{}, PollModes: map[string]int{}}
	accounts := map[string]bool{}
	for _, a := range r.Accounts.Authorizations {
		accounts[a.AccountID] = true
	}
	for _, a := range r.Accounts.NotActive {
		accounts[a.AccountID] = true
	}

	byStream := map[string]*StreamSummary{}
	lags := map[string][]float64{}
	for _, c := range r.Streams {
		accounts[c.AccountID] = true
		ss := byStream[c.Stream]
		if ss == nil {
			ss = &StreamSummary{Stream: c.Stream}
			byStream[c.Stream] = ss
		}
		ss.Cursors++
		switch r.CursorState(c) {
		case CursorQuiet:
			ss.Quiet++
			continue
		case CursorFailing:
			ss.Failing++
		case CursorNotPolled:
			ss.NotPolled++
		case CursorBehind:
			ss.Behind++
		default:
			ss.Current++
		}
		if c.LagSeconds != nil {
			lags[c.Stream] = append(lags[c.Stream], *c.LagSeconds)
		}
	}
	for _, ss := range byStream {
		l := lags[ss.Stream]
		sort.Float64s(l)
		ss.LagP50, ss.LagP95 = quantile(l, 0.5), quantile(l, 0.95)
		if len(l) > 0 {
			ss.LagMax = &l[len(l)-1]
		}
		s.Streams = append(s.Streams, *ss)
	}
	slices.SortFunc(s.Streams, func(a, b StreamSummary) int { return cmp.Compare(a.Stream, b.Stream) })
	s.WorstLags = worst(r.Streams, n, r.worseStream)

	byOp := map[string]*BudgetSummary{}
	var near []Budget
	for _, b := range r.Budgets {
		accounts[b.AccountID] = true
		bs := byOp[b.Operation]
		if bs == nil {
			bs = &BudgetSummary{Operation: b.Operation}
			byOp[b.Operation] = bs
		}
		bs.Buckets++
		bs.Tokens += b.Tokens
		bs.Burst += b.Burst
		bs.Rate += b.Rate
		bs.Throttled += b.Throttled
		if b.LastThrottledAt != nil && (bs.LastThrottledAt == nil || b.LastThrottledAt.After(*bs.LastThrottledAt)) {
			bs.LastThrottledAt = b.LastThrottledAt
		}
		if b.NearEmpty() {
			bs.NearEmpty++
			near = append(near, b)
		}
	}
	for _, bs := range byOp {
		s.Budgets = append(s.Budgets, *bs)
	}
	slices.SortFunc(s.Budgets, func(a, b BudgetSummary) int { return cmp.Compare(a.Operation, b.Operation) })
	s.BucketsNearEmpty = worst(near, n, worseBudget)
	if s.BucketsNearEmpty == nil {
		s.BucketsNearEmpty = []Budget{}
	}
	for _, p := range r.Polls {
		s.PollModes[p.Mode]++
	}
	s.Accounts = len(accounts)
	r.Summary = s
}

// quantile is the q-quantile of sorted (nearest rank), nil when empty.
func quantile(sorted []float64, q float64) *float64 {
	if len(sorted) == 0 {
		return nil
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	v := sorted[max(0, min(i, len(sorted)-1))]
	return &v
}

// worst returns the n rows that compare first by worse (all of them,
// sorted, when n <= 0), leaving rows as they are.
func worst[T any](rows []T, n int, worse func(a, b T) int) []T {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, worse)
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// worseStream orders cursors worst first: active accounts before those
// not active, failing, then not polled yet, then by lag.
func (r *Report) worseStream(a, b Stream) int {
	rank := func(s Stream) int {
		switch r.CursorState(s) {
		case CursorQuiet:
			return 3
		case CursorFailing:
			return 0
		case CursorNotPolled:
			return 1
		}
		return 2
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	return cmp.Compare(lagOf(b), lagOf(a))
}

func lagOf(s Stream) float64 {
	if s.LagSeconds == nil {
		return math.Inf(1)
	}
	return *s.LagSeconds
}

// worseBudget orders buckets emptiest first (by share of the burst), then
// by throttles.
func worseBudget(a, b Budget) int {
	if c := cmp.Compare(a.Tokens/a.Burst, b.Tokens/b.Burst); c != 0 {
		return c
	}
	return cmp.Compare(b.Throttled, a.Throttled)
}

// worsePoll orders polls over their ceiling first, then by how close
// their change rate is to it.
func worsePoll(a, b Poll) int {
	share := func(p Poll) float64 {
		if p.Ceiling <= 0 {
			return math.Inf(1)
		}
		return p.ChangeRate / p.Ceiling
	}
	return cmp.Compare(share(b), share(a))
}

// worsePush orders push streams by the changes only the safety net found,
// then oldest notification first.
func worsePush(a, b Push) int {
	if c := cmp.Compare(b.SafetyNetUnannounced, a.SafetyNetUnannounced); c != 0 {
		return c
	}
	return cmp.Compare(timeOr(a.LastNotificationAt), timeOr(b.LastNotificationAt))
}

// worseAuthorization orders accounts unmatched first, then never
// authorized through spsync, then authorized longest ago (nearest the
// 365-day renewal).
func worseAuthorization(a, b AccountAuthorization) int {
	if a.Unmatched != b.Unmatched {
		if a.Unmatched {
			return -1
		}
		return 1
	}
	return cmp.Compare(timeOr(a.LastAuthorizedAt), timeOr(b.LastAuthorizedAt))
}

// timeOr is t's Unix time, the earliest possible for nil (never).
func timeOr(t *time.Time) int64 {
	if t == nil {
		return math.MinInt64
	}
	return t.Unix()
}

// TextOptions choose what WriteTextOptions shows.
type TextOptions struct {
	// Worst is how many rows a per-account section shows before it is
	// summarised; 0 shows every row (`worker status --all`).
	Worst int
	// Account, when set, is the only account shown (the report is
	// ForAccount's): every row, without the deployment-wide sections.
	Account string
}

// section picks what a per-account section of rows shows: every row in
// its own order while they fit, else the worst o.Worst, and how many are
// left out.
func section[T any](o TextOptions, rows []T, worse func(a, b T) int) (shown []T, more int) {
	if o.Worst <= 0 || len(rows) <= o.Worst {
		return rows, 0
	}
	return worst(rows, o.Worst, worse), len(rows) - o.Worst
}

// moreLine says what a summarised section left out and how to see it.
func moreLine(w io.Writer, more int, what string) {
	if more > 0 {
		fmt.Fprintf(w, "… %s more %s (worker status --account ID shows one account, --all every row)\n", count(more), what)
	}
}

// count writes n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeStreamSummary writes the STREAMS summary table (at scale) and
// heads the shown worst cursors.
func (r *Report) writeStreamSummary(w io.Writer, shown int) {
	s := r.Summary
	fmt.Fprintf(w, "STREAMS: %s cursors of %s accounts; behind = lag over %s, quiet = account paused, removed or needing re-authorization\n",
		count(len(r.Streams)), count(s.Accounts), lag(ptr(float64(BehindSeconds))))
	fmt.Fprintln(w, "STREAM\tCURSORS\tCURRENT\tBEHIND\tFAILING\tNOT POLLED\tQUIET\tLAG P50\tLAG P95\tLAG MAX")
	for _, ss := range s.Streams {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", ss.Stream, ss.Cursors, ss.Current, ss.Behind, ss.Failing, ss.NotPolled, ss.Quiet,
			lag(ss.LagP50), lag(ss.LagP95), lag(ss.LagMax))
	}
	fmt.Fprintf(w, "\nWORST %d CURSORS: failing, not polled yet, then by lag\n", shown)
}

// writeBudgetSummary writes the BUDGETS summary table (at scale) and
// heads the near-empty buckets' rows.
func (r *Report) writeBudgetSummary(w io.Writer, nearEmpty int) {
	fmt.Fprintf(w, "\nBUDGETS: %s buckets; near empty = under %.0f %% of the burst (or 1 token): the operation waits for the refill\n",
		count(len(r.Budgets)), NearEmptyShare*100)
	fmt.Fprintln(w, "OPERATION\tBUCKETS\tNEAR EMPTY\tTOKENS\tRATE/S (SUM)\tTHROTTLED\tLAST 429")
	for _, b := range r.Summary.Budgets {
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f/%.0f\t%.4g\t%d\t%s\n", b.Operation, b.Buckets, b.NearEmpty, b.Tokens, b.Burst, b.Rate, b.Throttled, ts(b.LastThrottledAt))
	}
	if nearEmpty == 0 {
		fmt.Fprintln(w, "(no bucket near empty)")
		return
	}
	fmt.Fprintf(w, "\nNEAR EMPTY: %s buckets, emptiest first\n", count(nearEmpty))
}

// pollModes is the POLLS summary line (at scale).
func (r *Report) pollModes() string {
	modes := make([]string, 0, len(r.Summary.PollModes))
	for _, m := range []string{"fresh", "backfill", "safety-net", "over-ceiling"} {
		modes = append(modes, fmt.Sprintf("%d %s", r.Summary.PollModes[m], m))
	}
	return fmt.Sprintf("POLLS: %s budget-aware polls: %s; over the ceiling first", count(len(r.Polls)), strings.Join(modes, ", "))
}

func ptr[T any](v T) *T { return &v }

// ForAccount is the report of one account: its rows of every
// per-account section, without the deployment-wide ones (queues,
// periodic insert failures, client secrets), summarised over its rows.
// ok is false when the report has no row of the account.
func (r *Report) ForAccount(id string) (_ *Report, ok bool) {
	out := &Report{GeneratedAt: r.GeneratedAt, Queues: []Queue{}, PeriodicInsertFailures: []PeriodicInsertFailure{}, ClientSecrets: []ClientSecrets{}}
	out.Streams = keep(r.Streams, func(s Stream) bool { return s.AccountID == id }, &ok)
	out.Budgets = keep(r.Budgets, func(b Budget) bool { return b.AccountID == id }, &ok)
	out.Backfills = keep(r.Backfills, func(b Backfill) bool { return b.AccountID == id }, &ok)
	out.Quarantine = keep(r.Quarantine, func(q Quarantine) bool { return q.AccountID == id }, &ok)
	out.PermissionDenied = keep(r.PermissionDenied, func(d PermissionDenied) bool { return d.AccountID == id }, &ok)
	out.Push = keep(r.Push, func(p Push) bool { return p.AccountID == id }, &ok)
	out.Polls = keep(r.Polls, func(p Poll) bool { return p.AccountID == id }, &ok)
	out.NeedsReauth = keep(r.NeedsReauth, func(a Reauth) bool { return a.AccountID == id }, &ok)
	out.Accounts = Accounts{Source: r.Accounts.Source, States: map[string]int64{},
		NotActive:      keep(r.Accounts.NotActive, func(a AccountState) bool { return a.AccountID == id }, &ok),
		Authorizations: keep(r.Accounts.Authorizations, func(a AccountAuthorization) bool { return a.AccountID == id }, &ok)}
	for _, s := range AccountStates {
		out.Accounts.States[s] = 0
	}
	for _, a := range out.Accounts.Authorizations {
		out.Accounts.States[a.State] = 1
	}
	for _, a := range out.Accounts.NotActive {
		out.Accounts.States[a.State] = 1
	}
	out.Accounts.index()
	out.Summarize(0)
	return out, ok
}

// keep returns the rows for which match holds (never nil), setting *found
// when there is one.
func keep[T any](rows []T, match func(T) bool, found *bool) []T {
	out := []T{}
	for _, row := range rows {
		if match(row) {
			out = append(out, row)
			*found = true
		}
	}
	return out
}

// writeAccountHeader is the first lines of `worker status --account ID`:
// the account's state and authorization.
func (r *Report) writeAccountHeader(w io.Writer, id string) {
	state := "not stored (from the environment)"
	if r.Accounts.Source == AccountsFromDatabase {
		state = "stored"
	}
	for _, a := range r.Accounts.Authorizations {
		seller, at := "unmatched", "never"
		if a.SellingPartnerID != nil {
			seller = *a.SellingPartnerID
		}
		if a.LastAuthorizedAt != nil {
			at = ts(a.LastAuthorizedAt)
		}
		state = fmt.Sprintf("%s; selling partner %s; last authorized %s", a.State, seller, at)
	}
	for _, a := range r.Accounts.NotActive {
		if a.State == store.AccountRemoved {
			state = a.State
		}
		state += fmt.Sprintf(" (%s since %s: %s)", a.State, ts(&a.Since), reason(a.Reason))
	}
	fmt.Fprintf(w, "ACCOUNT %s: %s\n\n", id, state)
}
