package freshness

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/spsync/spsync/internal/jobs"
)

// Model is the prediction the benchmark is measured against: the orders
// poll replayed as a discrete-event model, with nothing of spsync but its
// schedule. It draws the same kind of change stream the simulator's
// OrderRates make (round(rate × phase) changes per phase at uniformly
// drawn instants), and runs the self-scheduled poll on it: a window from
// the cursor to two minutes before its first call, ⌈changes / page⌉
// calls (at least one), each taking a token of a bucket of Burst − 1
// (spsync's margin) refilling at Rate, a wait for the token when there is
// none, then jobs.ChangeRate and jobs.NextPoll exactly as the poll calls
// them. A change's lag is the time of the call whose page lists it (pages
// in time order, as Amazon's and the simulator's) plus the sampling's
// resolution.
//
// What the model leaves out is what the benchmark then shows: River, Postgres,
// the simulator and the wake-up latency of a snoozed job beyond Wake.
type Model struct {
	// Rates are the changes an hour, in sequence, each for Phase.
	Rates []float64
	Phase time.Duration
	// Warmup is the quiet time before the first phase (the benchmark's ten
	// minutes).
	Warmup time.Duration
	// Rate and Burst are the list operation's usage plan (searchOrders:
	// 0.0056/s, 20).
	Rate  float64
	Burst float64
	// PageSize is the most changes a call lists (100).
	PageSize int
	// Wake is how long after it is due a snoozed poll runs; Resolution the
	// sampling interval of the lag measure (each change's lag gains a
	// uniform draw from [0, Resolution)).
	Wake, Resolution time.Duration
	// Seed draws the change instants and the sampling.
	Seed uint64
}

// ModelPhase is the model's figures for one phase, as the benchmark
// reports them.
type ModelPhase struct {
	Set              float64
	Median, P95, Max time.Duration
	LastP95          time.Duration // the phase's last hour
	LastSlope        float64       // lag gained, minutes an hour, in the last hour
	Slope            float64       // over the phase after its first hour
	CallsPerHour     float64
	Backlog          int // changes made before the phase's end not listed by then
	Recovery         time.Duration
	Recovered        bool
	lags             []lagAt
}

type lagAt struct {
	at  float64 // seconds since the first phase began
	lag float64 // seconds
}

// Run replays the poll over every phase.
func (m Model) Run() []ModelPhase {
	page := m.PageSize
	if page <= 0 {
		page = 100
	}
	rng := rand.New(rand.NewPCG(m.Seed, 24))
	phase := m.Phase.Seconds()
	// Change instants, seconds since the first phase began.
	var changes []float64
	for i, r := range m.Rates {
		n := int(math.Round(r * phase / 3600))
		for j := 0; j < n; j++ {
			changes = append(changes, float64(i)*phase+rng.Float64()*phase)
		}
	}
	sort.Float64s(changes)
	end := float64(len(m.Rates)) * phase
	listedAt := make([]float64, len(changes))
	for i := range listedAt {
		listedAt[i] = math.Inf(1)
	}
	var calls []float64

	settle := jobs.AmazonSettle.Seconds()
	wake := m.Wake.Seconds()
	size := m.Burst - 1
	if m.Burst < 2 {
		size = m.Burst
	}
	level, levelAt := size, -m.Warmup.Seconds()
	refill := func(t float64) {
		level = math.Min(size, level+(t-levelAt)*m.Rate)
		levelAt = t
	}
	take := func(t float64) float64 { // a token at t or when one is there
		refill(t)
		if level < 1 {
			t += (1-level)/m.Rate + wake
			refill(t)
		}
		level--
		calls = append(calls, t)
		return t
	}

	t := -m.Warmup.Seconds()
	cursor := t - settle
	next := 0 // first change after the cursor
	rate := -1.0
	for t < end {
		t = take(t)
		from, to := cursor, math.Floor(t-settle)
		hi := sort.SearchFloat64s(changes, to+1e-9) // changes ≤ to
		n := hi - next
		pages := max(1, (n+page-1)/page)
		for p := 0; p < pages; p++ {
			if p > 0 {
				t = take(t)
			}
			for i := next + p*page; i < min(hi, next+(p+1)*page); i++ {
				listedAt[i] = t
			}
		}
		next, cursor = hi, to
		rate = jobs.ChangeRate(rate, int64(n), time.Duration((to-from)*float64(time.Second)))
		refill(t)
		plan := jobs.NextPoll(jobs.PollObservation{
			ChangeRate: rate, Rate: m.Rate, Burst: size, Level: level, PageSize: page,
			Behind: time.Duration(math.Max(0, t-settle-to) * float64(time.Second)),
		})
		t += plan.Delay.Seconds() + wake
	}

	res := m.Resolution.Seconds()
	out := make([]ModelPhase, len(m.Rates))
	var all []lagAt
	for i, c := range changes {
		if !math.IsInf(listedAt[i], 1) {
			all = append(all, lagAt{at: c, lag: listedAt[i] - c + rng.Float64()*res})
		}
	}
	for i, r := range m.Rates {
		from, to := float64(i)*phase, float64(i+1)*phase
		p := ModelPhase{Set: r}
		var lags, last []float64
		for _, l := range all {
			if l.at >= from && l.at < to {
				lags = append(lags, l.lag)
				p.lags = append(p.lags, l)
				if l.at >= to-math.Min(3600, phase) {
					last = append(last, l.lag)
				}
			}
		}
		sort.Float64s(lags)
		sort.Float64s(last)
		p.Median, p.P95, p.Max = dur(q(lags, 0.5)), dur(q(lags, 0.95)), dur(q(lags, 1))
		p.LastP95 = dur(q(last, 0.95))
		p.LastSlope = slope(p.lags, to-math.Min(3600, phase), to)
		p.Slope = slope(p.lags, from+math.Min(3600, phase/3), to)
		nc := 0
		for _, c := range calls {
			if c >= from && c < to {
				nc++
			}
		}
		p.CallsPerHour = float64(nc) / (phase / 3600)
		for j, c := range changes {
			if c < to && listedAt[j] > to {
				p.Backlog++
			}
		}
		out[i] = p
	}
	// Recovery, as the benchmark measures it: the first 10-minute slice of
	// a phase from which every slice's p95 is at most normal lag.
	for i := 1; i < len(out); i++ {
		from, to := float64(i)*phase, float64(i+1)*phase
		good := math.NaN()
		for s := from; s < to; s += 600 {
			var ls []float64
			for _, l := range out[i].lags {
				if l.at >= s && l.at < s+600 {
					ls = append(ls, l.lag)
				}
			}
			sort.Float64s(ls)
			if len(ls) == 0 || q(ls, 0.95) > normalLagSeconds {
				good = math.NaN()
				continue
			}
			if math.IsNaN(good) {
				good = s
			}
		}
		if !math.IsNaN(good) {
			out[i].Recovered, out[i].Recovery = true, dur(good-from)
		}
	}
	return out
}

// normalLagSeconds is the acceptance's normal lag (p95 ≤ 8 minutes).
const normalLagSeconds = 8 * 60

func q(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[min(len(v)-1, int(p*float64(len(v))))]
}

func dur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// slope is the least-squares slope of lag (minutes) over change time
// (hours) for the changes of [from, to).
func slope(ls []lagAt, from, to float64) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, l := range ls {
		if l.at < from || l.at >= to {
			continue
		}
		x, y := (l.at-from)/3600, l.lag/60
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
