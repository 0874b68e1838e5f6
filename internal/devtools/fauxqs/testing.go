package fauxqs

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spsync/spsync/internal/devtools/npmtool"
)

// Server is one fauxqs process of a test.
type Server struct {
	// Endpoint is the base URL (http://127.0.0.1:PORT) for the SDK's
	// BaseEndpoint.
	Endpoint  string
	Region    string
	AccountID string
}

// Start runs a fauxqs server for tb, killed when tb ends. Without node it
// fails tb under CI=true and skips it elsewhere.
func Start(tb testing.TB) *Server {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatalf("fauxqs: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := launch(ctx, root)
	npmtool.Require(tb, "fauxqs", "the SQS tests", err)
	tb.Cleanup(p.stop)
	return &Server{Endpoint: p.endpoint, Region: Region, AccountID: AccountID}
}

// Client returns an SQS client of srv with static credentials.
func Client(tb testing.TB, srv *Server) *sqs.Client {
	tb.Helper()
	return sqs.New(sqs.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(srv.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// CreateQueue creates the queue name and returns its URL and ARN. With
// withDLQ it first creates name+"-dlq" and gives the queue a RedrivePolicy
// that moves a message there after maxReceive receives.
func (s *Server) CreateQueue(tb testing.TB, name string, withDLQ bool, maxReceive int) (queueURL, queueARN string) {
	tb.Helper()
	ctx := context.Background()
	c := Client(tb, s)
	attrs := map[string]string{}
	if withDLQ {
		_, dlqARN := s.CreateQueue(tb, name+"-dlq", false, 0)
		policy, _ := json.Marshal(map[string]string{"deadLetterTargetArn": dlqARN, "maxReceiveCount": strconv.Itoa(maxReceive)})
		attrs["RedrivePolicy"] = string(policy)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		tb.Fatalf("fauxqs: create queue %s: %v", name, err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		tb.Fatalf("fauxqs: queue %s attributes: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}
