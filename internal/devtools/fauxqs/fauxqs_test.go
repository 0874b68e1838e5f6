package fauxqs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spsync/spsync/internal/devtools/fauxqs"
)

// TestRoundTrip sends, receives, deletes, and lets a message the consumer
// keeps failing move to the dead-letter queue.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	srv := fauxqs.Start(t)
	c := fauxqs.Client(t, srv)
	ctx := context.Background()
	url, arn := srv.CreateQueue(t, "roundtrip", true, 1)
	if arn == "" {
		t.Fatal("no queue ARN")
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("hello")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2, MaxNumberOfMessages: 10, VisibilityTimeout: 1})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "hello" {
		t.Fatalf("receive: %v %+v", err, out)
	}
	// Not deleted: after the visibility timeout it exceeds maxReceiveCount 1
	// and goes to the DLQ.
	dlq, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("roundtrip-dlq")})
	if err != nil {
		t.Fatalf("dlq url: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1, MaxNumberOfMessages: 10}); err != nil {
			t.Fatalf("receive: %v", err)
		}
		d, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30})
		if err != nil {
			t.Fatalf("receive dlq: %v", err)
		}
		if len(d.Messages) == 1 {
			if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: dlq.QueueUrl, Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: d.Messages[0].ReceiptHandle}}}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the message never reached the DLQ")
		}
	}
}
