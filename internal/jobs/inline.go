package jobs

import (
	"context"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/budget"
)

// Middleware is what every River client that runs spsync's jobs installs:
// each job asks for rate tokens as itself (budget.InLine, holder "job ID"),
// so follow-ups that find their bucket empty are served in the order they
// asked, across snoozes and worker processes, rather than by whichever wakes
// first; and each job's token requests know its queue, so a job does not
// wait in its slot for a token while other jobs wait for the slot
// (yield.go).
func Middleware() []rivertype.Middleware {
	return []rivertype.Middleware{river.WorkerMiddlewareFunc(inLine), river.WorkerMiddlewareFunc(inQueue)}
}

func inLine(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(budget.InLine(ctx, "job "+strconv.FormatInt(job.ID, 10)))
}
