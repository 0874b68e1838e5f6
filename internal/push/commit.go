package push

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spsync/spsync/internal/store"
)

// entity is one entity a batch announced, and what became of its refresh.
type entity struct {
	accountID string
	// ev is the event of the entity's first message in the batch: its
	// stream, id and announced change time (refreshArgs).
	ev event
	// refresh is the entity's refresh job (not a follow-up).
	refresh river.JobArgs
	// changed is the latest change the batch announced for it: a shed
	// poll's window must reach it.
	changed time.Time
	// shed marks a refresh left to the stream's poll (MaxBacklog).
	shed bool
	// outcome is the outcome of the entity's first message.
	outcome string
}

// entityKey identifies an entity across a batch's messages.
type entityKey struct{ account, stream, id string }

// entities groups a batch's messages by entity: the entities in order of
// first appearance, and each message's entity.
func (c *Consumer) entities(ok []accepted) (entities, of []*entity) {
	index := map[entityKey]*entity{}
	of = make([]*entity, len(ok))
	for i, a := range ok {
		k := entityKey{a.accountID, a.ev.Stream, a.ev.EntityID}
		e := index[k]
		if e == nil {
			e = &entity{accountID: a.accountID, ev: a.ev, refresh: c.routes.refreshArgs(a.accountID, a.ev, false), changed: a.ev.ChangeTime}
			index[k] = e
			entities = append(entities, e)
		}
		if a.ev.ChangeTime.After(e.changed) {
			e.changed = a.ev.ChangeTime
		}
		of[i] = e
	}
	return entities, of
}

// commit inserts one refresh per entity of the batch (a follow-up where the
// entity's refresh is running, the stream's poll where the backlog is full)
// and the receipts, in one transaction. It returns each message's outcome:
// the first message of an entity gets the entity's, repeats are duplicates.
func (c *Consumer) commit(ctx context.Context, ok []accepted) ([]string, error) {
	entities, of := c.entities(ok)
	now := c.cfg.Clock()
	receipts := make([]store.PushReceipt, len(ok))
	for i, a := range ok {
		receipts[i] = store.PushReceipt{AccountID: a.accountID, Stream: a.ev.Stream, EntityID: a.ev.EntityID,
			NotificationID: a.ev.NotificationID, ChangeTime: a.ev.ChangeTime, ReceivedAt: now}
	}

	tx, err := c.cfg.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op

	polls, err := c.shed(ctx, tx, entities)
	if err != nil {
		return nil, err
	}
	if len(polls) > 0 {
		if _, err := c.cfg.River.InsertManyTx(ctx, tx, polls); err != nil {
			return nil, fmt.Errorf("insert %d polls for a shed backlog: %w", len(polls), err)
		}
	}
	if err := c.insertRefreshes(ctx, tx, entities); err != nil {
		return nil, err
	}
	if err := store.RecordPushReceipts(ctx, tx, receipts); err != nil {
		return nil, err
	}
	if c.cfg.beforeCommit != nil {
		if err := c.cfg.beforeCommit(ctx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	out := make([]string, len(ok))
	counted := map[*entity]bool{}
	for i, e := range of {
		if counted[e] {
			out[i] = outcomeDuplicate
			continue
		}
		counted[e] = true
		out[i] = e.outcome
	}
	return out, nil
}

// insertRefreshes inserts the refresh of every entity not shed and sets
// each entity's outcome. A refresh already waiting reads the change anyway
// (duplicate); one already running may have read the entity before it, so
// a follow-up refresh runs FollowupDelay later (one pending per entity:
// Followup is part of the unique args).
func (c *Consumer) insertRefreshes(ctx context.Context, tx pgx.Tx, entities []*entity) error {
	var waiting []*entity
	for _, e := range entities {
		if e.shed {
			e.outcome = outcomeShed
			continue
		}
		waiting = append(waiting, e)
	}
	res, err := c.insertEach(ctx, tx, waiting, func(e *entity) river.InsertManyParams { return river.InsertManyParams{Args: e.refresh} })
	if err != nil {
		return fmt.Errorf("insert %d refresh jobs: %w", len(waiting), err)
	}
	var running []*entity
	for k, r := range res {
		e := waiting[k]
		switch {
		case !r.UniqueSkippedAsDuplicate:
			e.outcome = outcomeEnqueued
		case r.Job != nil && r.Job.State == rivertype.JobStateRunning:
			e.outcome = outcomeDuplicate
			running = append(running, e)
		default:
			e.outcome = outcomeDuplicate
		}
	}
	res, err = c.insertEach(ctx, tx, running, func(e *entity) river.InsertManyParams {
		return river.InsertManyParams{
			Args:       c.routes.refreshArgs(e.accountID, e.ev, true),
			InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(c.cfg.FollowupDelay)},
		}
	})
	if err != nil {
		return fmt.Errorf("insert %d follow-up refresh jobs: %w", len(running), err)
	}
	for k, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			running[k].outcome = outcomeFollowup
		}
	}
	return nil
}

// insertEach inserts one job per entity; the results are in the entities'
// order. No entities, no statement.
func (c *Consumer) insertEach(ctx context.Context, tx pgx.Tx, entities []*entity, params func(*entity) river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if len(entities) == 0 {
		return nil, nil
	}
	batch := make([]river.InsertManyParams, len(entities))
	for i, e := range entities {
		batch[i] = params(e)
	}
	return c.cfg.River.InsertManyTx(ctx, tx, batch)
}
