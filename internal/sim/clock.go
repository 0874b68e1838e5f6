package sim

import (
	"sync"
	"time"
)

// Clock tells the simulator what time it is. The simulator reads two clocks:
// the data clock decides which dataset events have happened (and what "now"
// means for the two-minute rule), the limiter clock drives token buckets and
// the expiry of access and paging tokens. Tests inject ManualClock for both so
// nothing depends on sleeping.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// ManualClock is a clock that only moves when told to, so tests can step the
// dataset or refill token buckets deterministically. It is safe for
// concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a ManualClock standing at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative) and
// returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set puts the clock at t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// AcceleratedClock runs Factor times faster than the wall clock from Base,
// so a demo can watch a day of orders flow through in minutes.
type AcceleratedClock struct {
	base      time.Time
	realStart time.Time
	factor    float64
	real      Clock
}

// NewAcceleratedClock returns a clock that reads base now and then advances
// factor seconds per real second.
func NewAcceleratedClock(base time.Time, factor float64) *AcceleratedClock {
	return &AcceleratedClock{base: base, realStart: time.Now(), factor: factor, real: RealClock{}}
}

// Now returns base plus the scaled real time elapsed since construction.
func (c *AcceleratedClock) Now() time.Time {
	elapsed := c.real.Now().Sub(c.realStart)
	return c.base.Add(time.Duration(float64(elapsed) * c.factor))
}
