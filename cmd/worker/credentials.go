package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

const credentialsUsage = `usage:
  worker credentials list [--json]
  worker credentials set-secret [--client-id ID] [--expires DATE] [--client-secret-env NAME]
  worker credentials rotate [--client-id ID]
  worker credentials rekey

list shows each application's client secrets (never their values): state,
expiry ("unknown" when neither Amazon nor an operator told it), where it came
from, when LWA last accepted or refused it, and the id of the key that sealed
it.

set-secret stores a client secret made in the Developer Console: it becomes
primary at once when the application has none, else pending — workers try it
and make it primary once LWA accepts it, the old one staying the fallback
until it expires. DATE is the expiry the console shows (2027-06-01 or RFC
3339); without a queue registered for application notifications it is the
only way spsync learns it. The secret is one line on stdin, or the variable
named by --client-secret-env; never an argument. --client-id may be left out
when one application is stored.

rotate asks Amazon for a new client secret now (the workers do it on their
own before a known expiry).

rekey re-seals every stored secret with SPSYNC_SECRET_KEY. To change keys:
run every worker with the new key in SPSYNC_SECRET_KEY and the old one in
SPSYNC_SECRET_KEY_PREVIOUS, run rekey with the same two, then drop
SPSYNC_SECRET_KEY_PREVIOUS.
`

// runCredentials lists and changes applications' client secrets and the
// sealing key.
func runCredentials(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, credentialsUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return credentialsList(ctx, args[1:], getenv, stdout, stderr)
	case "set-secret":
		return credentialsSetSecret(ctx, args[1:], getenv, stdout, stderr)
	case "rotate":
		return runCredentialsRotate(ctx, args[1:], getenv, stdout, stderr)
	case "rekey":
		return credentialsRekey(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, credentialsUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "worker credentials: unknown command %q\n%s", args[0], credentialsUsage)
		return 2
	}
}

func credentialsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runList(ctx, "credentials list", args, getenv, stdout, stderr, (*accounts.Admin).Secrets, writeSecrets)
}

// writeSecrets prints the client secrets as a table.
func writeSecrets(w io.Writer, list []accounts.SecretInfo) error {
	if len(list) == 0 {
		_, err := io.WriteString(w, "(no client secrets stored: `worker credentials set-secret`, or start `worker run` with SPSYNC_SECRET_KEY to store the declared ones)\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLIENT ID\tSTATE\tEXPIRES\tEXPIRY FROM\tSOURCE\tRECEIVED\tACCEPTED\tREFUSED\tREFUSALS\tKEY")
	for _, s := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.ClientID, s.State, s.Expiry, dash(s.ExpirySource),
			s.Source, when(&s.ReceivedAt), when(s.AcceptedAt), when(s.RefusedAt), s.Refusals, dash(s.KeyID))
	}
	return tw.Flush()
}

func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func credentialsSetSecret(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const name = "credentials set-secret"
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, credentialsUsage) }
	clientID := fs.String("client-id", "", "the application's LWA client id (default: the only stored application)")
	expiresText := fs.String("expires", "", "when the secret expires, as the Developer Console shows it (2027-06-01 or RFC 3339)")
	secretEnv := fs.String("client-secret-env", "", "environment variable holding the client secret (default: one line on stdin)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker %s: unexpected argument; secrets are never read from the command line (use stdin or --client-secret-env NAME)\n", name)
		return 2
	}
	var expires *time.Time
	if *expiresText != "" {
		t, err := parseDate("--expires", *expiresText)
		if err != nil {
			fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
			return 2
		}
		expires = &t
	}
	a, code := openAdmin(ctx, name, getenv, stderr, true)
	if a == nil {
		return code
	}
	defer a.Close()
	if *clientID == "" {
		apps, err := store.ListApplications(ctx, a.db.Pool)
		if err != nil {
			fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
			return 1
		}
		if len(apps) != 1 {
			fmt.Fprintf(stderr, "worker %s: %d applications are stored: name one with --client-id\n", name, len(apps))
			return 2
		}
		*clientID = apps[0].ClientID
	}
	secret, err := readSecret("client secret", *secretEnv, getenv, secretInput, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 2
	}
	id, added, err := a.admin.SetSecret(ctx, *clientID, secret, expires)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	state := ""
	if list, err := a.admin.Secrets(ctx); err == nil {
		for _, s := range list {
			if s.ID == id {
				state = s.State
			}
		}
	}
	switch {
	case !added:
		fmt.Fprintf(stdout, "client secret %d of %s is this secret already (%s): nothing changed but a missing expiry\n", id, *clientID, state)
	case state == store.SecretPending:
		fmt.Fprintf(stdout, "client secret %d of %s stored (pending): workers try it within a minute and make it primary once LWA accepts it; the current one stays the fallback\n", id, *clientID)
	default:
		fmt.Fprintf(stdout, "client secret %d of %s stored (%s)\n", id, *clientID, state)
	}
	return 0
}

func credentialsRekey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const name = "credentials rekey"
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, credentialsUsage) }
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
	a, code := openAdmin(ctx, name, getenv, stderr, true)
	if a == nil {
		return code
	}
	defer a.Close()
	n, err := a.admin.Rekey(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "%d stored secrets re-sealed with key %s; every stored secret now opens with it: once every worker runs with this key, SPSYNC_SECRET_KEY_PREVIOUS can go\n",
		n, a.admin.Keys.Current.ID())
	return 0
}
