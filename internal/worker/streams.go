package worker

import (
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
)

// register adds the workers of every stream of all (the registry,
// Options.Streams), and the backfill window worker that walks their
// history.
func register(workers *river.Workers, deps *jobs.Deps, all jobs.Streams) {
	all.Register(workers, deps)
	backfill.Register(workers, deps, all)
}
