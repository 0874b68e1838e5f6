package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/dbopen"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/schema"
)

const accountsUsage = `usage:
  worker accounts list [--json]
  worker accounts add ID --client-id CLIENT --marketplace-ids ATVPDKIKX0DER[,…] [--region na|eu|fe]
                     [--selling-partner-id A3TH9S8BH6GOGM] [--orders-api 2026-01-01|v0]
                     [--refresh-token-env NAME] [--client-secret-env NAME]
  worker accounts pause ID
  worker accounts resume ID
  worker accounts remove ID
  worker accounts set-refresh-token ID [--refresh-token-env NAME]
  worker accounts invite --region na|eu|fe --marketplaces ATVPDKIKX0DER[,…] [--id ID] [--expires 72h]
  worker accounts invite --account ID [--expires 72h]

Accounts are rows in Postgres; every running worker applies a change within
a minute, without a restart. pause and remove cancel the account's waiting
jobs (a running one stops after its current page); resume puts them back and
the account continues from its cursors. remove keeps every row: resume
brings the account back.

Secrets are never read from the command line: the refresh token is one line
on stdin (echo "$TOKEN" | worker accounts set-refresh-token ID), or the
environment variable named by --refresh-token-env; the application's client
secret (needed by add only when none is stored) comes from the variable named
by --client-secret-env. add, set-refresh-token and the credentials commands
seal secrets with the workers' key: SPSYNC_SECRET_KEY (or
SPSYNC_SECRET_KEY_FILE; with the local database, <SPSYNC_DATA_DIR>/secret.key).

invite prints a link ({SPSYNC_OAUTH_BASE_URL}/oauth/invite/{token}) to send a
seller: opening it takes the seller to Seller Central to authorize the
application, and the account is stored when they confirm (workers running
with SPSYNC_OAUTH_ADDR serve the link). With --account it re-authorizes that
account (its region and marketplaces); otherwise it creates one, named --id
or <selling partner id>-<region>. A link works once, until it expires
(--expires, default SPSYNC_OAUTH_INVITATION_TTL or 7 days). list shows when
each account was last authorized; SELLING PARTNER "unmatched" marks an
account stored without a selling partner id: re-authorize it with an
--account invitation to match it to its seller.
`

// secretInput is where secrets are read from when no variable is named.
var secretInput io.Reader = os.Stdin

// runAccounts lists and changes the stored accounts.
func runAccounts(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, accountsUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return accountsList(ctx, args[1:], getenv, stdout, stderr)
	case "add":
		return accountsAdd(ctx, args[1:], getenv, stdout, stderr)
	case "pause", "resume", "remove":
		return accountsSetState(ctx, args[0], args[1:], getenv, stdout, stderr)
	case "set-refresh-token":
		return accountsSetRefreshToken(ctx, args[1:], getenv, stdout, stderr)
	case "invite":
		return accountsInvite(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, accountsUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "worker accounts: unknown command %q\n%s", args[0], accountsUsage)
		return 2
	}
}

// adminDB is what `worker accounts` and `worker credentials` work with: the
// workers' database and an Admin over it.
type adminDB struct {
	db    *dbopen.DB
	admin *accounts.Admin
}

func (a *adminDB) Close() { a.db.Close() }

