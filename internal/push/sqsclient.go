package push

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NewSQSClient is an SQS client for queueURL from the AWS SDK's default
// chain (AWS_REGION, AWS_ACCESS_KEY_ID, profiles, instance roles). Without
// a configured region, the queue URL's host names it
// (sqs.us-east-1.amazonaws.com); endpoint, when set, replaces AWS's (a
// local SQS-compatible server). The worker and `worker notifications
// status` both use it.
func NewSQSClient(ctx context.Context, queueURL, endpoint string) (*sqs.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = QueueRegion(queueURL)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION (the queue's region)")
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// QueueRegion reads the region out of a queue URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), or "".
func QueueRegion(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 3 && parts[0] == "sqs" {
		return parts[1]
	}
	return ""
}
