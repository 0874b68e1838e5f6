package store

import "time"

// ReconcileQuery bounds the rows a reconciliation looks at. A follow-up job
// can be lost (it failed for good, or an operator deleted it); the rows it
// should have written then stay behind, and a reconciliation queues it
// again.
type ReconcileQuery struct {
	AccountID string
	// UntouchedSince selects rows not written since this time (the database
	// clock that stamps synced_at and first_seen_at): their follow-up should
	// have run by then. Younger rows most likely have a job pending. Zero
	// means now.
	UntouchedSince time.Time
	// NewerThan leaves out rows older than this (by Amazon's dates: ship
	// date, status change): their follow-ups ended on purpose at the age
	// limit, so they are not revived. Zero means no limit.
	NewerThan time.Time
	// Limit caps the rows returned.
	Limit int
}

// bounds returns the two times with their zero values filled in.
func (q ReconcileQuery) bounds() (untouchedSince, newerThan time.Time) {
	untouchedSince, newerThan = q.UntouchedSince, q.NewerThan
	if untouchedSince.IsZero() {
		untouchedSince = time.Now()
	}
	if newerThan.IsZero() {
		// Far enough back for any SP-API date, well inside timestamptz.
		newerThan = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return untouchedSince, newerThan
}
