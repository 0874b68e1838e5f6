package freshness_test

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spsync/spsync/internal/freshness"
)

// BenchmarkOrdersFreshness is one seller syncing orders by polling only,
// through Orders 2026-01-01 at Amazon's searchOrders plan (0.0056/s, burst
// 20), facing sustained change rates in sequence on an accelerated clock
// (see the package documentation). It reports, per rate: the measured
// change rate, median / p95 / max change→row lag, the lag's slope over the
// last simulated hour, list calls per hour against the schedule's own
// prediction (Σ over the windows polled of ⌈changes in the window / 100⌉),
// 429s, the backlog at the end and how late polls started; for a rate past
// the ceiling, the lag's slope against 1 − ceiling/rate and the recovery
// once the rate drops, against backlog / (ceiling − rate).
//
// SPSYNC_BENCH_FRESHNESS_RATES (default "300,900,1500,1800,2600,900")
// are the changes an hour, SPSYNC_BENCH_FRESHNESS_HOURS (default 3) the
// simulated hours of each, SPSYNC_BENCH_FRESHNESS_SCALE (default 30) the
// clock factor k: the default run is 18 simulated hours, 36 real minutes.
func BenchmarkOrdersFreshness(b *testing.B) {
	o := options{
		k:     envFloat(b, "SPSYNC_BENCH_FRESHNESS_SCALE", 30),
		rates: envFloats(b, "SPSYNC_BENCH_FRESHNESS_RATES", []float64{300, 900, 1500, 1800, 2600, 900}),
		hours: envFloat(b, "SPSYNC_BENCH_FRESHNESS_HOURS", 3),
	}
	for range b.N {
		r := run(b, o)
		r.reportRates(b)
	}
}

// BenchmarkOrdersFreshnessBackfill is the same seller at 900 changes an
// hour with a backfill of 20,000 orders (20 one-day windows, 30 to 10 days
// ago) walking the same searchOrders bucket: per simulated hour, what the
// backfill got of what the poll left (refill − the poll's calls), and how
// late each poll started after it was due.
//
// SPSYNC_BENCH_FRESHNESS_BACKFILL_HOURS (default 3; 0 skips) is the run's
// length; SPSYNC_BENCH_FRESHNESS_SCALE as above.
func BenchmarkOrdersFreshnessBackfill(b *testing.B) {
	o := options{
		k:             envFloat(b, "SPSYNC_BENCH_FRESHNESS_SCALE", 30),
		rates:         []float64{900},
		hours:         envFloat(b, "SPSYNC_BENCH_FRESHNESS_BACKFILL_HOURS", 3),
		backfill:      true,
		historyOrders: 20000,
	}
	for range b.N {
		r := run(b, o)
		r.reportBackfill(b)
	}
}

const pageSize = 100

// normalLag is the lag the acceptance calls normal (p95 ≤ 8 minutes): a
// recovery ends when every later 10-minute slice of changes is back under it.
const normalLag = 8 * time.Minute

func (r *result) phaseBounds(i int) (time.Time, time.Time) {
	from := r.start.Add(time.Duration(i) * r.o.phase())
	return from, from.Add(r.o.phase())
}

// ceiling is the change rate polling alone carries: a full page every
// refill.
func (r *result) ceiling() float64 { return 3600 * r.rate * pageSize }

