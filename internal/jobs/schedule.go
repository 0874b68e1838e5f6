package jobs

import (
	"math"
	"time"
)

// A list operation's bucket is the scarcest thing a poll spends: Orders
// 2026-01-01's searchOrders refills one call every 179 s (0.0056/s, burst
// 20), so polling alone carries at most 3,600 × 0.0056 × 100 ≈ 2,016 changed
// orders an hour, and every call a poll spends is one a backfill on the same
// bucket does not get. NextPoll decides when an account's poll runs next from
// numbers the poll observed, and nothing else: it is a pure function, so a
// benchmark can predict what the schedule will spend and compare.
//
// The cadences, in refills (1/rate; 179 s at Amazon's rate):
//
//   - Fresh (nothing else needs the bucket): every refill. Below the ceiling
//     each poll's window holds a page of changes or fewer on average, so it
//     mostly costs one call, and the poll spends what the bucket refills.
//     Near the ceiling some windows hold more than a page (at 1,800 an hour
//     one in eight): their second calls come from the burst, and once it is
//     spent the polls wait for tokens and list longer windows. Lag stays
//     under a refill plus Amazon's two minutes (≈ 5 minutes) while the
//     burst lasts (internal/freshness's Model predicts the rest).
//   - Backfill (a backfill walks the same bucket): when a page fills
//     (pageFill / change rate), at least a refill apart and at most
//     BackfillPollRefills refills apart (≈ 9 minutes): every call the poll
//     spends lists close to a page, or is the one call its lag target needs,
//     and the rest of the refill goes to the backfill.
//   - Safety net (push notifications carry the changes; getOrder's own
//     bucket, 0.5/s = 1,800 orders an hour, fetches each one): when a page
//     fills, at most SafetyNetPollRefills refills apart (≈ 15 minutes, the
//     previous fixed default): a missed notification still reaches Postgres
//     within about 17 minutes, for a fifth of the bucket when idle.
//   - Over the ceiling (more changes than full pages every refill can list):
//     every refill, each poll walking all it can; the poll spends the whole
//     bucket and still falls behind, its lag growing by LagSlope hours an
//     hour. Only push (getOrder) can carry such a rate.
//
// No cadence spends more than the bucket refills (CallsPerHour ≤
// BudgetPerHour), and the next poll is not due before the bucket holds its
// first call (Delay); a window of several pages takes the later ones as
// they refill (the budget's Acquire, a snooze between pages).

// BackfillPollRefills is the longest a poll waits between runs, in refills
// of its bucket, while a backfill walks the same bucket: 3 (≈ 9 minutes for
// searchOrders, a lag target of about 11 minutes).
const BackfillPollRefills = 3

// SafetyNetPollRefills is the longest a safety-net poll (push on) waits
// between runs, in refills of its bucket: 5 (895 s ≈ 15 minutes for
// searchOrders, the previous fixed default, now derived from the budget).
const SafetyNetPollRefills = 5

// amazonSettle is Amazon's two-minute rule: a window ends at least two
// minutes before the request, so a change waits that long before any
// window can list it.
const amazonSettle = 2 * time.Minute

// AmazonSettle is amazonSettle for the streams' packages.
const AmazonSettle = amazonSettle

// Poll modes, as NextPoll names them (and `worker status` shows them).
const (
	PollModeFresh       = "fresh"
	PollModeBackfill    = "backfill"
	PollModeSafetyNet   = "safety-net"
	PollModeOverCeiling = "over-ceiling"
)

// PollObservation is what a poll observed, in one time base: the bucket's
// (rates per second of it; the change rate per hour of it). In production
// that is the wall clock; an accelerated benchmark scales all of it together.
type PollObservation struct {
	// ChangeRate is the changes an hour the account's recent windows held
	// (ChangeRate folds each window in).
	ChangeRate float64
	// Rate, Burst and Level are the list operation's bucket: tokens refilled
	// per second, its size, and the tokens in it now.
	Rate, Burst, Level float64
	// PageSize is the most changes one call lists. Defaults to 100.
	PageSize int
	// Behind is how far the cursor lags the newest end a window could have
	// now (now − 2 min − cursor): the part of the next window that has
	// already passed. Zero right after a window completes.
	Behind time.Duration
	// Backfill is true while a backfill walks the same bucket.
	Backfill bool
	// SafetyNet is true when push notifications carry the changes and the
	// poll only catches what they missed.
	SafetyNet bool
}