// openAdmin opens the database the workers use, as config does
// (DATABASE_URL, else the local server in SPSYNC_DATA_DIR), without loading
// the whole configuration: an operator pausing an account needs neither the
// accounts file's variables nor the LWA secrets in their shell. With
// needKey, the sealing key must be found (SPSYNC_SECRET_KEY or
// SPSYNC_SECRET_KEY_FILE, or the local database's secret.key). The code it
// returns on failure is the exit code.
func openAdmin(ctx context.Context, name string, getenv func(string) string, stderr io.Writer, needKey bool) (*adminDB, int) {
	fail := func(code int, err error) (*adminDB, int) {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return nil, code
	}
	databaseURL := strings.TrimSpace(getenv("DATABASE_URL"))
	dataDir := strings.TrimSpace(getenv("SPSYNC_DATA_DIR"))
	if dataDir == "" {
		dataDir = ".spsync"
	}
	keys, err := accounts.LoadKeyring(getenv)
	if err != nil {
		return fail(2, err)
	}
	if needKey && keys == nil && databaseURL != "" {
		return fail(2, errNoKey)
	}
	db, err := dbopen.Open(ctx, databaseURL, dataDir, io.Discard)
	if err != nil {
		return fail(1, err)
	}
	m, err := schema.New(db.Pool, slog.New(slog.DiscardHandler))
	if err == nil {
		err = m.Check(ctx)
		m.Close()
	}
	if err != nil {
		db.Close()
		return fail(1, err)
	}
	if needKey && keys == nil {
		// The local database's key, where `worker run` keeps it: the
		// directory asked for, or the one the server moved to.
		for _, dir := range []string{dataDir, db.DataDir} {
			if dir == "" {
				continue
			}
			ring, _, ok, err := accounts.LocalKey(dir, false)
			if err != nil {
				db.Close()
				return fail(2, err)
			}
			if ok {
				keys = ring
				break
			}
		}
		if keys == nil {
			db.Close()
			return fail(2, fmt.Errorf("%w (no %s in %s either)", errNoKey, accounts.LocalKeyFileName, dataDir))
		}
	}
	return &adminDB{db: db, admin: &accounts.Admin{Pool: db.Pool, Keys: keys, Now: time.Now}}, 0
}

var errNoKey = errors.New("no secret key: set SPSYNC_SECRET_KEY (or SPSYNC_SECRET_KEY_FILE) to the key the workers use; a new deployment makes one with `openssl rand -base64 32`")

// parseInterspersed parses flags that may come before or after the
// positional arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// oneID checks that the command got exactly one account id. Whatever else
// was given is not echoed: it may be a secret pasted on the command line.
func oneID(positional []string) (string, error) {
	switch len(positional) {
	case 0:
		return "", errors.New("name the account: ID")
	case 1:
		return positional[0], nil
	default:
		return "", errors.New("one account ID only; secrets are never read from the command line (use stdin or --refresh-token-env NAME)")
	}
}

// readSecret reads a secret from the environment variable envName when it
// is set, else one line from in. A terminal gets a prompt on stderr.
func readSecret(what, envName string, getenv func(string) string, in io.Reader, stderr io.Writer) (string, error) {
	if envName != "" {
		v := strings.TrimSpace(getenv(envName))
		if v == "" {
			return "", fmt.Errorf("environment variable %s (the %s) is empty or unset", envName, what)
		}
		return v, nil
	}
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(stderr, "paste the %s and press Enter (it shows as you type: prefer a pipe or a variable): ", what)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(in, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	if v := strings.TrimSpace(line); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("no %s on stdin: pipe it in as one line, or name a variable that holds it with --%s-env NAME", what, strings.ReplaceAll(what, " ", "-"))
}

func accountsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runList(ctx, "accounts list", args, getenv, stdout, stderr, (*accounts.Admin).List, writeAccounts)
}

