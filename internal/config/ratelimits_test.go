package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
)

// TestParseRateLimits is budget's TestParsePlans moved with the parser: the
// same inputs give the same overrides and the same errors. Pinning the
// overrides is budget.DefaultPlans' job (TestDefaultPlansScaleRatesNotOverrides).
func TestParseRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
		want              map[string]config.RateLimit
	}{
		{name: "Empty", in: "", want: map[string]config.RateLimit{}},
		{name: "Two", in: "getOrders=0.5:30, getOrderItems=2:40", want: map[string]config.RateLimit{
			"getOrders":     {Rate: 0.5, Burst: 30},
			"getOrderItems": {Rate: 2, Burst: 40},
		}},
		{name: "UnknownOperation", in: "getOrdrs=1:2", wantErr: `unknown operation "getOrdrs"`},
		{name: "NoBurst", in: "getOrders=1", wantErr: "want op=rate:burst"},
		{name: "ZeroRate", in: "getOrders=0:20", wantErr: "rate must be a positive number"},
		{name: "SmallBurst", in: "getOrders=1:0.5", wantErr: "burst must be a number of at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseRateLimits(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestRateLimitsErrorNamesVariableAndFix pins the whole message Load gives for
// a bad SPSYNC_RATE_LIMITS, byte for byte as when budget parsed it.
func TestRateLimitsErrorNamesVariableAndFix(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{"SPSYNC_RATE_LIMITS": "getOrders=1"}))
	require.EqualError(t, err, `config: SPSYNC_RATE_LIMITS: "getOrders=1": want op=rate:burst: write it like "getOrders=0.0167:20,getOrderItems=0.5:30"`)

	cfg, err := config.Load(env(map[string]string{"SPSYNC_RATE_LIMITS": "getOrders=0.0167:20"}))
	require.NoError(t, err)
	require.Equal(t, map[string]config.RateLimit{"getOrders": {Rate: 0.0167, Burst: 20}}, cfg.RateLimits)
}
