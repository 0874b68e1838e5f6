// Package workertest runs a real worker (worker.Run) inside a test of
// another package, the way the monitoring and onboarding tests need one: it
// starts, reports ready, and stops cleanly when the test ends.
package workertest

import (
	"context"
	"testing"
	"time"

	"github.com/spsync/spsync/internal/worker"
)

// Start runs worker.Run with opts until the test ends and returns what the
// worker reported once ready. Ready and, when zero, ShutdownTimeout (5 s)
// are set here. The test fails if the worker stops before it is ready, is
// not ready within two minutes, returns an error at the end, or does not
// stop within a minute.
func Start(t testing.TB, opts worker.Options) worker.ReadyInfo {
	t.Helper()
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 5 * time.Second
	}
	ready := make(chan worker.ReadyInfo, 1)
	opts.Ready = func(r worker.ReadyInfo) { ready <- r }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker stopped with an error: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("worker did not stop within a minute")
		}
	})
	select {
	case r := <-ready:
		return r
	case err := <-done:
		done <- nil // reported here: the cleanup has nothing left to wait for
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}
	return worker.ReadyInfo{}
}
