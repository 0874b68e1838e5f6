package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/spsync/spsync/internal/push"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/streams"
	"github.com/spsync/spsync/internal/worker"
)

// amazonNotificationsPrincipal is the AWS account SP-API sends notifications from; an SQS
// destination's queue policy must let it send (Notifications API v1 use case guide).
const amazonNotificationsPrincipal = "437568002678"

// notificationTypes are the notifications spsync subscribes every account
// to: those the registry's streams consume (jobs.Stream.Push).
var notificationTypes = streams.All(nil).NotificationTypes()

// notificationsPayloadVersion is the payload version of every type subscribed:
// each notification type the streams consume is at 1.0.
const notificationsPayloadVersion = "1.0"

// destinationName names the destinations `notifications setup` creates.
const destinationName = "spsync"

const notificationsUsage = `usage: worker notifications setup --queue-arn ARN [--account A]
       worker notifications status [--account A]
`

// runNotifications sets up and shows SP-API push notifications to SQS.
func runNotifications(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, notificationsUsage)
		return 2
	}
	switch args[0] {
	case "setup":
		return runNotificationsSetup(ctx, args[1:], getenv, stdout, stderr)
	case "status":
		return runNotificationsStatus(ctx, args[1:], getenv, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "worker notifications: unknown subcommand %q\n%s", args[0], notificationsUsage)
		return 2
	}
}

// notifAccount is one configured account and its Notifications API client.
type notifAccount struct {
	id     string
	region string
	app    string // LWA client id
	client *spapi.NotificationsClient
}

// notifGroup is what destinations belong to: an application in a region. Its client is
// that of its first account; only its grantless operations are used.
type notifGroup struct {
	region, app string
	client      *spapi.NotificationsClient
	accounts    []*notifAccount
}

// notifTargets loads the configuration and builds a client per selected account, grouped by
// region and application. In simulate mode (no credentials) they talk to an in-process
// simulator, whose state ends with the command; the returned func releases it.
func notifTargets(name string, only string, getenv func(string) string, stderr io.Writer) ([]*notifGroup, func(), int) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "worker notifications %s: %v\n", name, err)
		return nil, nil, 2
	}
	accounts := cfg.Accounts
	if only != "" {
		accounts = nil
		for _, a := range cfg.Accounts {
			if a.ID == only {
				accounts = append(accounts, a)
			}
		}
		if len(accounts) == 0 {
			fmt.Fprintf(stderr, "worker notifications %s: account %q is not configured\n", name, only)
			return nil, nil, 2
		}
	}
	release := func() {}
	endpoint, lwa := cfg.SPAPIEndpoint, cfg.LWAEndpoint
	var simSrv *worker.SimServer
	if cfg.Simulate {
		var err error
		if simSrv, err = worker.StartSimulator(cfg, slog.New(slog.DiscardHandler)); err != nil {
			fmt.Fprintf(stderr, "worker notifications %s: %v\n", name, err)
			return nil, nil, 1
		}
		release = simSrv.Close
		endpoint, lwa = simSrv.URL(), simSrv.URL()+"/auth/o2/token"
		fmt.Fprintf(stderr, "worker notifications %s: no SP-API credentials configured: using an in-process simulator (its destinations and subscriptions end with this command)\n", name)
	}
	var groups []*notifGroup
	for _, a := range accounts {
		creds := spapi.Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(), RefreshToken: a.RefreshToken.Reveal()}
		if simSrv != nil {
			if sa, ok := simSrv.Account(a.ID); ok {
				creds = spapi.Credentials{ClientID: sa.ClientID, ClientSecret: sa.ClientSecret, RefreshToken: sa.RefreshToken}
			}
		}
		c, err := spapi.NewNotificationsClient(spapi.Options{
			Region: spapi.Region(a.Region), Account: a.ID, Endpoint: endpoint, LWAEndpoint: lwa, Credentials: creds,
		})
		if err != nil {
			release()
			fmt.Fprintf(stderr, "worker notifications %s: account %s: %v\n", name, a.ID, err)
			return nil, nil, 2
		}
		na := &notifAccount{id: a.ID, region: a.Region, app: creds.ClientID, client: c}
		var g *notifGroup
		for _, x := range groups {
			if x.region == na.region && x.app == na.app {
				g = x
			}
		}
		if g == nil {
			g = &notifGroup{region: na.region, app: na.app, client: c}
			groups = append(groups, g)
		}
		g.accounts = append(g.accounts, na)
	}
	return groups, release, 0
}

