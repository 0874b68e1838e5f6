package rotation

import (
	"github.com/riverqueue/river"
)

// CheckPeriodicID is the check's periodic job id.
const CheckPeriodicID = "client_secret_rotation_check"

// Register adds the check's and the rotation's workers. Register them in
// every worker with a secret key, automatic rotation on or off: an
// operator's `worker credentials rotate` inserts a rotation either way.
func Register(workers *river.Workers, d *Deps) {
	river.AddWorker(workers, NewCheckWorker(d))
	river.AddWorker(workers, NewRotateWorker(d))
}

// PeriodicJobs returns the check, every d.CheckEvery on the real clock and
// once at start. It also warns of near expiries with rotation off.
func PeriodicJobs(d *Deps) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(
		river.PeriodicInterval(d.CheckEvery),
		func() (river.JobArgs, *river.InsertOpts) { return CheckArgs{}, nil },
		&river.PeriodicJobOpts{ID: CheckPeriodicID, RunOnStart: true},
	)}
}
