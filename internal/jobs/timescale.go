package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Scheduling decisions are made on Deps.Now (Amazon's clock: windows, lag,
// change rates), but River schedules on the real clock. In production the
// two run at the same speed; an accelerated benchmark runs Now TimeScale
// times faster, and so must every delay it hands River. The budget needs no
// conversion: it refills on the database's real clock at rates already
// scaled by the same factor, so its waits and snoozes are real durations.

// RealDuration converts a duration on Now's clock into the real duration
// River waits: d / TimeScale (d itself at the default scale of 1).
func (d *Deps) RealDuration(dur time.Duration) time.Duration {
	if d.TimeScale <= 0 || d.TimeScale == 1 {
		return dur
	}
	return time.Duration(float64(dur) / d.TimeScale)
}

// NowDuration converts a real duration (River's, the budget's) into one on
// Now's clock: d × TimeScale.
func (d *Deps) NowDuration(dur time.Duration) time.Duration {
	if d.TimeScale <= 0 || d.TimeScale == 1 {
		return dur
	}
	return time.Duration(float64(dur) * d.TimeScale)
}

// ScheduledAt is River's InsertOpts.ScheduledAt for a job due dur from now
// on Now's clock: dur / TimeScale from now on the real clock.
func (d *Deps) ScheduledAt(dur time.Duration) time.Time {
	return time.Now().Add(d.RealDuration(dur))
}

// ScaleSchedule returns sched, a schedule written in Now's time (a cron
// expression: "every 5 minutes of Amazon's clock"), as River's periodic
// enqueuer must read it on the real clock. At the default scale it returns
// sched itself.
func (d *Deps) ScaleSchedule(sched river.PeriodicSchedule) river.PeriodicSchedule {
	if d.TimeScale <= 0 || d.TimeScale == 1 {
		return sched
	}
	return scaledSchedule{sched: sched, deps: d}
}

type scaledSchedule struct {
	sched river.PeriodicSchedule
	deps  *Deps
}

// Next maps the real instant t onto Now's clock, asks the schedule there,
// and maps the answer back. The two clocks are read a moment apart, so t
// taken at a tick can map a hair before it; a tick within a real
// millisecond of t is t's own, and the one after it is next.
func (s scaledSchedule) Next(t time.Time) time.Time {
	at := s.deps.Now().Add(s.deps.NowDuration(t.Sub(time.Now())))
	next := s.sched.Next(at)
	if next.Sub(at) < s.deps.NowDuration(time.Millisecond) {
		next = s.sched.Next(next)
	}
	return t.Add(s.deps.RealDuration(next.Sub(at)))
}
