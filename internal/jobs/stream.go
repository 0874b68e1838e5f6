package jobs

import (
	"context"
	"encoding/json"
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
	// Tables are the tables the stream writes, parents first, each in a
	// goose migration and per account (streams.TestStreamTables holds
	// every descriptor to the schema).
	Tables []string
	// Register adds the stream's job workers.
	Register func(workers *river.Workers, deps *Deps)
	// Periodic are the jobs run per account on a schedule (inserted by the
	// scheduler tick, scheduler.go), or once for all accounts (Shared); the
	// one with Poll set is the stream's poll (run by `worker run --once`).
	Periodic []Periodic
	// Refresh are the kinds of `worker refresh KIND ID` the stream offers.
	Refresh []RefreshKind
	// Backfill, when set, is how `worker backfill` fetches the stream's
	// history.
	Backfill *BackfillSource
	// Reports, when set, is how `worker backfill --via reports` fetches
	// the stream's history as reports (see ReportSource).
	Reports *ReportSource
	// Push, when set, is how the stream consumes SP-API notifications
	// (internal/push reads it; see PushSource).
	Push *PushSource
}

// Periodic is a job a stream runs on a schedule: for every account, or once
// for all of them.
type Periodic struct {
	// ID names the periodic job; the account id is appended unless Shared.
	ID string
	// Cron declares the job's schedule: the variable that sets it
	// (SPSYNC_SERVICE_JOBS_CRON; none for a fixed schedule) and its
	// defaults. config reads it through the registry (Streams.ScheduleSpecs)
	// and knows no stream's variable.
	Cron config.ScheduleSpec
	// Schedule, when set, is the account's cron expression instead of
	// Cron's (acct is nil when Shared, and when no account is at hand):
	// a default that depends on the account.
	Schedule func(s config.Schedules, acct *Account) string
	// Args returns the job of one account ("" when Shared).
	Args func(accountID string) river.JobArgs
	// Poll marks the stream's poll.
	Poll bool
	// SelfScheduled, when set and true for an account, makes the poll
	// budget-aware: the periodic job runs on SelfScheduledWatchdog and
	// inserts SelfArgs, a poll that decides its own next run
	// (Deps.SchedulePoll); Schedule is then not used. It is false when the
	// operator configured a cron for the poll, which then wins.
	SelfScheduled func(s config.Schedules, acct *Account) bool
	// SelfArgs returns the account's self-scheduled poll (with SelfScheduled).
	SelfArgs func(accountID string) river.JobArgs
	// Shared marks work that is the same for every account (the PII purge):
	// it is registered once, under ID alone. River inserts every due
	// periodic job in one statement, and two copies of one unique job in it
	// make Postgres refuse the whole batch, every account's polls included.
	Shared bool
}

// CronFor is p's cron expression for acct (nil when Shared): Schedule's,
// else Cron's as configured. A SelfScheduled poll runs on
// SelfScheduledWatchdog instead; this is its fallback.
func (p Periodic) CronFor(s config.Schedules, acct *Account) string {
	if p.Schedule != nil {
		return p.Schedule(s, acct)
	}
	return s.Cron(p.Cron)
}

