package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/rotation"
	"github.com/spsync/spsync/internal/store"
)

// runCredentialsRotate is `worker credentials rotate [--client-id ID]`:
// it requests a rotation of the application's LWA client secret now by
// inserting the rotation job (unique per application); a running worker
// calls rotateApplicationClientSecret within seconds. An operator's
// rotation also clears a give-up or a "not enrolled" (the operator says
// the cause is fixed) and starts a new count of attempts.
//
// It refuses without SPSYNC_APP_SQS_QUEUE_URL: Amazon sends the new secret
// only to the queue registered in the Developer Console, and the current
// one stops working 7 days after the rotation, so a rotation nobody reads
// the queue of takes the application down.
func runCredentialsRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const name = "credentials rotate"
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, credentialsUsage) }
	clientID := fs.String("client-id", "", "the application's LWA client id (may be left out when one application is stored)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	rot, err := config.LoadRotation(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 2
	}
	if rot.AppQueueURL == "" {
		fmt.Fprintf(stderr, "worker %s: no application queue (%s): Amazon sends the new secret only to the queue registered "+
			"in the Developer Console and the current one stops working 7 days after a rotation; set %s as the workers have it, "+
			"or make a secret in the Developer Console and store it with `worker credentials set-secret`\n",
			name, config.EnvAppQueueURL, config.EnvAppQueueURL)
		return 2
	}
	a, code := openAdmin(ctx, name, getenv, stderr, false)
	if a == nil {
		return code
	}
	defer a.Close()
	pool := a.db.Pool

	apps, err := store.ListApplications(ctx, pool)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	var app *store.Application
	switch {
	case *clientID == "" && len(apps) != 1:
		fmt.Fprintf(stderr, "worker %s: %d applications are stored: name one with --client-id\n", name, len(apps))
		return 2
	case *clientID == "":
		app = apps[0]
	default:
		for _, x := range apps {
			if x.ClientID == *clientID {
				app = x
			}
		}
		if app == nil {
			fmt.Fprintf(stderr, "worker %s: no application %q is stored (`worker credentials list` shows them)\n", name, *clientID)
			return 2
		}
	}
	secrets, err := store.LockSecretsOfApplication(ctx, pool, app.ClientID)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	now := time.Now()
	for _, s := range secrets {
		if s.State == store.SecretPending && (s.ExpiresAt == nil || s.ExpiresAt.After(now)) {
			fmt.Fprintf(stdout, "%s: client secret %d waits for LWA to accept it (a rotation happened already); workers make it primary once LWA does: no rotation queued\n", app.ClientID, s.ID)
			return 0
		}
	}

	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	res, err := client.Insert(ctx, rotation.RotateArgs{ClientID: app.ClientID, Operator: true}, nil)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	if res.UniqueSkippedAsDuplicate {
		fmt.Fprintf(stdout, "%s: a rotation is already queued or running (job %d)\n", app.ClientID, res.Job.ID)
		return 0
	}
	fmt.Fprintf(stdout, "%s: rotation queued as job %d.\n", app.ClientID, res.Job.ID)
	switch {
	case app.NotEnrolledAt != nil:
		fmt.Fprintln(stdout, "  Amazon said no queue was registered (not enrolled); this retries on the assumption that it now is.")
	case app.RotationGaveUpAt != nil:
		fmt.Fprintf(stdout, "  Automatic rotation gave up after %d rotations brought no new secret; this starts a new count.\n", app.RotationAttempts)
	}
	fmt.Fprintf(stdout, "  A running worker calls rotateApplicationClientSecret within seconds; Amazon sends the new secret to the\n"+
		"  application queue (%s), where a worker stores it and makes it primary once LWA accepts it\n"+
		"  (about 30 minutes). The current secret keeps working for 7 days. `worker credentials list` shows the new secret,\n"+
		"  `worker status` the rotation; if none arrives within an hour, check the queue registered in the Developer Console.\n",
		rot.AppQueueURL)
	return 0
}
