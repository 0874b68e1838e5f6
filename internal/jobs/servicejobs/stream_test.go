package servicejobs_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

// TestResumeMarket: where a backfill window's saved token puts its walk
// over the account's sorted marketplaces.
func TestResumeMarket(t *testing.T) {
	t.Parallel()
	const mx, ca, us = "A1AM78C64UM0Y8", "A2EUQ1WTGCTBG2", "ATVPDKIKX0DER"
	three := []string{mx, ca, us}

	tests := []struct {
		name       string
		markets    []string
		token      string
		wantMarket string
		wantToken  string
	}{
		{"NoTokenIsTheFirstMarketplacesFirstPage", three, "", mx, ""},
		{"AMarketplacesFirstPage", three, "marketplace:" + ca + ":", ca, ""},
		{"AmazonsTokenWithinAMarketplace", three, "marketplace:" + ca + ":abc:def==", ca, "abc:def=="},
		{"ARemovedMarketplaceHandsOnToTheNext", []string{mx, us}, "marketplace:" + ca + ":abc", us, ""},
		{"PastTheLastTheLastAgain", []string{mx, ca}, "marketplace:" + us + ":abc", ca, ""},
		{"AnEarlierReleasesTokenGoesOnInTheOnlyMarketplace", []string{us}, "abc", us, "abc"},
		{"AnEarlierReleasesTokenOfSeveralStartsAgain", three, "abc", mx, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			market, token := servicejobs.ResumeMarket(tt.markets, tt.token)
			require.Equal(t, tt.wantMarket, market)
			require.Equal(t, tt.wantToken, token)
		})
	}
}
