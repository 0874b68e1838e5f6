package jobs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

func TestExpiredPageToken(t *testing.T) {
	t.Parallel()
	invalid := fmt.Errorf("get orders page 3: %w", &spapi.Error{Op: spapi.OpGetOrders, Kind: spapi.KindInvalidInput, StatusCode: 400})
	throttled := &spapi.Error{Op: spapi.OpGetOrders, Kind: spapi.KindThrottled, StatusCode: 429}
	for _, tc := range []struct {
		name      string
		err       error
		withToken bool
		want      bool
	}{
		{"InvalidInputOnATokenPage", invalid, true, true},
		{"InvalidInputOnAFirstPage", invalid, false, false}, // the filters are wrong: bad input for good
		{"ThrottledTokenPage", throttled, true, false},
		{"OtherError", errors.New("connection reset"), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, jobs.ExpiredPageToken(tc.err, tc.withToken))
		})
	}

	// Giving up keeps the cause's text but not its class, so JobError lets
	// River retry instead of cancelling.
	gaveUp := jobs.PageTokenGiveUp(spapi.OpGetOrders, invalid)
	var apiErr *spapi.Error
	require.False(t, errors.As(gaveUp, &apiErr))
	require.Contains(t, gaveUp.Error(), "getOrders: the page token expired 4 times in one run")
	require.Contains(t, gaveUp.Error(), invalid.Error())
}
