package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/oauth/oauthtest"
)

// TestRiverUIInABrowser loads River UI through the worker's HTTP server in
// headless Chromium and finds the job list with the worker's own jobs in
// it: the page's scripts ran and its API calls reached River.
func TestRiverUIInABrowser(t *testing.T) {
	t.Parallel()
	chromium := oauthtest.RequireChromium(t)
	ctx := context.Background()
	w := startWorker(t, map[string]string{"SPSYNC_SIM_RATE_SCALE": "50"})
	base := w.base

	var dom string
	require.Eventually(t, func() bool {
		cctx, ccancel := context.WithTimeout(ctx, 90*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
			"--virtual-time-budget=10000", "--dump-dom", base+"/riverui/jobs?state=completed").Output()
		if err != nil {
			t.Logf("chromium: %v", err)
			return false
		}
		dom = string(out)
		// Completed jobs of the worker's own streams show in the list
		// (newest first: item fetches soon push the first polls off the
		// page, so any of the kinds will do).
		for _, kind := range []string{"orders_poll", "order_items", "service_jobs_poll", "fulfillment_orders_poll", "fulfillment_order_detail", "package_tracking"} {
			if strings.Contains(dom, ">"+kind+"<") {
				return true
			}
		}
		return false
	}, 4*time.Minute, time.Second, "River UI's job list never showed the worker's jobs; last DOM:\n%.2000s", dom)

	require.Equal(t, 0, w.stop(t), w.stderr.String())
}
