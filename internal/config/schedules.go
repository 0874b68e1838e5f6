package config

import (
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// ScheduleSpec declares one periodic job's schedule: the variable an
// operator sets it with and its defaults. Each stream declares its own
// (jobs.Periodic.Cron; the registry lists them, jobs.Streams.ScheduleSpecs);
// config reads whichever variables the streams declare and knows none of
// them, so a new stream's schedule needs no field, read or check here.
type ScheduleSpec struct {
	// Env is the variable that sets the schedule (SPSYNC_SERVICE_JOBS_CRON);
	// "" for a fixed schedule no operator sets.
	Env string
	// Default is the cron expression when Env is unset.
	Default string
	// SafetyNet, when set, is the default instead while notifications are
	// consumed (Schedules.SafetyNet): the poll then only catches what push
	// missed.
	SafetyNet string
}

// Schedules are the periodic jobs' cron expressions (robfig/cron standard
// syntax, descriptors like @every 5m allowed), as the streams declare them
// (ScheduleSpec) and the operator sets them.
type Schedules struct {
	// SafetyNet is true when notifications are consumed: unset schedules
	// with a ScheduleSpec.SafetyNet default to it, since the polls only
	// catch what push missed.
	SafetyNet bool
	// getenv reads the variables the specs name (Load's getenv); nil for
	// a configuration built in code, whose schedules are the defaults.
	getenv func(string) string
}

// SafetyNetSchedule is the default of the fulfillment orders poll when push
// is on: a third of the list calls of the 5-minute default, and a missed
// notification still reaches Postgres within about 15 minutes. The orders
// poll's safety net is budget-derived instead (jobs.SafetyNetPollRefills:
// five refills of searchOrders, 895 s, sooner when a page fills); this is
// its cron only where the budget-aware schedule is not used.
const SafetyNetSchedule = "*/15 * * * *"

// Configured is the cron expression the operator set for spec ("" when
// its variable is unset, or spec has none).
func (s Schedules) Configured(spec ScheduleSpec) string {
	if spec.Env == "" || s.getenv == nil {
		return ""
	}
	return strings.TrimSpace(s.getenv(spec.Env))
}

// Cron is spec's cron expression: the configured one, else its default
// (its SafetyNet default while notifications are consumed).
func (s Schedules) Cron(spec ScheduleSpec) string {
	if v := s.Configured(spec); v != "" {
		return v
	}
	if s.SafetyNet && spec.SafetyNet != "" {
		return spec.SafetyNet
	}
	return spec.Default
}

// Check refuses a schedule of specs that is not a cron expression, naming
// its variable and the fix. The worker and the command line check the
// registry's specs right after Load, so a typo stops the start as every
// other configuration error does.
func (s Schedules) Check(specs []ScheduleSpec) error {
	for _, spec := range specs {
		expr := s.Cron(spec)
		if _, err := cron.ParseStandard(expr); err != nil {
			name := spec.Env
			if name == "" {
				name = "schedule"
			}
			return &Error{name, fmt.Sprintf("%q is not a cron expression (%v): use 5 fields like \"*/5 * * * *\" or \"@every 5m\"", expr, err)}
		}
	}
	return nil
}