// runList is `worker NAME [--json]`: what fetch returns, as a table
// (write) or JSON.
func runList[T any](ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	fetch func(*accounts.Admin, context.Context) ([]T, error), write func(io.Writer, []T) error) int {
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	a, code := openAdmin(ctx, name, getenv, stderr, false)
	if a == nil {
		return code
	}
	defer a.Close()
	list, err := fetch(a.admin, ctx)
	if err == nil {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			err = enc.Encode(list)
		} else {
			err = write(stdout, list)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	return 0
}

// writeAccounts prints the accounts as a table.
func writeAccounts(w io.Writer, list []accounts.AccountInfo) error {
	if len(list) == 0 {
		_, err := io.WriteString(w, "(no accounts stored: `worker accounts add`, or start `worker run` with SPSYNC_SECRET_KEY to store the declared ones)\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREGION\tMARKETPLACES\tSELLING PARTNER\tCLIENT ID\tORDERS API\tTOKEN SET\tLAST AUTHORIZED\tKEY\tDECLARED BY\tREASON")
	for _, a := range list {
		token := "none"
		if a.HasRefreshToken {
			token = "yes"
			if a.RefreshTokenSet != nil {
				token = a.RefreshTokenSet.UTC().Format(time.RFC3339)
			}
		}
		// An account without a selling partner id cannot be told apart
		// by push notifications nor matched to a seller's authorization.
		seller := a.SellingPartnerID
		if seller == "" {
			seller = unmatched
		}
		authorized := "never"
		if a.LastAuthorized != nil {
			authorized = a.LastAuthorized.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.Region, strings.Join(a.MarketplaceIDs, ","),
			seller, a.ClientID, a.OrdersAPI, token, authorized, dash(a.KeyID), a.DeclaredBy, dash(a.StateReason))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func accountsAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker accounts add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, accountsUsage) }
	region := fs.String("region", "na", "SP-API region: na, eu or fe")
	marketplaces := fs.String("marketplace-ids", "", "marketplaces to sync, comma separated")
	sellingPartner := fs.String("selling-partner-id", "", "the seller's merchant token (routes push notifications)")
	clientID := fs.String("client-id", "", "the application's LWA client id")
	ordersAPI := fs.String("orders-api", "", "Orders API to sync through: 2026-01-01 (default) or v0")
	tokenEnv := fs.String("refresh-token-env", "", "environment variable holding the refresh token (default: one line on stdin)")
	secretEnv := fs.String("client-secret-env", "", "environment variable holding the application's client secret, when none is stored")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	id, err := oneID(positional)
	if err == nil && *clientID == "" {
		err = errors.New("--client-id is required: the application's LWA client id")
	}
	if err == nil && *marketplaces == "" {
		err = errors.New("--marketplace-ids is required, e.g. ATVPDKIKX0DER")
	}
	spec := accounts.AccountSpec{
		ID: id, Region: *region, MarketplaceIDs: strings.Split(*marketplaces, ","), SellingPartnerID: *sellingPartner,
		ClientID: *clientID, OrdersAPI: *ordersAPI, RefreshToken: "-", // checked before reading the secret
	}
	if err == nil {
		err = spec.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker accounts add:", err)
		return 2
	}
	a, code := openAdmin(ctx, "accounts add", getenv, stderr, true)
	if a == nil {
		return code
	}
	defer a.Close()
	if spec.RefreshToken, err = readSecret("refresh token", *tokenEnv, getenv, secretInput, stderr); err != nil {
		fmt.Fprintln(stderr, "worker accounts add:", err)
		return 2
	}
	if *secretEnv != "" {
		if spec.ClientSecret, err = readSecret("client secret", *secretEnv, getenv, nil, stderr); err != nil {
			fmt.Fprintln(stderr, "worker accounts add:", err)
			return 2
		}
	}
	if err := a.admin.Add(ctx, spec); err != nil {
		fmt.Fprintln(stderr, "worker accounts add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "account %s added (active): running workers start syncing it within a minute\n", spec.ID)
	return 0
}

func accountsSetState(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name := "accounts " + verb
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, accountsUsage) }
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	id, err := oneID(positional)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 2
	}
	a, code := openAdmin(ctx, name, getenv, stderr, false)
	if a == nil {
		return code
	}
	defer a.Close()
	var done string
	switch verb {
	case "pause":
		err = a.admin.Pause(ctx, id)
		done = "paused: its waiting jobs are cancelled, a running one stops after its current page; `worker accounts resume " + id + "` continues from its cursors"
	case "resume":
		err = a.admin.Resume(ctx, id)
		done = "active: its jobs are queued again and it continues from its cursors"
	case "remove":
		err = a.admin.Remove(ctx, id)
		done = "removed: its jobs are cancelled, its rows stay; `worker accounts resume " + id + "` brings it back"
	}
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "account %s %s\n", id, done)
	return 0
}

func accountsSetRefreshToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const name = "accounts set-refresh-token"
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, accountsUsage) }
	tokenEnv := fs.String("refresh-token-env", "", "environment variable holding the refresh token (default: one line on stdin)")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	id, err := oneID(positional)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 2
	}
	a, code := openAdmin(ctx, name, getenv, stderr, true)
	if a == nil {
		return code
	}
	defer a.Close()
	token, err := readSecret("refresh token", *tokenEnv, getenv, secretInput, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 2
	}
	before, err := accountState(ctx, a, id)
	if err == nil {
		err = a.admin.SetRefreshToken(ctx, id, token)
	}
	if err != nil {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return 1
	}
	msg := fmt.Sprintf("account %s: refresh token replaced; workers use it within a minute", id)
	if before == "needs_reauth" {
		msg = fmt.Sprintf("account %s: refresh token set, the account is active again: its jobs are queued and it continues from its cursors", id)
	}
	fmt.Fprintln(stdout, msg)
	return 0
}

