package backfill

import "github.com/spsync/spsync/internal/jobs"

// WindowArgs fetches one window of one backfill (its type is in jobs, so
// that a stream's first poll can queue its lookback's window).
type WindowArgs = jobs.BackfillWindowArgs