// runNotificationsSetup finds or creates, per region and application, the destination of the
// queue and, per account, the subscriptions of notificationTypes to it. Running it again
// creates nothing.
func runNotificationsSetup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker notifications setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	queueARN := fs.String("queue-arn", "", "ARN of the SQS queue Amazon delivers to (arn:aws:sqs:REGION:ACCOUNT:QUEUE)")
	only := fs.String("account", "", "set up this account only (default: every configured account)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker notifications setup: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	arn := strings.TrimSpace(*queueARN)
	if !validQueueARN(arn) {
		fmt.Fprintf(stderr, "worker notifications setup: --queue-arn %q is not an SQS queue ARN like arn:aws:sqs:us-east-1:123456789012:spsync-notifications\n", arn)
		return 2
	}
	groups, release, code := notifTargets("setup", *only, getenv, stderr)
	if groups == nil {
		return code
	}
	defer release()

	failed := false
	for _, g := range groups {
		destID, err := ensureDestination(ctx, g, arn, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "worker notifications setup: region %s: destination: %v\n", g.region, err)
			failed = true
			continue
		}
		for _, a := range g.accounts {
			for _, typ := range notificationTypes {
				if !ensureSubscription(ctx, a, typ, destID, stdout, stderr) {
					failed = true
				}
			}
		}
	}
	fmt.Fprintf(stdout, "\nAmazon delivers only if the queue's access policy lets its account %s send. Add this statement to the policy of %s:\n\n%s\n",
		amazonNotificationsPrincipal, arn, queuePolicyStatement(arn))
	fmt.Fprintln(stdout, "\nGive the queue a redrive policy (a dead-letter queue): spsync leaves messages it cannot use for it.")
	if failed {
		return 1
	}
	return 0
}

// validQueueARN checks the model's SqsResource.arn pattern ^arn:aws:sqs:\S+:\S+:\S+.
func validQueueARN(arn string) bool {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "sqs" || len(arn) > 1000 {
		return false
	}
	for _, p := range parts[3:] {
		if p == "" || strings.ContainsAny(p, " \t\n") {
			return false
		}
	}
	return true
}

// ensureDestination returns the id of the group's destination for arn, creating it when
// getDestinations has none.
func ensureDestination(ctx context.Context, g *notifGroup, arn string, stdout io.Writer) (string, error) {
	find := func() (*spapi.Destination, error) {
		dests, err := g.client.GetDestinations(ctx)
		if err != nil {
			return nil, err
		}
		for i := range dests {
			if dests[i].SQSARN() == arn {
				return &dests[i], nil
			}
		}
		return nil, nil
	}
	d, err := find()
	if err != nil {
		return "", err
	}
	if d != nil {
		fmt.Fprintf(stdout, "region %s: found destination %s (%q) for %s\n", g.region, d.DestinationID, d.Name, arn)
		return d.DestinationID, nil
	}
	d, err = g.client.CreateDestination(ctx, destinationName, arn)
	if errors.Is(err, spapi.ErrConflict) {
		// Created meanwhile by someone else: use it.
		if d, err = find(); err == nil && d == nil {
			err = errors.New("createDestination answered 409 but getDestinations does not list the queue")
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(stdout, "region %s: found destination %s (%q) for %s\n", g.region, d.DestinationID, d.Name, arn)
		return d.DestinationID, nil
	}
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "region %s: created destination %s (%q) for %s\n", g.region, d.DestinationID, d.Name, arn)
	return d.DestinationID, nil
}

// ensureSubscription subscribes a to typ at destID unless it is subscribed already, and says
// which. A subscription to another destination is left alone and reported as a failure.
func ensureSubscription(ctx context.Context, a *notifAccount, typ, destID string, stdout, stderr io.Writer) bool {
	report := func(sub *spapi.Subscription, verb string) bool {
		if sub.DestinationID != destID {
			fmt.Fprintf(stderr, "worker notifications setup: account %s: %s is subscribed to another destination, %s (subscription %s); "+
				"spsync left it alone: delete that subscription (deleteSubscriptionById) and run setup again to move it to this queue\n",
				a.id, typ, sub.DestinationID, sub.SubscriptionID)
			return false
		}
		fmt.Fprintf(stdout, "account %s: %s %s: subscription %s (payload %s)\n", a.id, verb, typ, sub.SubscriptionID, sub.PayloadVersion)
		if len(sub.ProcessingDirective) > 0 {
			fmt.Fprintf(stderr, "worker notifications setup: account %s: the %s subscription has a processing directive (%s): aggregation delays and drops interim events\n", a.id, typ, sub.ProcessingDirective)
		}
		return true
	}
	sub, err := a.client.GetSubscription(ctx, typ)
	if err == nil {
		return report(sub, "found")
	}
	if !errors.Is(err, spapi.ErrNotFound) {
		fmt.Fprintf(stderr, "worker notifications setup: account %s: %s: %v\n", a.id, typ, err)
		return false
	}
	sub, err = a.client.CreateSubscription(ctx, typ, notificationsPayloadVersion, destID)
	if errors.Is(err, spapi.ErrConflict) {
		// Amazon's 409: it exists after all (created meanwhile); not an error.
		if sub, err = a.client.GetSubscription(ctx, typ); err == nil {
			return report(sub, "found (409 on create)")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "worker notifications setup: account %s: %s: %v\n", a.id, typ, err)
		return false
	}
	return report(sub, "created")
}