// Describe says how p is scheduled, for logs: its cron expression, or that
// it schedules itself (SelfScheduled).
func (p Periodic) Describe(s config.Schedules, acct *Account) string {
	if p.SelfScheduled != nil && p.SelfScheduled(s, acct) {
		return "self-scheduled by its rate budget"
	}
	return p.CronFor(s, acct)
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
	// MaxWindow, when set, is the longest window the list answers in full:
	// `worker backfill` refuses a longer one (listTransactions answers a
	// window over 180 days with an empty list, which would read as "nothing
	// posted").
	MaxWindow time.Duration
	// SingleWindow marks a list that cannot bound its end (listAllFulfillmentOrders
	// has only a start): the whole span is one window from its start.
	SingleWindow bool
	// Page fetches the page of window [from, to) after token ("" for the
	// first) and says how to store it.
	Page func(ctx context.Context, deps *Deps, acct *Account, from, to time.Time, token string) (*Page, error)
	// Lookback, when set, is Page by last update date instead: the pages
	// of a lookback backfill (backfill.ViaLookback), which a stream's first
	// poll starts for the part of its first window it leaves behind it.
	Lookback func(ctx context.Context, deps *Deps, acct *Account, from, to time.Time, token string) (*Page, error)
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

// Backfillable lists the streams with a backfill, by their list
// operation (Backfill) or by reports (Reports).
func (ss Streams) Backfillable() Streams {
	var out Streams
	for _, s := range ss {
		if s.Backfill != nil || s.Reports != nil {
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

// Register adds every stream's workers, and the housekeeping that covers
// them all (the quarantine prune).
func (ss Streams) Register(workers *river.Workers, deps *Deps) {
	for _, s := range ss {
		s.Register(workers, deps)
	}
	river.AddWorker(workers, &QuarantinePruneWorker{deps: deps})
	river.AddWorker(workers, &PollSchedulerWorker{deps: deps, streams: ss})
}

// ScheduleSpecs lists the schedules the streams' periodic jobs declare that
// an operator can set (a variable), each variable once, in registry order:
// what config reads and checks (config.Schedules.Check), and what the
// environment's golden list records.
func (ss Streams) ScheduleSpecs() []config.ScheduleSpec {
	var out []config.ScheduleSpec
	seen := map[string]bool{}
	for _, s := range ss {
		for _, p := range s.Periodic {
			if p.Cron.Env == "" || seen[p.Cron.Env] {
				continue
			}
			seen[p.Cron.Env] = true
			out = append(out, p.Cron)
		}
	}
	return out
}

// ScheduledJob is one periodic job as the registry hands it to River.
type ScheduledJob struct {
	// ID is River's periodic job id: the Periodic's ID, with ":" and the
	// account id unless it is Shared.
	ID string
	// Schedule is the cron expression.
	Schedule string
	// Args is the job inserted on every tick.
	Args river.JobArgs
}

// Scheduled lists every stream's periodic jobs for every configured account,
// accounts in id order, and shared ones once; last the quarantine prune when
// Deps.QuarantineRetention is set: what the scheduler tick inserts for the
// accounts of now (the worker registers PeriodicJobs instead; benchmarks
// that run River's periodic jobs on an accelerated clock use this list). It
// refuses two periodic jobs
// that would insert the same job (kind and arguments): River inserts all
// the jobs due at one instant in one statement, and a repeated unique job
// makes Postgres reject that statement whole (SQLSTATE 21000), so nothing
// due then would be inserted, every account's polls included.
func (ss Streams) Scheduled(deps *Deps) ([]ScheduledJob, error) {
	var out []ScheduledJob
	seen := map[string]string{} // kind and args JSON → periodic id
	add := func(s Stream, job ScheduledJob) error {
		body, err := json.Marshal(job.Args)
		if err != nil {
			return fmt.Errorf("stream %s: periodic job %s: encode args: %w", s.Name, job.ID, err)
		}
		key := job.Args.Kind() + " " + string(body)
		if other, dup := seen[key]; dup {
			return fmt.Errorf("stream %s: periodic jobs %s and %s both insert %s: River would refuse every periodic insert (mark the job Shared or give each copy its own arguments)", s.Name, other, job.ID, key)
		}
		seen[key] = job.ID
		out = append(out, job)
		return nil
	}
	for _, s := range ss {
		for _, p := range s.Periodic {
			if p.Shared {
				if err := add(s, ScheduledJob{ID: p.ID, Schedule: p.CronFor(deps.Schedules, nil), Args: p.Args("")}); err != nil {
					return nil, err
				}
				continue
			}
			for _, id := range deps.AccountIDs() {
				if err := add(s, p.scheduledFor(deps, id)); err != nil {
					return nil, err
				}
			}
		}
	}
	// Housekeeping of every stream (its worker is added by Register).
	if job := quarantinePrune(deps); job != nil {
		out = append(out, *job)
	}
	return out, nil
}

// scheduledFor is p's periodic job for account id.
func (p Periodic) scheduledFor(deps *Deps, id string) ScheduledJob {
	acct := deps.lookup(id)
	job := ScheduledJob{ID: p.ID + ":" + id, Schedule: p.CronFor(deps.Schedules, acct), Args: p.Args(id)}
	if p.SelfScheduled != nil && p.SelfScheduled(deps.Schedules, acct) {
		job.Schedule, job.Args = SelfScheduledWatchdog, p.SelfArgs(id)
	}
	return job
}

// lookup returns account id from the Directory or Accounts, nil when
// unknown.
func (d *Deps) lookup(id string) *Account {
	if d.Directory != nil {
		a, _ := d.Directory.Lookup(id)
		return a
	}
	return d.Accounts[id]
}

// PeriodicJobs returns the River periodic jobs the worker registers: the
// shared ones (the PII purge), the quarantine prune, and the scheduler tick
// that inserts every account's (PollSchedulerArgs) — a fixed list, whatever
// the accounts, so adding, pausing or removing one changes no process's
// configuration. Scheduled checks the accounts' jobs first: two that would
// insert the same job are refused at start.
func (ss Streams) PeriodicJobs(deps *Deps) ([]*river.PeriodicJob, error) {
	if _, err := ss.Scheduled(deps); err != nil {
		return nil, err
	}
	var (
		out        []*river.PeriodicJob
		perAccount bool
	)
	add := func(job ScheduledJob) error {
		pj, err := NewCronJob(job.ID, job.Schedule, func() (river.JobArgs, *river.InsertOpts) { return job.Args, nil })
		if err != nil {
			return err
		}
		out = append(out, pj)
		return nil
	}
	for _, s := range ss {
		for _, p := range s.Periodic {
			if !p.Shared {
				perAccount = true
				continue
			}
			if err := add(ScheduledJob{ID: p.ID, Schedule: p.CronFor(deps.Schedules, nil), Args: p.Args("")}); err != nil {
				return nil, err
			}
		}
	}
	if job := quarantinePrune(deps); job != nil {
		if err := add(*job); err != nil {
			return nil, err
		}
	}
	if perAccount {
		out = append(out, ss.schedulerJob(deps))
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

// AccountIDs returns the ids of the accounts that sync, sorted.
func (d *Deps) AccountIDs() []string {
	if d.Directory != nil {
		return d.Directory.ActiveIDs()
	}
	ids := make([]string, 0, len(d.Accounts))
	for id := range d.Accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
