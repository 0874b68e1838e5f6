package servicejobs

import (
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// Stream is the name of this stream's cursors.
const Stream = "service_jobs"

// PollArgs polls getServiceJobs for one marketplace of an account.
//
// getServiceJobs takes exactly one marketplace per call (services.json
// declares marketplaceIds with maxItems 1), so each marketplace has its own
// poll, cursor and retries. A PollArgs without MarketplaceID is the
// account's poll: it queues one poll per configured marketplace and returns.
// The periodic job and `worker run --once` insert that one, and it is also
// what a poll queued by a release before per-marketplace polls reads as
// (its args have only account_id), so such a job still runs after an
// upgrade.
type PollArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	// MarketplaceID is the one marketplace polled; empty for the account's
	// poll. Omitted from the JSON when empty, so the account's poll keeps
	// the args (and the unique key) of earlier releases.
	MarketplaceID string `json:"marketplace_id,omitempty" river:"unique"`
}

// Kind is the River job kind.
func (PollArgs) Kind() string { return "service_jobs_poll" }

// InsertOpts puts polls first and allows one per account and marketplace at
// a time: a marketplace whose poll is still retrying does not hold back the
// polls of the account's other marketplaces.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePoll, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// RefreshArgs refetches one service job (getServiceJobByServiceJobId).
//
// Scheduled marks the refreshes the poller schedules for open jobs: they
// are skipped, without calling Amazon, when the stored job has closed
// (COMPLETED or CANCELLED) meanwhile. Without it the refresh is on demand
// and always fetches. Scheduled is part of the job's identity, so an
// on-demand refresh is not held back by a scheduled one that waits hours.
type RefreshArgs struct {
	AccountID    string `json:"account_id" river:"unique"`
	ServiceJobID string `json:"service_job_id" river:"unique"`
	Scheduled    bool   `json:"scheduled,omitempty" river:"unique"`
}

// Kind is the River job kind.
func (RefreshArgs) Kind() string { return "service_job_refresh" }

// InsertOpts makes a refresh a follow-up, one per job at a time.
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueFollowup, Priority: jobs.PriorityFollowup, UniqueOpts: jobs.UniqueWhileActive()}
}
