package jobs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/config"
)

// Stream describes one synced stream: everything the worker, backfills,
// `worker refresh`, `worker status` and the command line need to know about
// it. Each stream package exports a constructor of its Stream; the registry
// (internal/streams) lists them, and nothing else switches on stream names.
type Stream struct {
	// Name is the stream's one spelling: cursors, walk progress, backfills,
	// the command line and metrics labels.
	Name string
	// Aliases are older spellings still accepted on input (the command line,
	// queued jobs): fulfillment-orders for fulfillment_orders.
	Aliases []string
	// Tables are the tables the stream writes, parents first.
	Tables []string
	// Register adds the stream's job workers.
	Register func(workers *river.Workers, deps *Deps)
	// Periodic are the jobs run per account on a schedule; the one with Poll
	// set is the stream's poll (run by `worker run --once`).
	Periodic []Periodic
	// Refresh are the kinds of `worker refresh KIND ID` the stream offers.
	Refresh []RefreshKind
	// Backfill, when set, is how `worker backfill` fetches the stream's
	// history.
	Backfill *BackfillSource
}

// Periodic is a job a stream runs for every account on a schedule.
type Periodic struct {
	// ID names the periodic job; the account id is appended.
	ID string
	// Schedule is the account's cron expression, from the configured
	// schedules.
	Schedule func(s config.Schedules, acct *Account) string
	// Args returns the job of one account.
	Args func(accountID string) river.JobArgs
	// Poll marks the stream's poll.
	Poll bool
}

// RefreshKind is one kind of `worker refresh KIND ID`: the job that fetches
// one entity again.
type RefreshKind struct {
	Kind string
	// Args returns the job for an entity id; an error when id is not one.
	Args func(accountID, id string) (river.JobArgs, error)
}

// BackfillSource is how a stream's history is fetched: windows of creation
// dates, each a page walk (RunWalk) at backfill priority.
type BackfillSource struct {
	// Op is the list operation of an account (nil: of a default account);
	// each page takes one of its tokens.
	Op func(acct *config.Account) string
	// DefaultWindow is the window length when the operator names none.
	DefaultWindow time.Duration
	// SingleWindow marks a list that cannot bound its end (listAllFulfillmentOrders
	// has only a start): the whole span is one window from its start.
	SingleWindow bool
	// Reports marks a stream whose history can also come from order
	// reports (`worker backfill orders --via reports`).
	Reports bool
	// Page fetches the page of window [from, to) after token ("" for the
	// first) and says how to store it.
	Page func(ctx context.Context, deps *Deps, acct *Account, from, to time.Time, token string) (*Page, error)
}

// OneOp is BackfillSource.Op of a stream with one list operation.
func OneOp(op string) func(*config.Account) string {
	return func(*config.Account) string { return op }
}

// Streams is the registry's list.
type Streams []Stream

// Lookup finds a stream by its name or one of its aliases.
func (ss Streams) Lookup(name string) (Stream, bool) {
	for _, s := range ss {
		if s.Name == name || slices.Contains(s.Aliases, name) {
			return s, true
		}
	}
	return Stream{}, false
}

// Names lists the streams' names, for messages.
func (ss Streams) Names() string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// Backfillable lists the streams with a backfill.
func (ss Streams) Backfillable() Streams {
	var out Streams
	for _, s := range ss {
		if s.Backfill != nil {
			out = append(out, s)
		}
	}
	return out
}

// RefreshKind finds a refresh kind of any stream.
func (ss Streams) RefreshKind(kind string) (RefreshKind, bool) {
	for _, s := range ss {
		for _, r := range s.Refresh {
			if r.Kind == kind {
				return r, true
			}
		}
	}
	return RefreshKind{}, false
}

// RefreshKinds lists every refresh kind, sorted, for messages.
func (ss Streams) RefreshKinds() string {
	var kinds []string
	for _, s := range ss {
		for _, r := range s.Refresh {
			kinds = append(kinds, r.Kind)
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ", ")
}

// Register adds every stream's workers.
func (ss Streams) Register(workers *river.Workers, deps *Deps) {
	for _, s := range ss {
		s.Register(workers, deps)
	}
}

// PeriodicJobs returns every stream's periodic jobs for every configured
// account, accounts in id order.
func (ss Streams) PeriodicJobs(deps *Deps) ([]*river.PeriodicJob, error) {
	ids := deps.AccountIDs()
	var out []*river.PeriodicJob
	for _, s := range ss {
		for _, p := range s.Periodic {
			for _, id := range ids {
				pj, err := NewCronJob(p.ID+":"+id, p.Schedule(deps.Schedules, deps.Accounts[id]), func() (river.JobArgs, *river.InsertOpts) {
					return p.Args(id), nil
				})
				if err != nil {
					return nil, fmt.Errorf("stream %s: %w", s.Name, err)
				}
				out = append(out, pj)
			}
		}
	}
	return out, nil
}

// Polls returns the poll of every stream for accountID, for `worker run
// --once`.
func (ss Streams) Polls(accountID string) []river.JobArgs {
	var out []river.JobArgs
	for _, s := range ss {
		for _, p := range s.Periodic {
			if p.Poll {
				out = append(out, p.Args(accountID))
			}
		}
	}
	return out
}

// AccountIDs returns the configured account ids, sorted.
func (d *Deps) AccountIDs() []string {
	ids := make([]string, 0, len(d.Accounts))
	for id := range d.Accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
