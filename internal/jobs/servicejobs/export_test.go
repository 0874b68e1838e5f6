package servicejobs

import "time"

// RefreshDelay exposes refreshDelay with o's defaults applied.
func RefreshDelay(now time.Time, next *time.Time, o Options) time.Duration {
	return refreshDelay(now, next, o.withDefaults())
}

// ResumeMarket exposes resumeMarket.
func ResumeMarket(markets []string, token string) (market, pageToken string) {
	return resumeMarket(markets, token)
}
