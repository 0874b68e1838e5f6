package worker

import (
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/backfill"
	"github.com/spsync/spsync/internal/streams"
)

// register adds the workers of every stream of the registry, and the
// backfill window worker that walks their history.
func register(workers *river.Workers, deps *jobs.Deps, cfg *config.Config) jobs.Streams {
	all := streams.All(cfg)
	all.Register(workers, deps)
	backfill.Register(workers, deps, all)
	return all
}
