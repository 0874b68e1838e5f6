package backfill

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// WindowArgs fetches one window of one backfill.
type WindowArgs struct {
	BackfillID  int64     `json:"backfill_id"`
	AccountID   string    `json:"account_id"`
	Stream      string    `json:"stream"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Via is ViaLookback for a lookback backfill's window (pages by last
	// update date); empty for ViaAPI.
	Via string `json:"via,omitempty"`
}

// Kind is the River job kind.
func (WindowArgs) Kind() string { return "backfill_window" }

// InsertOpts puts windows in the backfill queue at the lowest priority.
func (WindowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueBackfill, Priority: jobs.PriorityBackfill}
}