// PollPlan is NextPoll's decision, with the prediction behind it.
type PollPlan struct {
	// Mode is the cadence chosen (PollModeFresh, …).
	Mode string
	// Interval is the cadence at this change rate: the time between polls.
	Interval time.Duration
	// Delay is how long from now the next poll runs: Interval less what the
	// cursor is already behind, and never before the bucket holds a call.
	Delay time.Duration
	// Calls is what the next poll is expected to spend: ⌈changes in its
	// window / PageSize⌉, at least one.
	Calls float64
	// CallsPerHour is what the cadence spends an hour at this change rate:
	// max(1, ⌈ChangeRate × Interval / PageSize⌉) per Interval, at most the
	// bucket's refill.
	CallsPerHour float64
	// BudgetPerHour is the bucket's refill an hour: 3,600 × Rate.
	BudgetPerHour float64
	// Headroom is BudgetPerHour − CallsPerHour: what the poll leaves for
	// backfills and everything else on the bucket.
	Headroom float64
	// Ceiling is the change rate polling alone can carry: a full page every
	// refill, 3,600 × Rate × PageSize an hour (≈ 2,016 for searchOrders).
	Ceiling float64
	// OverCeiling is ChangeRate > Ceiling: the poll falls behind whatever its
	// cadence, and push is the remedy.
	OverCeiling bool
	// LagTarget is the change→row lag the cadence keeps: Interval plus
	// Amazon's two minutes (0 over the ceiling, where lag grows).
	LagTarget time.Duration
	// LagSlope is, over the ceiling, how much lag grows per unit of time
	// (1 − Ceiling/ChangeRate); 0 otherwise.
	LagSlope float64
}

// NextPoll decides an account's next poll from what it observed (see the
// cadences above). It is pure: the same observation always gives the same
// plan.
func NextPoll(o PollObservation) PollPlan {
	page := float64(o.PageSize)
	if page <= 0 {
		page = 100
	}
	rate := o.Rate
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		rate = 1
	}
	lambda := math.Max(0, o.ChangeRate) / 3600 // changes per second
	refill := 1 / rate                         // seconds
	plan := PollPlan{BudgetPerHour: 3600 * rate, Ceiling: 3600 * rate * page}
	plan.OverCeiling = o.ChangeRate > plan.Ceiling

	fill := math.Inf(1) // seconds until a window holds a page's worth
	if lambda > 0 {
		fill = pageFill(page) / lambda
	}
	interval := refill
	switch {
	case plan.OverCeiling:
		plan.Mode = PollModeOverCeiling
		plan.LagSlope = 1 - plan.Ceiling/o.ChangeRate
	case o.SafetyNet:
		plan.Mode = PollModeSafetyNet
		interval = clamp(fill, refill, SafetyNetPollRefills*refill)
	case o.Backfill:
		plan.Mode = PollModeBackfill
		interval = clamp(fill, refill, BackfillPollRefills*refill)
	default:
		plan.Mode = PollModeFresh
	}
	plan.Interval = seconds(interval)

	perWindow := pages(lambda*interval, page)
	plan.CallsPerHour = math.Min(plan.BudgetPerHour, perWindow*3600/interval)
	plan.Headroom = math.Max(0, plan.BudgetPerHour-plan.CallsPerHour)
	if !plan.OverCeiling {
		plan.LagTarget = plan.Interval + amazonSettle
	}

	behind := math.Max(0, o.Behind.Seconds())
	wait := math.Max(0, interval-behind)
	plan.Calls = pages(lambda*(behind+wait), page)
	if short := 1 - o.Level; short > 0 {
		wait = math.Max(wait, short/rate)
	}
	plan.Delay = seconds(wait)
	return plan
}

// ChangeRate folds one window into the observed change rate (changes an
// hour): an average weighted by time over about an hour, so a busy hour
// moves the schedule within the hour and one odd window does not. A
// window's weight is 1 − e^(−length/1h); the first window (prev < 0) sets
// the rate alone. Windows of no length leave it unchanged.
func ChangeRate(prev float64, changes int64, window time.Duration) float64 {
	if window <= 0 {
		return math.Max(0, prev)
	}
	observed := float64(changes) / window.Hours()
	if prev < 0 {
		return observed
	}
	w := 1 - math.Exp(-window.Hours())
	return prev + w*(observed-prev)
}

// pageFill is how many changes a waiting poll lets its window gather: as
// many as keep a second call rare. Changes arrive at random, so a window
// timed to hold exactly a page on average holds more than a page about half
// the time, and each of those costs a second call for a few changes (a
// backfill beside the 900-an-hour poll measured 11 → 16 poll calls an hour
// against the 9 predicted). Timed to hold m changes with m + 2√m = page (≈ 82
// of 100), a window needs a second call about one time in forty.
func pageFill(page float64) float64 {
	r := math.Sqrt(page+1) - 1
	return r * r
}

// pages is the calls a window of changes costs: ⌈changes / page⌉, at least
// one (an empty window still asks). A hair over a whole page from float
// rounding is not another call.
func pages(changes, page float64) float64 {
	return math.Max(1, math.Ceil(changes/page-1e-9))
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

func seconds(s float64) time.Duration {
	if math.IsInf(s, 0) || s > 1e9 {
		s = 1e9
	}
	return time.Duration(s * float64(time.Second))
}
