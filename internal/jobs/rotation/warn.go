package rotation

import (
	"time"

	"github.com/spsync/spsync/internal/store"
)

// WarnBefore are the points before a known expiry at which spsync warns
// (log WARN once each per secret and process), largest first.
var WarnBefore = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}

// warningThreshold returns the smallest of WarnBefore that the time left
// until expires is within, and false when none is.
func warningThreshold(expires, now time.Time) (time.Duration, bool) {
	left := expires.Sub(now)
	var got time.Duration
	ok := false
	for _, w := range WarnBefore {
		if left <= w {
			got, ok = w, true
		}
	}
	return got, ok
}

// warnExpiry logs a warning for the application's primary secret when it
// crossed a new threshold of WarnBefore. It remembers what it warned in
// memory: a restarted worker warns once more.
func (d *Deps) warnExpiry(clientID string, primary *store.ApplicationSecret, dec Decision) {
	if primary == nil || primary.ExpiresAt == nil {
		return
	}
	now := d.Now()
	th, ok := warningThreshold(*primary.ExpiresAt, now)
	if !ok {
		return
	}
	d.warnings.mu.Lock()
	last, seen := d.warnings.warned[primary.ID]
	if seen && last <= th {
		d.warnings.mu.Unlock()
		return
	}
	d.warnings.warned[primary.ID] = th
	d.warnings.mu.Unlock()
	d.Logger.Warn("LWA client secret expires soon",
		"client_id", clientID, "secret_id", primary.ID, "expires_at", primary.ExpiresAt.UTC(),
		"left", primary.ExpiresAt.Sub(now).Round(time.Minute).String(), "threshold", th.String(),
		"automatic_rotation", d.Auto, "rotation", dec.Reason)
}
