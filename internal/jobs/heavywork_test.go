package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/semaphore"

	"github.com/spsync/spsync/internal/budget"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
)

// TestPageTransactionsAreHeavyWork: walks of six accounts store their
// pages at once, and no more page transactions run together than
// Deps.HeavyWork admits (two). Each page's transaction waits, inside, for a
// partner (the bound admits two; the last one has none), then briefly for a
// third to join, which the bound forbids: without the bound all six are
// inside together.
func TestPageTransactionsAreHeavyWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	deps := jobs.NewDeps(jobs.Deps{Pool: pool, Budget: budget.New(pool, budget.Options{}), HeavyWork: semaphore.NewWeighted(2)})

	const walks = 6
	var (
		mu                   sync.Mutex
		inside, most, stored int
	)
	// until polls cond (under mu) until it holds or d has passed.
	until := func(d time.Duration, cond func() bool) {
		for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
		}
	}
	store := func(ctx context.Context, tx pgx.Tx) (int64, error) {
		mu.Lock()
		inside++
		most = max(most, inside)
		mu.Unlock()
		until(time.Minute, func() bool { return inside >= 2 || stored+inside == walks })
		until(200*time.Millisecond, func() bool { return inside >= 3 })
		mu.Lock()
		inside--
		stored++
		mu.Unlock()
		return 0, nil
	}

	var wg sync.WaitGroup
	errs := make(chan error, walks)
	for i := range walks {
		acct := &jobs.Account{Account: config.Account{ID: fmt.Sprintf("heavy-%d", i), Region: "na"}}
		wg.Go(func() {
			_, err := deps.RunWalk(ctx, jobs.Walk{
				Account: acct, Stream: "widgets", Key: jobs.PollWalkKey(""), Op: spapi.OpSearchOrders, Class: jobs.ClassPoll,
				Begin: func(context.Context) (jobs.WalkState, bool, error) {
					return jobs.WalkState{From: time.Unix(0, 0), To: time.Unix(60, 0)}, true, nil
				},
				Fetch: func(context.Context, jobs.WalkState) (*jobs.Page, error) {
					return &jobs.Page{Store: store}, nil
				},
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, walks, stored)
	require.Equal(t, 2, most, "page transactions at once")
}
