package jobs

import (
	"fmt"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
)

// CronSchedule parses a standard five-field cron expression (or a descriptor
// such as "@every 5m") into a River schedule. robfig/cron's Schedule has the
// same Next(time.Time) time.Time method River's PeriodicSchedule needs.
func CronSchedule(expr string) (river.PeriodicSchedule, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("parse cron expression %q: %w", expr, err)
	}
	return sched, nil
}

// NewCronJob is river.NewPeriodicJob over a cron expression. The job also
// runs once when the scheduler starts, so a freshly started worker polls
// right away instead of waiting for the next tick.
func NewCronJob(id, expr string, constructor river.PeriodicJobConstructor) (*river.PeriodicJob, error) {
	sched, err := CronSchedule(expr)
	if err != nil {
		return nil, fmt.Errorf("periodic job %s: %w", id, err)
	}
	return river.NewPeriodicJob(sched, constructor, &river.PeriodicJobOpts{ID: id, RunOnStart: true}), nil
}
