package jobs

import (
	"sort"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// ActiveStates are the job states in which a duplicate would be redundant:
// the job is queued, scheduled or running. A completed job does not block
// a new one, so the next poll or an on-demand refresh can always be
// inserted. (River requires available, pending, running and scheduled.)
var ActiveStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// UniqueWhileActive is the uniqueness of polls and refreshes: one per args
// until it finishes.
func UniqueWhileActive() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByState: ActiveStates}
}

// UniqueForever is the uniqueness of follow-ups keyed by a version of
// their entity (an order's LastUpdateDate, say): once done for that
// version, a later poll that sees the same version queues nothing. It is
// River's default set of states, completed ones included.
func UniqueForever() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true}
}

// Scope names a marketplace set for cursors and progress rows: the sorted
// ids joined by commas, so the same set always maps to the same cursor.
func Scope(marketplaceIDs []string) string {
	ids := append([]string(nil), marketplaceIDs...)
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
