package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/devtools/fauxqs"
	"github.com/spsync/spsync/internal/sim"
)

// startFauxqs starts the project's SQS emulator (internal/devtools/fauxqs:
// fauxqs, installed from tools/fauxqs's lockfile) and returns its endpoint.
func startFauxqs(t *testing.T) string {
	t.Helper()
	return fauxqs.Start(t).Endpoint
}

func newSQSClient(endpoint string) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// TestSQSSinkDeliversNotifications sends the notifier's output through the
// real SQS sink to fauxqs and reads it back with the SDK, as a consumer would.
func TestSQSSinkDeliversNotifications(t *testing.T) {
	endpoint := startFauxqs(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := newSQSClient(endpoint)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("spsync-notify")})
	require.NoError(t, err)
	arn := "arn:aws:sqs:us-east-1:000000000000:spsync-notify"

	sink := sim.NewSQSSink(client)
	// A queue that does not exist and an ARN that is not one fail.
	require.Error(t, sink.Deliver(ctx, "arn:aws:sqs:us-east-1:000000000000:no-such-queue", []byte("{}")))
	require.Error(t, sink.Deliver(ctx, "https://sqs.us-east-1.amazonaws.com/000000000000/spsync-notify", []byte("{}")))

	b := setup(t, nil)
	n, _ := startNotifier(t, b, sim.NotifierOptions{
		Sink: sink, Route: func(string, string) []string { return []string{arn} }, Tick: time.Hour, DuplicateRate: 0.3, Seed: 5,
	})
	b.data.Advance(4 * time.Hour)
	syncNotifier(t, n)
	st := n.Stats()
	require.Positive(t, st.Emitted)
	require.Zero(t, st.Failed)
	require.Equal(t, st.Emitted+st.Duplicated, st.Delivered)

	want := map[string]int{}
	for _, r := range n.Log() {
		want[r.NotificationID] = 1 + r.Duplicates
	}
	got := map[string]int{}
	total := 0
	for total < st.Delivered {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		require.NotEmpty(t, out.Messages, "queue ran dry after %d of %d messages", total, st.Delivered)
		for _, m := range out.Messages {
			nt := decodeNotification(t, []byte(aws.ToString(m.Body)))
			got[nt.NotificationMetadata.NotificationId]++
			total++
			_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
	require.Equal(t, want, got)
}
