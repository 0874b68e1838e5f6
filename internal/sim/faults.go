package sim

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Faults switches on injected failures. Every field is a probability per
// request in [0, 1]; zero disables the fault. Decisions come from a
// generator seeded with Seed, so a single-threaded client sees the same
// faults on every run.
type Faults struct {
	// Seed seeds fault decisions; SetFaults restarts the sequence.
	Seed int64
	// Ops limits faults to these operations; empty means all operations.
	// The token endpoint is never faulted.
	Ops []string

	// Error500 and Error503 answer with InternalFailure / ServiceUnavailable.
	Error500 float64
	Error503 float64
	// Latency delays the answer by LatencyDuration (default 100ms).
	Latency         float64
	LatencyDuration time.Duration
	// DropConnection closes the connection without answering.
	DropConnection float64
	// MalformedJSON answers 200 with a body that is not JSON.
	MalformedJSON float64
	// TruncatedJSON answers 200 with the first half of the real body.
	TruncatedJSON float64
	// ExpireAccessToken expires the caller's access token, so this and
	// every later call with it get Amazon's 403 "The access token you
	// provided has expired." until the client refreshes.
	ExpireAccessToken float64
	// Throttle starts a run of ThrottleBurst (default 1) forced 429s for
	// the caller's (account, operation), whatever its bucket holds.
	Throttle      float64
	ThrottleBurst int
	// ExpirePageToken treats a presented, otherwise valid paging token as
	// expired.
	ExpirePageToken float64
	// ReportFatal ends a report FATAL as it completes, with this
	// probability per report. Unlike the others it is decided by a hash of
	// Seed, the account and the report id rather than the call sequence,
	// so a report's fate does not depend on how often it was polled. It
	// applies when Ops is empty or names createReport.
	ReportFatal float64
}

// faultState is the live fault configuration, safe to swap while serving.
type faultState struct {
	mu       sync.Mutex
	f        Faults
	rng      *rand.Rand
	throttle map[[2]string]int
}

func newFaultState(f Faults) *faultState {
	fs := &faultState{}
	fs.set(f)
	return fs
}

func (fs *faultState) set(f Faults) {
	if f.LatencyDuration <= 0 {
		f.LatencyDuration = 100 * time.Millisecond
	}
	if f.ThrottleBurst <= 0 {
		f.ThrottleBurst = 1
	}
	f.Ops = slices.Clone(f.Ops)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x5eed))
	fs.throttle = map[[2]string]int{}
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	f.Ops = slices.Clone(f.Ops)
	return f
}

// roll decides one fault for a call of op.
func (fs *faultState) roll(op string, pick func(Faults) float64) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	p := pick(fs.f)
	if p <= 0 || (len(fs.f.Ops) > 0 && !slices.Contains(fs.f.Ops, op)) {
		return false
	}
	return fs.rng.Float64() < p
}

// forcedThrottle reports whether this call falls in a forced 429 run,
// starting a new run with probability Throttle.
func (fs *faultState) forcedThrottle(account, op string) bool {
	k := [2]string{account, op}
	fs.mu.Lock()
	if n := fs.throttle[k]; n > 0 {
		fs.throttle[k] = n - 1
		fs.mu.Unlock()
		return true
	}
	burst := fs.f.ThrottleBurst
	fs.mu.Unlock()
	if fs.roll(op, func(f Faults) float64 { return f.Throttle }) {
		fs.mu.Lock()
		fs.throttle[k] = burst - 1
		fs.mu.Unlock()
		return true
	}
	return false
}

// SetFaults replaces the fault configuration; safe while serving.
func (s *Sim) SetFaults(f Faults) { s.faults.set(f) }

// Faults returns the current fault configuration.
func (s *Sim) Faults() Faults { return s.faults.get() }
