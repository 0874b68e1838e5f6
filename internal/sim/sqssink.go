package sim

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// sqsSink delivers notifications to SQS queues named by their ARNs, as
// Amazon does for an SQS destination.
type sqsSink struct {
	client *sqs.Client

	mu   sync.Mutex
	urls map[string]string // queue ARN → queue URL
}

// NewSQSSink returns a NotificationSink that sends each body as one SQS
// message to the queue its destination ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)
// names. The queue URL is resolved once per ARN with GetQueueUrl (name and
// owner account from the ARN) and cached. The client decides the endpoint
// and credentials; the ARN's region is not used to pick one.
func NewSQSSink(client *sqs.Client) NotificationSink {
	return &sqsSink{client: client, urls: map[string]string{}}
}

// parseSQSARN splits arn:aws:sqs:REGION:ACCOUNT:NAME (any AWS partition).
func parseSQSARN(arn string) (region, account, name string, err error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || !strings.HasPrefix(p[1], "aws") || p[2] != "sqs" || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", "", "", fmt.Errorf("sim: %q is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", arn)
	}
	return p[3], p[4], p[5], nil
}

func (s *sqsSink) queueURL(ctx context.Context, arn string) (string, error) {
	s.mu.Lock()
	u, ok := s.urls[arn]
	s.mu.Unlock()
	if ok {
		return u, nil
	}
	_, account, name, err := parseSQSARN(arn)
	if err != nil {
		return "", err
	}
	out, err := s.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(account)})
	if err != nil {
		return "", fmt.Errorf("sim: resolve queue %s: %w", arn, err)
	}
	if out.QueueUrl == nil || *out.QueueUrl == "" {
		return "", fmt.Errorf("sim: resolve queue %s: no QueueUrl in the answer", arn)
	}
	s.mu.Lock()
	s.urls[arn] = *out.QueueUrl
	s.mu.Unlock()
	return *out.QueueUrl, nil
}

// Deliver sends body as one message to the queue destinationARN names.
func (s *sqsSink) Deliver(ctx context.Context, destinationARN string, body []byte) error {
	u, err := s.queueURL(ctx, destinationARN)
	if err != nil {
		return err
	}
	if _, err := s.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("sim: send notification to %s: %w", destinationARN, err)
	}
	return nil
}
