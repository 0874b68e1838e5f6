package push

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs"
)

// routes is what the registry says about notifications: which stream
// consumes each type, how its payload reads, and the stream's jobs.
type routes struct {
	byType   map[string]typeRoute
	byStream map[string]*jobs.PushSource
}

// typeRoute is one notification type and the stream that consumes it.
type typeRoute struct {
	stream       string
	notification jobs.PushNotification
}

// newRoutes reads the streams' PushSources. It refuses a registry in which
// no stream consumes notifications, a type is claimed twice, or a source
// lacks a part push needs: each would lose notifications quietly.
func newRoutes(ss jobs.Streams) (*routes, error) {
	r := &routes{byType: map[string]typeRoute{}, byStream: map[string]*jobs.PushSource{}}
	for _, s := range ss {
		src := s.Push
		if src == nil {
			continue
		}
		switch {
		case src.Refresh == nil:
			return nil, fmt.Errorf("stream %s: push source without Refresh", s.Name)
		case src.ShedPoll == nil:
			return nil, fmt.Errorf("stream %s: push source without ShedPoll", s.Name)
		case len(src.Notifications) == 0:
			return nil, fmt.Errorf("stream %s: push source without notification types", s.Name)
		}
		r.byStream[s.Name] = src
		for _, n := range src.Notifications {
			switch {
			case n.Type == "" || n.Payload == "" || n.Parse == nil:
				return nil, fmt.Errorf("stream %s: notification type %q needs a Type, a Payload member and Parse", s.Name, n.Type)
			case r.byType[n.Type].stream != "":
				return nil, fmt.Errorf("notification type %s is consumed by streams %s and %s", n.Type, r.byType[n.Type].stream, s.Name)
			}
			r.byType[n.Type] = typeRoute{stream: s.Name, notification: n}
		}
	}
	if len(r.byType) == 0 {
		return nil, errors.New("no stream consumes notifications (jobs.Stream.Push)")
	}
	return r, nil
}

// typeLabel is a notification type as the type label of
// spsync_push_messages_total: a type some stream consumes, else "other"
// (the label's values stay bounded whatever the queue holds).
func (r *routes) typeLabel(t string) string {
	if _, ok := r.byType[t]; ok {
		return t
	}
	return "other"
}

// refreshArgs is the refresh job of an event (jobs.PushSource.Refresh). It
// carries the change time (the notification's EventTime when the payload
// has none; nil when it has neither) so the refresh can report the
// change-to-row latency; the time is no part of the job's identity.
func (r *routes) refreshArgs(accountID string, ev event, followup bool) river.JobArgs {
	var changed *time.Time
	if at := ev.ChangeTime; !at.IsZero() {
		changed = &at
	} else if at := ev.EventTime; !at.IsZero() {
		changed = &at
	}
	return r.byStream[ev.Stream].Refresh(accountID, ev.EntityID, followup, changed)
}

// accepted is a message that becomes a job.
type accepted struct {
	msg       sqstypes.Message
	ev        event
	accountID string
}

// route finds the account of a notification's seller.
func (c *Consumer) route(sellerID, marketplaceID string) (accountID string, active, found bool) {
	if c.cfg.Route != nil {
		return c.cfg.Route(sellerID, marketplaceID)
	}
	acct, found := c.cfg.Accounts[sellerID]
	return acct, found, found
}

// handle processes one received batch: the jobs and receipts of the
// messages it understands commit in one transaction, then those messages
// are deleted. The others stay for the redrive policy.
func (c *Consumer) handle(ctx context.Context, msgs []sqstypes.Message) error {
	var ok, stopped, others []accepted
	for _, m := range msgs {
		ev, err := c.routes.parse(aws.ToString(m.Body))
		if errors.Is(err, errUnknownType) && c.cfg.Other != nil {
			handled, oerr := c.cfg.Other(ctx, aws.ToString(m.Body))
			if oerr == nil && handled {
				others = append(others, accepted{msg: m, ev: ev})
				continue
			}
			if oerr != nil {
				c.log.Warn("push: a message for another reader failed; it stays for the redrive policy", "err", oerr, "message_id", aws.ToString(m.MessageId))
			}
		}
		if err == nil {
			acct, active, found := c.route(ev.SellerID, ev.MarketplaceID)
			if found && active {
				ok = append(ok, accepted{msg: m, ev: ev, accountID: acct})
				continue
			}
			if found {
				stopped = append(stopped, accepted{msg: m, ev: ev, accountID: acct})
				continue
			}
			err = errUnknownSeller
		}
		c.reject(m, ev, err)
	}
	if len(others) > 0 {
		for _, a := range others {
			c.m.Messages.WithLabelValues(c.routes.typeLabel(a.ev.Type), outcomeOther).Inc()
		}
		if err := c.delete(ctx, others); err != nil {
			c.log.Warn("push: delete handed-over messages", "err", err)
		}
	}
	if len(stopped) > 0 {
		for _, a := range stopped {
			c.m.Messages.WithLabelValues(c.routes.typeLabel(a.ev.Type), outcomeStopped).Inc()
		}
		if err := c.delete(ctx, stopped); err != nil {
			c.log.Warn("push: delete notifications of stopped accounts", "err", err)
		}
	}
	if len(ok) == 0 {
		return nil
	}

	stop := c.heartbeat(ctx, ok)
	outcomes, err := c.commit(ctx, ok)
	stop()
	if err != nil {
		for _, a := range ok {
			c.m.Messages.WithLabelValues(c.routes.typeLabel(a.ev.Type), outcomeFailed).Inc()
		}
		return err
	}
	now := c.cfg.Clock()
	for i, a := range ok {
		c.m.Messages.WithLabelValues(c.routes.typeLabel(a.ev.Type), outcomes[i]).Inc()
		c.m.received(a.accountID, a.ev.Stream, now)
	}
	if c.cfg.afterCommit != nil {
		c.cfg.afterCommit()
	}
	return c.delete(ctx, ok)
}

func (c *Consumer) reject(m sqstypes.Message, ev event, err error) {
	reason := err.Error()
	outcome := reason
	if e := errors.Unwrap(err); e != nil {
		outcome = e.Error()
	}
	label := c.routes.typeLabel(ev.Type)
	c.m.Messages.WithLabelValues(label, outcome).Inc()
	// No payload values: the type is bounded by typeLabel, the rest is
	// ours or SQS's.
	c.log.Warn("push: message left for the queue's redrive policy",
		"type", label, "reason", reason, "message_id", aws.ToString(m.MessageId),
		"receive_count", m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
}
