package jobs

import (
	"errors"
	"fmt"

	"github.com/spsync/spsync/internal/spapi"
)

// MaxPageTokenRestarts is how many times one run of a poll or backfill
// window starts its walk again after Amazon refused an expired page token.
// Amazon keeps tokens for minutes; tokens that keep expiring mean the run is
// too slow now, and River's retry is the better wait.
const MaxPageTokenRestarts = 3

// ExpiredPageToken reports whether err answers a request that carried a
// page token (withToken) with InvalidInput: what Amazon says when the token
// has expired. The walk can start again from its first page and lose
// nothing; pages already stored come back as no-op upserts.
func ExpiredPageToken(err error, withToken bool) bool {
	var apiErr *spapi.Error
	return withToken && errors.As(err, &apiErr) && apiErr.Kind == spapi.KindInvalidInput
}

// PageTokenGiveUp is the error a run returns after MaxPageTokenRestarts
// restarts. The cause is kept as text only (%v): an expired token is not bad
// input for good, and JobError would cancel the job on a classified
// InvalidInput instead of letting River retry it.
func PageTokenGiveUp(op string, err error) error {
	return fmt.Errorf("%s: the page token expired %d times in one run: %v", op, MaxPageTokenRestarts+1, err)
}
