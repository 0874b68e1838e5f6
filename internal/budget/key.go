package budget

import "fmt"

// Key names one token bucket. Amazon limits each seller+application pair
// per operation and region; an spsync account is such a pair.
type Key struct {
	AccountID string
	Region    string
	Operation string
}

// String renders the key for logs and errors.
func (k Key) String() string {
	return fmt.Sprintf("%s/%s/%s", k.AccountID, k.Region, k.Operation)
}

// Class is a caller's priority for tokens. A lower class (a larger value)
// may not take a bucket below the reserve kept for the classes above it.
type Class int

const (
	// ClassPoll is the incremental pollers: highest priority, no reserve.
	ClassPoll Class = iota + 1
	// ClassFollowup is detail fetches and refreshes caused by polls.
	ClassFollowup
	// ClassLookback is the rest of an account's first window, walked
	// behind its first poll (a lookback backfill): history the account has
	// never had, so it may spend the burst down to the follow-ups' reserve
	// and one token more (a poll's next window), not to half of it.
	ClassLookback
	// ClassBackfill is history: lowest priority.
	ClassBackfill
)

// String names the class in metrics and logs.
func (c Class) String() string {
	switch c {
	case ClassPoll:
		return "poll"
	case ClassFollowup:
		return "followup"
	case ClassLookback:
		return "lookback"
	case ClassBackfill:
		return "backfill"
	default:
		return fmt.Sprintf("class(%d)", int(c))
	}
}
