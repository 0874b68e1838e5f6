package jobstest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/spsync/spsync/internal/jobs"
)

// KillingBudget plays a worker process killed in the middle of a paged
// walk. It passes every call to the wrapped budget until the KillAt-th
// token of Operation; from then on it grants none of Operation's tokens
// and holds each caller until its job's context ends, as a dead process's
// jobs never continue. Tests stop the River client after Killed and look
// at what the "dead" process left behind.
type KillingBudget struct {
	jobs.Budget
	// Operation is the SP-API operation whose tokens are counted.
	Operation string
	// KillAt is the token that is never granted; 0 never kills.
	KillAt int
	// OnTake, when set, sees the count n of every token of Operation
	// asked for (e.g. to inject a fault at the simulator on page n).
	OnTake func(n int)

	mu     sync.Mutex
	n      int
	once   sync.Once
	killed chan struct{}
	held   atomic.Int32
}

// NewKillingBudget wraps b to kill at the killAt-th token of op.
func NewKillingBudget(b jobs.Budget, op string, killAt int) *KillingBudget {
	return &KillingBudget{Budget: b, Operation: op, KillAt: killAt, killed: make(chan struct{})}
}

// Killed is closed when the KillAt-th token is asked for.
func (k *KillingBudget) Killed() <-chan struct{} { return k.killed }

// Held is how many callers are being held now or were held.
func (k *KillingBudget) Held() int32 { return k.held.Load() }

// Acquire implements jobs.Budget.
func (k *KillingBudget) Acquire(ctx context.Context, key jobs.BudgetKey, class jobs.BudgetClass) error {
	if key.Operation == k.Operation {
		k.mu.Lock()
		k.n++
		n := k.n
		k.mu.Unlock()
		if k.OnTake != nil {
			k.OnTake(n)
		}
		if k.KillAt > 0 && n >= k.KillAt {
			k.once.Do(func() { close(k.killed) })
			k.held.Add(1)
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return k.Budget.Acquire(ctx, key, class)
}
