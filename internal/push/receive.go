package push

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Run long-polls the queue until ctx ends (then it returns nil). A failed
// receive or batch is logged and retried after a pause; the batch's
// messages come back after their visibility timeout.
func (c *Consumer) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		if ctx.Err() != nil {
			return nil
		}
		out, err := c.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.cfg.QueueURL),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             20,
			VisibilityTimeout:           c.visibilitySeconds(),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err == nil && len(out.Messages) > 0 {
			err = c.handle(ctx, out.Messages)
		}
		if err == nil {
			backoff = time.Second
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("push: batch failed; its messages come back after the visibility timeout", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (c *Consumer) visibilitySeconds() int32 {
	return int32(c.cfg.VisibilityTimeout / time.Second)
}

// heartbeat extends the visibility of the batch's messages every half
// timeout until stop is called, so a slow database does not hand them to
// another consumer while their jobs are being committed.
func (c *Consumer) heartbeat(ctx context.Context, ok []accepted) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(c.cfg.VisibilityTimeout / 2)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(ok))
			for i, a := range ok {
				entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
					Id: aws.String(strconv.Itoa(i)), ReceiptHandle: a.msg.ReceiptHandle, VisibilityTimeout: c.visibilitySeconds(),
				}
			}
			out, err := c.cfg.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(c.cfg.QueueURL), Entries: entries})
			if err != nil {
				if ctx.Err() == nil {
					c.log.Warn("push: extend visibility", "err", err, "messages", len(entries))
				}
				continue
			}
			for _, f := range out.Failed {
				c.log.Warn("push: extend visibility", "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
			}
			if c.cfg.onExtend != nil {
				c.cfg.onExtend()
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// delete acknowledges the committed messages. A failed delete is logged:
// the message comes back and its job insert is a unique no-op (or one more
// refresh if the first one already ran).
func (c *Consumer) delete(ctx context.Context, ok []accepted) error {
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(ok))
	for i, a := range ok {
		entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: a.msg.ReceiptHandle}
	}
	out, err := c.cfg.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.cfg.QueueURL), Entries: entries})
	if err != nil {
		for _, a := range ok {
			c.m.Messages.WithLabelValues(c.routes.typeLabel(a.ev.Type), outcomeDeleteFail).Inc()
		}
		return fmt.Errorf("delete %d messages: %w", len(entries), err)
	}
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		if i >= 0 && i < len(ok) {
			c.m.Messages.WithLabelValues(c.routes.typeLabel(ok[i].ev.Type), outcomeDeleteFail).Inc()
			c.log.Warn("push: delete message", "message_id", aws.ToString(ok[i].msg.MessageId), "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
		}
	}
	return nil
}