// queuePolicyStatement is the SQS access policy that lets SP-API deliver to arn.
func queuePolicyStatement(arn string) string {
	policy := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "AllowSellingPartnerAPINotifications",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": "arn:aws:iam::" + amazonNotificationsPrincipal + ":root"},
			"Action":    []string{"sqs:SendMessage", "sqs:GetQueueAttributes"},
			"Resource":  arn,
		}},
	}
	b, _ := json.MarshalIndent(policy, "", "  ")
	return string(b)
}

// runNotificationsStatus shows per region the destinations and per account the
// subscriptions, and with SPSYNC_SQS_QUEUE_URL set the queue's depth and redrive policy.
func runNotificationsStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker notifications status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("account", "", "show this account only (default: every configured account)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker notifications status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	groups, release, code := notifTargets("status", *only, getenv, stderr)
	if groups == nil {
		return code
	}
	defer release()

	failed := false
	for _, g := range groups {
		dests, err := g.client.GetDestinations(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "worker notifications status: region %s: destinations: %v\n", g.region, err)
			failed = true
		}
		byID := map[string]spapi.Destination{}
		fmt.Fprintf(stdout, "region %s, application %s: %d destination(s)\n", g.region, g.app, len(dests))
		for _, d := range dests {
			byID[d.DestinationID] = d
			target := d.SQSARN()
			if eb := d.Resource.EventBridge; eb != nil {
				target = "EventBridge " + eb.Name + " (" + eb.Region + ", " + eb.AccountID + ")"
			}
			fmt.Fprintf(stdout, "  destination %s %q: %s\n", d.DestinationID, d.Name, target)
		}
		for _, a := range g.accounts {
			fmt.Fprintf(stdout, "account %s:\n", a.id)
			for _, typ := range notificationTypes {
				sub, err := a.client.GetSubscription(ctx, typ)
				switch {
				case errors.Is(err, spapi.ErrNotFound):
					fmt.Fprintf(stdout, "  %-25s not subscribed (run: worker notifications setup --queue-arn ARN)\n", typ)
				case err != nil:
					fmt.Fprintf(stdout, "  %-25s error: %v\n", typ, err)
					failed = true
				default:
					where := sub.DestinationID
					if d, ok := byID[sub.DestinationID]; ok && d.SQSARN() != "" {
						where = d.SQSARN()
					}
					fmt.Fprintf(stdout, "  %-25s subscription %s → %s (payload %s)", typ, sub.SubscriptionID, where, sub.PayloadVersion)
					if len(sub.ProcessingDirective) > 0 {
						fmt.Fprintf(stdout, " processing directive %s", sub.ProcessingDirective)
					}
					fmt.Fprintln(stdout)
				}
			}
		}
	}
	if queueURL := strings.TrimSpace(getenv("SPSYNC_SQS_QUEUE_URL")); queueURL != "" {
		if err := writeQueueStatus(ctx, queueURL, strings.TrimSpace(getenv("SPSYNC_SQS_ENDPOINT")), stdout); err != nil {
			fmt.Fprintf(stderr, "worker notifications status: queue %s: %v\n", queueURL, err)
			failed = true
		}
	} else {
		fmt.Fprintln(stdout, "queue: SPSYNC_SQS_QUEUE_URL is not set, so the queue's redrive policy is not checked")
	}
	if failed {
		return 1
	}
	return 0
}

// writeQueueStatus reads the queue's attributes with the AWS SDK's default credential chain
// (endpoint overridden by SPSYNC_SQS_ENDPOINT when set) and prints its depth and redrive
// policy, warning when it has none.
func writeQueueStatus(ctx context.Context, queueURL, endpoint string, stdout io.Writer) error {
	client, err := push.NewSQSClient(ctx, queueURL, endpoint)
	if err != nil {
		return err
	}
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameQueueArn,
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameRedrivePolicy,
		},
	})
	if err != nil {
		return err
	}
	attrs := out.Attributes
	fmt.Fprintf(stdout, "queue %s", queueURL)
	if arn := attrs[string(sqstypes.QueueAttributeNameQueueArn)]; arn != "" {
		fmt.Fprintf(stdout, " (%s)", arn)
	}
	fmt.Fprintf(stdout, ": about %s message(s) waiting\n", orDash(attrs[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]))
	raw := attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)]
	if raw == "" {
		fmt.Fprintln(stdout, "  WARNING: the queue has no redrive policy: a message spsync cannot use is received again and again forever; give it a dead-letter queue (RedrivePolicy deadLetterTargetArn, maxReceiveCount)")
		return nil
	}
	var rp struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if json.Unmarshal([]byte(raw), &rp) != nil || rp.DeadLetterTargetArn == "" {
		fmt.Fprintf(stdout, "  redrive policy: %s\n", raw)
		return nil
	}
	fmt.Fprintf(stdout, "  redrive policy: dead-letter queue %s after %s receive(s)\n", rp.DeadLetterTargetArn, strings.Trim(string(rp.MaxReceiveCount), `"`))
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