// accountState reads the account's state, for the message after a change.
func accountState(ctx context.Context, a *adminDB, id string) (string, error) {
	list, err := a.admin.List(ctx)
	if err != nil {
		return "", err
	}
	for _, info := range list {
		if info.ID == id {
			return info.State, nil
		}
	}
	return "", fmt.Errorf("account %q does not exist: `worker accounts list` shows the accounts, `worker accounts add` adds one", id)
}

// unmatched is what `worker accounts list` shows for an account stored
// without a selling partner id.
const unmatched = "unmatched"

// accountsInvite stores an invitation and prints its link: the one place
// the token is ever shown (only its hash is stored).
func accountsInvite(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const name = "accounts invite"
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, accountsUsage) }
	region := fs.String("region", "", "SP-API region of the new account: na, eu or fe")
	marketplaces := fs.String("marketplaces", "", "marketplaces the new account syncs, comma separated")
	id := fs.String("id", "", "id of the new account (default: <selling partner id>-<region>, lower case)")
	account := fs.String("account", "", "re-authorize this existing account instead (its region and marketplaces)")
	expires := fs.Duration("expires", 0, "how long the link works (default SPSYNC_OAUTH_INVITATION_TTL, else 168h)")
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "worker %s: %v\n", name, err)
		return code
	}
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(positional) > 0 {
		return fail(2, errors.New("unexpected argument: name the account to re-authorize with --account ID, a new one's id with --id ID"))
	}
	req := oauth.InviteRequest{Region: strings.ToLower(strings.TrimSpace(*region)), AccountID: *id, ReauthAccountID: *account, TTL: *expires}
	switch {
	case *account != "" && *id != "":
		return fail(2, errors.New("--id names a new account, --account an existing one: give one"))
	case *account != "" && *marketplaces != "":
		return fail(2, fmt.Errorf("--account %s uses the account's marketplaces: leave out --marketplaces", *account))
	case *account == "" && req.Region == "":
		return fail(2, fmt.Errorf("--region is required for a new account: one of %s (or --account ID to re-authorize one)", strings.Join(config.Regions, ", ")))
	case *account == "" && !slices.Contains(config.Regions, req.Region):
		return fail(2, fmt.Errorf("unknown region %q: use one of %s", *region, strings.Join(config.Regions, ", ")))
	case *account == "" && strings.TrimSpace(*marketplaces) == "":
		return fail(2, fmt.Errorf("--marketplaces is required for a new account: the marketplaces it syncs, comma separated; region %s has %s",
			req.Region, strings.Join(accounts.MarketplacesOfRegion(req.Region), ",")))
	case *expires < 0 || (*expires > 0 && *expires < time.Minute):
		return fail(2, fmt.Errorf("--expires %s: give at least 1m, e.g. 72h", *expires))
	}
	if *marketplaces != "" {
		req.MarketplaceIDs = strings.Split(*marketplaces, ",")
	}
	cfg, err := oauth.LoadConfig(getenv)
	if err != nil {
		return fail(2, err)
	}
	if cfg.BaseURL == "" {
		return fail(2, fmt.Errorf("set %s to the public address the workers' onboarding listener is reached at (https://…): the link is built on it", oauth.EnvBaseURL))
	}
	if req.TTL == 0 {
		req.TTL = cfg.InvitationTTL
	}
	// The seller's refresh token will be sealed with the workers' key:
	// without one the authorization could not be stored.
	a, code := openAdmin(ctx, name, getenv, stderr, true)
	if a == nil {
		return code
	}
	defer a.Close()
	req.Now = a.admin.Now()
	token, inv, err := oauth.Invite(ctx, a.db.Pool, req)
	if err != nil {
		return fail(1, err)
	}
	what := "a new account"
	switch {
	case inv.ReauthAccountID != "":
		what = "re-authorizing account " + inv.ReauthAccountID
	case inv.AccountID != "":
		what = "new account " + inv.AccountID
	}
	fmt.Fprintf(stdout, "invitation %d: %s in region %s (%s)\n", inv.ID, what, inv.Region, strings.Join(inv.MarketplaceIDs, ","))
	fmt.Fprintf(stdout, "send the seller this link; it works once, until %s:\n", inv.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Fprintln(stdout, cfg.InviteURL(token))
	return 0
}
