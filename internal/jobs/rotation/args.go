package rotation

import (
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// CheckArgs is the periodic check that finds applications due for a
// rotation. One runs at a time across workers.
type CheckArgs struct{}

// Kind is the River job kind.
func (CheckArgs) Kind() string { return "client_secret_rotation_check" }

// InsertOpts keeps one check at a time in the default queue.
func (CheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, Priority: jobs.PriorityPoll, UniqueOpts: jobs.UniqueWhileActive()}
}

// RotateArgs rotates the client secret of one application. It is unique by
// client id while active, so however many workers check at once, one
// rotation runs. It carries no secret.
type RotateArgs struct {
	ClientID string `json:"client_id" river:"unique"`
	// Operator marks a rotation asked for by `worker credentials rotate`:
	// it runs even when no expiry is near, after a give-up or a "not
	// enrolled" (the operator says the cause is fixed), and starts a new
	// count of attempts.
	Operator bool `json:"operator,omitempty"`
}

// Kind is the River job kind.
func (RotateArgs) Kind() string { return "client_secret_rotate" }

// InsertOpts puts rotations in the default queue, one per application at
// a time. Few attempts: a failure is recorded on the application and the
// next check (every CheckEvery) tries again while the expiry is near.
func (RotateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, Priority: jobs.PriorityPoll, MaxAttempts: 5, UniqueOpts: jobs.UniqueWhileActive()}
}