func (r *result) lagsIn(from, to time.Time) []time.Duration {
	var out []time.Duration
	for _, l := range r.lags {
		if !l.at.Before(from) && l.at.Before(to) {
			out = append(out, l.lag)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (r *result) changesIn(from, to time.Time) int {
	lo := sort.Search(len(r.changes), func(i int) bool { return !r.changes[i].At.Before(from) })
	hi := sort.Search(len(r.changes), func(i int) bool { return !r.changes[i].At.Before(to) })
	return hi - lo
}

// unresolvedIn counts the changes of [from, to) not in Postgres at the end.
func (r *result) unresolvedIn(from, to time.Time) int {
	n := 0
	for _, ps := range r.pending {
		for _, at := range ps {
			if !at.Before(from) && at.Before(to) {
				n++
			}
		}
	}
	return n
}

// slope is the least-squares slope of lag (minutes) over change time
// (hours) for the changes of [from, to): minutes of lag gained per hour.
func (r *result) slope(from, to time.Time) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, l := range r.lags {
		if l.at.Before(from) || !l.at.Before(to) {
			continue
		}
		x, y := l.at.Sub(from).Hours(), l.lag.Minutes()
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if n < 2 || n*sxx-sx*sx == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// callStats are the searchOrders calls of [from, to): the poll's and the
// backfill's successful ones, 429s, and the poll's calls as its own windows
// predict them (Σ ⌈changes in the window / 100⌉, at least one each).
type callStats struct {
	poll, backfill, throttled, predicted, windows int
}

func (r *result) callsIn(from, to time.Time) callStats {
	var s callStats
	for _, c := range r.calls {
		if c.at.Before(from) || !c.at.Before(to) {
			continue
		}
		switch {
		case c.status == http.StatusTooManyRequests:
			s.throttled++
		case c.status != http.StatusOK:
		case c.poll:
			s.poll++
			if c.first {
				// Amazon's window: [lastUpdatedAfter, request − 2 min], both
				// inclusive.
				end := c.at.Truncate(time.Second).Add(-2 * time.Minute)
				n := r.changesIn(c.after, end.Add(time.Second))
				s.predicted += max(1, (n+pageSize-1)/pageSize)
				s.windows++
			}
		default:
			s.backfill++
		}
	}
	return s
}

// pollDelays are, for each poll window started in [from, to), how long
// after the poll was due its first call went out. A window's poll was due at
// the earliest ScheduledAt of the poll attempts that began after the
// previous walk's last call: the cron tick (today's poll) or the end of the
// self-scheduled poll's snooze, whichever ran; budget waits after it count
// as lateness.
func (r *result) pollDelays(from, to time.Time) []time.Duration {
	var polls []call
	for _, c := range r.calls {
		if c.poll {
			polls = append(polls, c)
		}
	}
	sort.Slice(polls, func(i, j int) bool { return polls[i].at.Before(polls[j].at) })
	var out []time.Duration
	for i, c := range polls {
		if !c.first || c.status != http.StatusOK || c.at.Before(from) || !c.at.Before(to) || i == 0 {
			continue
		}
		prev := polls[i-1].at
		var due time.Time
		for _, a := range r.attempts {
			if a.began.After(prev) && !a.began.After(c.at) && (due.IsZero() || a.due.Before(due)) {
				due = a.due
			}
		}
		if !due.IsZero() {
			out = append(out, max(0, c.at.Sub(due)))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (r *result) snapshotAt(t time.Time) (snapshot, bool) {
	for _, s := range r.snaps {
		if s.end.Equal(t) {
			return s, true
		}
	}
	return snapshot{}, false
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func mins(d time.Duration) string { return fmt.Sprintf("%.1f", d.Minutes()) }

func (r *result) reportRates(b *testing.B) {
	b.Helper()
	hours := r.o.hours
	logf("k=%g, %g simulated hours per rate, %s real; searchOrders %.4f/s (%.2f calls/h, ceiling %.0f changes/h), burst %g",
		r.k, hours, r.elapsed.Round(time.Second), r.rate, 3600*r.rate, r.ceiling(), r.burst)
	logf("| set /h | measured /h | median | p95 | max | last hour: p95, slope min/h | poll calls/h | predicted Σ⌈n/100⌉/h | 429 | backlog at end | polls late > 179 s (max) |")
	logf("|---|---|---|---|---|---|---|---|---|---|---|")
	for i, set := range r.o.rates {
		from, to := r.phaseBounds(i)
		lags := r.lagsIn(from, to)
		lastFrom := to.Add(-min(time.Hour, r.o.phase()))
		last := r.lagsIn(lastFrom, to)
		cs := r.callsIn(from, to)
		measured := float64(r.changesIn(from, to)) / hours
		backlog := -1
		if s, ok := r.snapshotAt(to); ok {
			backlog = s.backlog
		}
		delays := r.pollDelays(from, to)
		late := 0
		for _, d := range delays {
			if d > 179*time.Second {
				late++
			}
		}
		logf("| %.0f | %.0f | %s | %s | %s | %s, %+.1f | %.1f | %.1f | %d | %d | %d of %d (%s min) |",
			set, measured, mins(quantile(lags, 0.5)), mins(quantile(lags, 0.95)), mins(quantile(lags, 1)),
			mins(quantile(last, 0.95)), r.slope(lastFrom, to), float64(cs.poll)/hours, float64(cs.predicted)/hours,
			cs.throttled, backlog, late, len(delays), mins(quantile(delays, 1)))
		tag := fmt.Sprintf("%d-%.0f", i, set)
		b.ReportMetric(quantile(lags, 0.95).Minutes(), tag+"-p95-min")
		b.ReportMetric(float64(cs.poll)/hours, tag+"-calls/h")
		if unresolved := r.unresolvedIn(from, to); unresolved > 0 {
			logf("  %.0f/h: %d changes of the phase not in Postgres at the end of the run", set, unresolved)
		}
	}
	for i, set := range r.o.rates {
		measured := float64(r.changesIn(r.phaseBounds(i))) / hours
		if measured <= r.ceiling() {
			continue
		}
		from, to := r.phaseBounds(i)
		// Lag per hour of change time (the slope's axis) with every call a
		// full page; the partial last page of each window adds to it (the
		// model's table below has the prediction with them).
		predicted := 60 * (measured/r.ceiling() - 1)
		logf("past the ceiling at %.0f/h (measured %.0f/h): lag slope %.1f min/h over the phase, %.1f after its first hour; with full pages only 60 × (%.0f/%.0f − 1) = %.1f min/h",
			set, measured, r.slope(from, to), r.slope(from.Add(min(time.Hour, r.o.phase()/3)), to), measured, r.ceiling(), predicted)
		first, okFirst := r.snapshotAt(from.Add(min(time.Hour, r.o.phase())))
		last, okLast := r.snapshotAt(to)
		if okFirst && okLast {
			ft, fl := first.rows()
			lt, ll := last.rows()
			logf("  after its first hour → at its end: River job rows %d → %d (live %d → %d; completed rows stay a day, River's default); RSS %d → %d kB (%+.1f %%); Go heap %.1f → %.1f MB",
				ft, lt, fl, ll, first.rssKB, last.rssKB, 100*float64(last.rssKB-first.rssKB)/float64(first.rssKB),
				float64(first.heapBytes)/1e6, float64(last.heapBytes)/1e6)
		}
		if i+1 >= len(r.o.rates) {
			continue
		}
		next := float64(r.changesIn(r.phaseBounds(i+1))) / hours
		backlog := last.backlog
		predictedRecovery := time.Duration(float64(backlog) / (r.ceiling() - next) * float64(time.Hour))
		recovered, ok := r.recovery(i + 1)
		got := "not within the phase"
		if ok {
			got = recovered.Round(time.Minute).String()
		}
		logf("  then %.0f/h (measured %.0f/h): backlog at the drop %d changes, predicted recovery %d / (%.0f − %.0f) h = %s; measured (every later 10-minute slice p95 ≤ %s): %s",
			r.o.rates[i+1], next, backlog, backlog, r.ceiling(), next, predictedRecovery.Round(time.Minute), normalLag, got)
	}
	r.reportModel()
	r.logHours(b)
}

// reportModel prints the Model's figures for this run's rates: the
// prediction the measured table is held to (BENCHMARKS.md records it before
// a run). The model waits for a snoozed poll as the benchmark's scheduler
// does (100 ms real) and samples as the benchmark does (250 ms real).
func (r *result) reportModel() {
	m := freshness.Model{
		Rates: r.o.rates, Phase: r.o.phase(), Warmup: warmup, Rate: r.rate, Burst: r.burst, PageSize: pageSize,
		Wake:       time.Duration(float64(100*time.Millisecond) * r.k),
		Resolution: time.Duration(float64(250*time.Millisecond) * r.k), Seed: 24,
	}
	logf("model (freshness.Model, the prediction):")
	logf("| set /h | median | p95 | max | last hour: p95, slope min/h | slope after the first hour | calls/h | backlog at end | recovery |")
	logf("|---|---|---|---|---|---|---|---|---|")
	for _, p := range m.Run() {
		rec := "—"
		if p.Recovered {
			rec = p.Recovery.Round(time.Minute).String()
		}
		logf("| %.0f | %.1f | %.1f | %.1f | %.1f, %+.1f | %+.1f | %.1f | %d | %s |", p.Set,
			p.Median.Minutes(), p.P95.Minutes(), p.Max.Minutes(), p.LastP95.Minutes(), p.LastSlope, p.Slope,
			p.CallsPerHour, p.Backlog, rec)
	}
}

// recovery is how long after phase i began its changes were back to
// normal lag for good: the start of the first 10-minute slice from which
// every slice's p95 is at most normalLag.
func (r *result) recovery(i int) (time.Duration, bool) {
	from, to := r.phaseBounds(i)
	const slice = 10 * time.Minute
	var good time.Time
	for t := from; t.Before(to); t = t.Add(slice) {
		lags := r.lagsIn(t, t.Add(slice))
		// The run's last minutes are naturally not in Postgres yet: only
		// changes older than normalLag at the end count as missing.
		unresolved := r.unresolvedIn(t, minTime(t.Add(slice), r.end().Add(-normalLag)))
		if len(lags) == 0 || unresolved > 0 || quantile(lags, 0.95) > normalLag {
			good = time.Time{}
			continue
		}
		if good.IsZero() {
			good = t
		}
	}
	if good.IsZero() {
		return 0, false
	}
	return good.Sub(from), true
}

// logHours logs every slot: changes, lag, calls, backlog, River's rows and
// memory.
func (r *result) logHours(b *testing.B) {
	b.Helper()
	logf("per slot: | ends (h) | changes | median | p95 | max | poll calls | backfill calls | predicted | 429 | backlog | job rows (live) | RSS MB | heap MB |")
	prev := r.start
	for _, s := range r.snaps {
		lags := r.lagsIn(prev, s.end)
		cs := r.callsIn(prev, s.end)
		total, live := s.rows()
		logf("| %.1f | %d | %s | %s | %s | %d | %d | %d | %d | %d | %d (%d) | %.1f | %.1f |",
			s.end.Sub(r.start).Hours(), r.changesIn(prev, s.end), mins(quantile(lags, 0.5)), mins(quantile(lags, 0.95)),
			mins(quantile(lags, 1)), cs.poll, cs.backfill, cs.predicted, cs.throttled, s.backlog, total, live,
			float64(s.rssKB)/1024, float64(s.heapBytes)/1e6)
		prev = s.end
	}
}

func (r *result) reportBackfill(b *testing.B) {
	b.Helper()
	refill := 3600 * r.rate
	logf("k=%g, %g simulated hours at %.0f changes/h beside a backfill; %s real; refill %.2f calls/h, burst %g",
		r.k, r.o.hours, r.o.rates[0], r.elapsed.Round(time.Second), refill, r.burst)
	logf("| hour | changes | poll calls | backfill calls | 429 | backfill / (refill − poll) | p95 lag | polls late > 179 s (max) |")
	logf("|---|---|---|---|---|---|---|---|")
	prev := r.start
	var sumPoll, sumBackfill, hoursAfterFirst float64
	for i, s := range r.snaps {
		cs := r.callsIn(prev, s.end)
		span := s.end.Sub(prev).Hours()
		share := float64(cs.backfill) / (refill*span - float64(cs.poll))
		delays := r.pollDelays(prev, s.end)
		late := 0
		for _, d := range delays {
			if d > 179*time.Second {
				late++
			}
		}
		logf("| %d | %d | %d | %d | %d | %.0f %% | %s | %d of %d (%s min) |", i+1, r.changesIn(prev, s.end), cs.poll, cs.backfill,
			cs.throttled, 100*share, mins(quantile(r.lagsIn(prev, s.end), 0.95)), late, len(delays), mins(quantile(delays, 1)))
		if i > 0 {
			sumPoll += float64(cs.poll)
			sumBackfill += float64(cs.backfill)
			hoursAfterFirst += span
		}
		prev = s.end
	}
	if hoursAfterFirst > 0 {
		share := sumBackfill / (refill*hoursAfterFirst - sumPoll)
		logf("after the first hour (the burst): poll %.1f calls/h, backfill %.1f calls/h = %.0f %% of refill − poll", sumPoll/hoursAfterFirst,
			sumBackfill/hoursAfterFirst, 100*share)
		b.ReportMetric(100*share, "backfill-share-%")
	}
	all := r.pollDelays(r.start, r.start.Add(r.o.phase()))
	b.ReportMetric(quantile(all, 1).Seconds(), "max-poll-delay-s")
}

func envFloat(b *testing.B, name string, def float64) float64 {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		b.Fatalf("%s=%q is not a number", name, v)
	}
	if f == 0 {
		b.Skipf("%s=0", name)
	}
	return f
}

func envFloats(b *testing.B, name string, def []float64) []float64 {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []float64
	for _, part := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || f < 0 {
			b.Fatalf("%s=%q: want changes an hour, comma-separated", name, v)
		}
		out = append(out, f)
	}
	return out
}

// logf prints a report line to standard output: testing keeps only the
// first ten lines a benchmark logs.
func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// end is the end of the run's last phase.
func (r *result) end() time.Time { return r.start.Add(time.Duration(len(r.o.rates)) * r.o.phase()) }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
