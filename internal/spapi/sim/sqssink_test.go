package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi/sim"
)

// lockedBuffer collects a child process's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startFauxqs starts the fauxqs SQS emulator from SPSYNC_TEST_FAUXQS_DIR (a
// directory holding node_modules/fauxqs, e.g. after `npm install
// fauxqs@1.9.2` there) and returns its endpoint. Without the variable it
// skips, or fails under CI=true. (A local stand-in for the project's shared
// fauxqs launcher, internal/devtools/fauxqs, to be switched at merge.)
func startFauxqs(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SPSYNC_TEST_FAUXQS_DIR")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SPSYNC_TEST_FAUXQS_DIR is unset (CI=true requires the SQS emulator)")
		}
		t.Skip("SPSYNC_TEST_FAUXQS_DIR is unset: set it to a directory with node_modules/fauxqs (npm install fauxqs@1.9.2) to test against a real SQS wire protocol")
	}
	cli := filepath.Join(dir, "node_modules", "fauxqs", "dist", "cli.js")
	_, err := os.Stat(cli)
	require.NoError(t, err, "fauxqs not installed in %s", dir)
	node, err := exec.LookPath("node")
	require.NoError(t, err, "fauxqs needs Node.js")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, cli)
	cmd.Env = append(os.Environ(), fmt.Sprintf("FAUXQS_PORT=%d", port), "FAUXQS_LOGGER=false")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })

	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		resp, err := http.Get(endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return endpoint
			}
		}
		select {
		case <-exited:
			t.Fatalf("fauxqs exited before it was healthy:\n%s", out.String())
		case <-poll.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("fauxqs not healthy at %s after 20s:\n%s", endpoint, out.String())
		}
	}
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
