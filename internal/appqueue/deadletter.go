package appqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// deadLetterBatches bounds one recovery: a dead-letter queue full of other
// messages (order notifications a push consumer gave up on) is searched
// 10 at a time, and the next recovery goes on.
const deadLetterBatches = 50

// deadLetterVisibility hides the dead-letter messages a recovery leaves
// (not application notifications) while it searches the rest, so it does
// not read them twice.
const deadLetterVisibility = 60 * time.Second

// RecoverDeadLetters reads the application queue's dead-letter queue
// (Config.DeadLetterURL, or the queue's RedrivePolicy) and handles the
// application notifications it finds there as if they came from the queue:
// a NEW_SECRET is stored (source dead_letter) and deleted once stored, an
// EXPIRY recorded and deleted. Other messages are left. It returns how many
// secrets it stored; without a dead-letter queue it does nothing.
func (c *Consumer) RecoverDeadLetters(ctx context.Context) (recovered int, err error) {
	dlq, err := c.deadLetterURL(ctx)
	if err != nil || dlq == "" {
		return 0, err
	}
	var errs []error
	for range deadLetterBatches {
		out, err := c.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(dlq),
			MaxNumberOfMessages: 10,
			VisibilityTimeout:   int32(deadLetterVisibility / time.Second),
		})
		if err != nil {
			return recovered, errors.Join(append(errs, fmt.Errorf("receive from the dead-letter queue: %w", err))...)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			res, err := c.handle(ctx, []byte(aws.ToString(m.Body)), SourceDeadLetter)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !res.handled {
				continue
			}
			if c.deleteMessage(ctx, dlq, m, res.typ, SourceDeadLetter) && res.outcome == OutcomeStored {
				recovered++
			}
		}
	}
	return recovered, errors.Join(errs...)
}

// deadLetterURL is the configured dead-letter queue, or the one the
// application queue's RedrivePolicy names, or "" when it has none.
func (c *Consumer) deadLetterURL(ctx context.Context) (string, error) {
	c.dlqMu.Lock()
	defer c.dlqMu.Unlock()
	if c.dlq != "" {
		return c.dlq, nil
	}
	out, err := c.cfg.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(c.cfg.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		return "", fmt.Errorf("read the application queue's redrive policy: %w", err)
	}
	raw := out.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)]
	if raw == "" {
		return "", nil
	}
	var policy struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(raw), &policy); err != nil || policy.DeadLetterTargetArn == "" {
		return "", fmt.Errorf("the application queue's RedrivePolicy names no dead-letter queue: %q", raw)
	}
	// arn:aws:sqs:REGION:ACCOUNT:NAME; a dead-letter queue is in the
	// queue's own account and region.
	parts := strings.Split(policy.DeadLetterTargetArn, ":")
	if len(parts) != 6 || parts[2] != "sqs" {
		return "", fmt.Errorf("the application queue's dead-letter queue %q is not an SQS queue ARN", policy.DeadLetterTargetArn)
	}
	u, err := c.cfg.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5])})
	if err != nil {
		return "", fmt.Errorf("find the dead-letter queue %s: %w", parts[5], err)
	}
	c.dlq = aws.ToString(u.QueueUrl)
	return c.dlq, nil
}
