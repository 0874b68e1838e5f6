package worker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/devtools/fauxqs"
)

// TestRunWithSimulatedPush starts the worker as `SPSYNC_SIM_PUSH=true make
// run` does, against a real SQS server: it makes the queue with its
// dead-letter queue, subscribes the simulator through the Notifications API
// (a failure there would stop Run), consumes, and stops cleanly.
func TestRunWithSimulatedPush(t *testing.T) {
	t.Parallel()
	srv := fauxqs.Start(t)
	env := map[string]string{
		"DATABASE_URL":        dbtest.NewURL(t),
		"SPSYNC_HTTP_ADDR":    "127.0.0.1:0",
		"SPSYNC_SIM_PUSH":     "true",
		"SPSYNC_SQS_ENDPOINT": srv.Endpoint,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan ReadyInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Migrate: true, ShutdownTimeout: 5 * time.Second, Ready: func(r ReadyInfo) { ready <- r }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("worker not ready after 2 minutes")
	}

	c := fauxqs.Client(t, srv)
	q, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(simQueueName)})
	require.NoError(t, err)
	attrs, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
	require.NoError(t, err)
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	require.NoError(t, json.Unmarshal([]byte(attrs.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &redrive))
	require.Contains(t, redrive.DeadLetterTargetArn, simQueueName+"-dlq")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("worker did not stop (the consumer's long poll must end with the context)")
	}
}
