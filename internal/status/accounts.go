package status

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/store"
)

// Accounts and their credentials as operators see them (README
// "Credentials"): which accounts are not syncing and why, which need the
// seller to authorize again, and when each application's client secret
// expires and whether its rotation works. Everything comes from the
// accounts tables; no secret, sealed or not, is read.

// Where accounts come from (Accounts.Source).
const (
	// AccountsFromDatabase: the accounts tables hold rows.
	AccountsFromDatabase = "database"
	// AccountsFromEnvironment: no rows, so the workers serve the accounts
	// declared in their environment (no SPSYNC_SECRET_KEY: nothing stored).
	AccountsFromEnvironment = "environment"
)

// AccountStates are the states spsync_accounts and Accounts.States count,
// in the order shown.
var AccountStates = []string{store.AccountActive, store.AccountPaused, store.AccountNeedsReauth, store.AccountRemoved}

// ExpiryWarningDays are the thresholds, in days before a known expiry, at
// which a client secret is warned about, widest first.
var ExpiryWarningDays = []int{30, 7, 1}

// Accounts is the ACCOUNTS section.
type Accounts struct {
	// Source is "database", or "environment" when the tables are empty.
	Source string `json:"source"`
	// States counts stored accounts by state; every state is present.
	States map[string]int64 `json:"states"`
	// NotActive are the paused, needs_reauth and removed accounts, by
	// state and id.
	NotActive []AccountState `json:"not_active"`
	// Authorizations say, for every account not removed, when its seller
	// last authorized spsync, by id.
	Authorizations []AccountAuthorization `json:"authorizations"`

	// quiet is NotActive by id (index), so that LagQuiet stays cheap when
	// asked for each of a thousand accounts' cursors.
	quiet map[string]bool
}

// index builds a's lookup of the accounts not active.
func (a *Accounts) index() {
	a.quiet = make(map[string]bool, len(a.NotActive))
	for _, s := range a.NotActive {
		a.quiet[s.AccountID] = true
	}
}

// AccountAuthorization is when an account's refresh token last came from
// its seller's authorization (OAuth or `worker accounts set-refresh-token`).
type AccountAuthorization struct {
	AccountID string `json:"account_id"`
	State     string `json:"state"`
	// SellingPartnerID is nil for an account stored without one
	// (Unmatched): neither push notifications nor a seller's authorization
	// can be matched to it.
	SellingPartnerID *string `json:"selling_partner_id"`
	Unmatched        bool    `json:"unmatched"`
	// LastAuthorizedAt is nil when spsync never received the account's
	// token from an authorization (declared with it, or added by hand).
	LastAuthorizedAt *time.Time `json:"last_authorized_at"`
}

// AccountState is one account that does not sync, and why.
type AccountState struct {
	AccountID string    `json:"account_id"`
	ClientID  string    `json:"client_id"`
	State     string    `json:"state"`
	Since     time.Time `json:"since"`
	Reason    *string   `json:"reason"`
}

// LagQuiet reports whether the account's lag leaves /metrics: it is
// paused, removed or needs re-authorization, so it is behind on purpose
// (or for a person to fix) and lag alerts stay quiet. An account with no
// row (no key: accounts from the environment) keeps its lag.
func (a Accounts) LagQuiet(accountID string) bool {
	if a.quiet != nil {
		return a.quiet[accountID]
	}
	for _, s := range a.NotActive {
		if s.AccountID == accountID {
			return true
		}
	}
	return false
}

// Reauth is one account whose seller must authorize the application again.
type Reauth struct {
	AccountID string    `json:"account_id"`
	ClientID  string    `json:"client_id"`
	Since     time.Time `json:"since"`
	Reason    *string   `json:"reason"`
	Remedy    string    `json:"remedy"`
}

// reauthRemedy is what an operator does for an account in needs_reauth.
func reauthRemedy(accountID string) string {
	return fmt.Sprintf("the seller must authorize the application again: send them the link `worker accounts invite --account %s` prints "+
		"(or, given a new refresh token, `worker accounts set-refresh-token %s`, token on stdin)", accountID, accountID)
}

// ClientSecrets is one application's client secrets and rotation.
type ClientSecrets struct {
	ClientID string `json:"client_id"`
	// ActiveAccounts counts the active accounts that use the application.
	ActiveAccounts int64 `json:"active_accounts"`
	// Primary is the secret used first; nil when there is none.
	Primary *Secret `json:"primary"`
	// ExpiryUnknown is set when the primary's expiry is not known (no
	// application queue and none declared).
	ExpiryUnknown bool `json:"expiry_unknown"`
	// Pending are new secrets LWA has not accepted yet; Fallbacks the
	// secrets tried when the primary is refused, until they expire.
	Pending   []Secret `json:"pending"`
	Fallbacks []Secret `json:"fallbacks"`

	RotationAttempts    int32      `json:"rotation_attempts"`
	RotationRequestedAt *time.Time `json:"rotation_requested_at"`
	// RotationGaveUpAt is set when rotations brought no new secret.
	RotationGaveUpAt *time.Time `json:"rotation_gave_up_at"`
	// NotEnrolledAt is set when Amazon said no application queue is
	// registered.
	NotEnrolledAt     *time.Time `json:"not_enrolled_at"`
	LastRotationError *string    `json:"last_rotation_error"`
	// AllRefusedAt is set while LWA refuses every known secret.
	AllRefusedAt *time.Time `json:"all_refused_at"`
	// Warnings say, in words, what needs a person; empty when nothing does.
	Warnings []string `json:"warnings"`
}

// Secret is one client secret in use, described without its value.
type Secret struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
	// ExpiresAt is nil when the expiry is unknown.
	ExpiresAt    *time.Time `json:"expires_at"`
	ExpirySource *string    `json:"expiry_source"`
	// DaysLeft is the whole days until ExpiresAt (negative once expired);
	// nil when the expiry is unknown.
	DaysLeft *int `json:"days_left"`
	// ExpiryWarningDays is the narrowest of ExpiryWarningDays the expiry
	// falls within (0 once expired); nil when it is further or unknown.
	ExpiryWarningDays *int       `json:"expiry_warning_days"`
	Source            string     `json:"source"`
	ReceivedAt        time.Time  `json:"received_at"`
	AcceptedAt        *time.Time `json:"accepted_at"`
	RefusedAt         *time.Time `json:"refused_at"`
	// Refusals counts LWA's refusals; for a pending secret, the probes so
	// far.
	Refusals int32 `json:"refusals"`
}

// collectAccounts fills the accounts, needs_reauth and client_secrets
// sections of r.
func collectAccounts(ctx context.Context, db store.DBTX, r *Report) error {
	r.Accounts = Accounts{Source: AccountsFromEnvironment, States: map[string]int64{}, NotActive: []AccountState{},
		Authorizations: []AccountAuthorization{}}
	r.NeedsReauth = []Reauth{}
	r.ClientSecrets = []ClientSecrets{}
	for _, s := range AccountStates {
		r.Accounts.States[s] = 0
	}
	counts, err := store.CountAccountStates(ctx, db)
	if err != nil {
		return err
	}
	for _, c := range counts {
		r.Accounts.States[c.State] = c.Accounts
		r.Accounts.Source = AccountsFromDatabase
	}
	notActive, err := store.ListAccountsNotActive(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range notActive {
		r.Accounts.NotActive = append(r.Accounts.NotActive, AccountState{AccountID: a.ID, ClientID: a.ClientID,
			State: a.State, Since: a.StateChangedAt, Reason: a.StateReason})
		if a.State == store.AccountNeedsReauth {
			r.NeedsReauth = append(r.NeedsReauth, Reauth{AccountID: a.ID, ClientID: a.ClientID, Since: a.StateChangedAt,
				Reason: a.StateReason, Remedy: reauthRemedy(a.ID)})
		}
	}
	r.Accounts.index()
	auths, err := store.ListAccountAuthorizations(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range auths {
		r.Accounts.Authorizations = append(r.Accounts.Authorizations, AccountAuthorization{AccountID: a.ID, State: a.State,
			SellingPartnerID: a.SellingPartnerID, Unmatched: a.SellingPartnerID == nil, LastAuthorizedAt: a.LastAuthorizedAt})
	}
	apps, err := store.ListApplicationStatus(ctx, db)
	if err != nil {
		return err
	}
	secrets, err := store.ListSecretStatus(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range apps {
		r.Accounts.Source = AccountsFromDatabase
		cs := ClientSecrets{ClientID: a.ClientID, ActiveAccounts: a.ActiveAccounts, Pending: []Secret{}, Fallbacks: []Secret{},
			RotationAttempts: a.RotationAttempts, RotationRequestedAt: a.RotationRequestedAt, RotationGaveUpAt: a.RotationGaveUpAt,
			NotEnrolledAt: a.NotEnrolledAt, LastRotationError: a.LastRotationError, AllRefusedAt: a.AllRefusedAt}
		for _, s := range secrets {
			if s.ClientID != a.ClientID {
				continue
			}
			sec := newSecret(s, r.GeneratedAt)
			switch s.State {
			case store.SecretPrimary:
				cs.Primary = &sec
				cs.ExpiryUnknown = s.ExpiresAt == nil
			case store.SecretPending:
				cs.Pending = append(cs.Pending, sec)
			case store.SecretFallback:
				cs.Fallbacks = append(cs.Fallbacks, sec)
			}
		}
		cs.Warnings = secretWarnings(cs)
		r.ClientSecrets = append(r.ClientSecrets, cs)
	}
	return nil
}

func newSecret(s *store.SecretStatus, now time.Time) Secret {
	sec := Secret{ID: s.ID, State: s.State, ExpiresAt: s.ExpiresAt, ExpirySource: s.ExpirySource, Source: s.Source,
		ReceivedAt: s.ReceivedAt, AcceptedAt: s.AcceptedAt, RefusedAt: s.RefusedAt, Refusals: s.Refusals}
	if s.ExpiresAt == nil {
		return sec
	}
	left := s.ExpiresAt.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	sec.DaysLeft = &days
	for _, d := range ExpiryWarningDays {
		if left <= time.Duration(d)*24*time.Hour {
			w := d
			sec.ExpiryWarningDays = &w
		}
	}
	if left <= 0 {
		w := 0
		sec.ExpiryWarningDays = &w
	}
	return sec
}

// Warnings of the CLIENT SECRETS section: each says what is wrong and what
// to do.
const (
	warnNoPrimary     = "no primary client secret is stored: give one with `worker credentials set-secret` (secret on stdin)"
	warnExpiryUnknown = "the primary client secret's expiry is unknown: without an application queue Amazon tells spsync nothing; " +
		"declare it with `worker credentials set-secret --expires DATE` or LWA_CLIENT_SECRET_EXPIRES_AT, or register an application queue (SPSYNC_APP_SQS_QUEUE_URL)"
	warnGaveUp = "rotation gave up at %s: %d rotations brought no new secret, so the application queue spsync reads (SPSYNC_APP_SQS_QUEUE_URL) may not be the one " +
		"registered in the Developer Console (Notification preferences); fix the queue, then `worker credentials rotate`, or rotate in the Developer Console and give the new secret with `worker credentials set-secret`"
	warnNotEnrolled = "not enrolled (since %s): Amazon says no application queue is registered; in the Developer Console (Notification preferences) register an SQS queue " +
		"for Application Client New Secret and Application Client Secret Expiry, and give it to spsync as SPSYNC_APP_SQS_QUEUE_URL"
	warnAllRefused = "every client secret is refused by LWA (invalid_client) since %s: the application's accounts wait; give a working secret with `worker credentials set-secret`"
	warnPending    = "a new client secret received at %s is pending: probed %d times (LWA refuses a new secret for about 30 minutes after a rotation)"
	warnExpiring   = "the primary client secret expires at %s, within %s (%s left): spsync rotates it when an application queue is configured and SPSYNC_SECRET_ROTATION is auto; " +
		"otherwise rotate it in the Developer Console and give the new one with `worker credentials set-secret`"
)

func secretWarnings(cs ClientSecrets) []string {
	w := []string{}
	switch p := cs.Primary; {
	case p == nil:
		w = append(w, warnNoPrimary)
	case p.ExpiresAt == nil:
		w = append(w, warnExpiryUnknown)
	case p.ExpiryWarningDays != nil && *p.ExpiryWarningDays == 0:
		w = append(w, fmt.Sprintf("the primary client secret expired at %s", ts(p.ExpiresAt)))
	case p.ExpiryWarningDays != nil:
		w = append(w, fmt.Sprintf(warnExpiring, ts(p.ExpiresAt), days(*p.ExpiryWarningDays), days(*p.DaysLeft)))
	}
	for _, s := range cs.Pending {
		w = append(w, fmt.Sprintf(warnPending, ts(&s.ReceivedAt), s.Refusals))
	}
	if cs.AllRefusedAt != nil {
		w = append(w, fmt.Sprintf(warnAllRefused, ts(cs.AllRefusedAt)))
	}
	if cs.RotationGaveUpAt != nil {
		w = append(w, fmt.Sprintf(warnGaveUp, ts(cs.RotationGaveUpAt), cs.RotationAttempts))
	}
	if cs.NotEnrolledAt != nil {
		w = append(w, fmt.Sprintf(warnNotEnrolled, ts(cs.NotEnrolledAt)))
	}
	return w
}

// writeAccounts writes the ACCOUNTS, NEEDS RE-AUTHORIZATION and CLIENT
// SECRETS sections; a deployment without stored accounts gets one line.
// Past o.Worst rows the lists show their worst rows (AUTHORIZATIONS: the
// unmatched, then those authorized longest ago).
func (r *Report) writeAccounts(w io.Writer, o TextOptions) {
	if r.Accounts.Source != AccountsFromDatabase {
		if o.Account == "" {
			fmt.Fprintln(w, "\naccounts: none stored (from the environment without SPSYNC_SECRET_KEY; with it, add one: worker accounts add)")
		}
		return
	}
	if o.Account == "" {
		counts := make([]string, 0, len(AccountStates))
		for _, s := range AccountStates {
			counts = append(counts, fmt.Sprintf("%d %s", r.Accounts.States[s], s))
		}
		fmt.Fprintf(w, "\nACCOUNTS: %s\n", strings.Join(counts, ", "))
		if len(r.Accounts.NotActive) > 0 {
			fmt.Fprintln(w, "ACCOUNT\tSTATE\tSINCE\tREASON")
			// Already by state (needs_reauth, paused, removed) and id.
			rows, more := section(o, r.Accounts.NotActive, func(a, b AccountState) int { return 0 })
			for _, a := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.AccountID, a.State, ts(&a.Since), reason(a.Reason))
			}
			moreLine(w, more, "accounts not active")
		}
	}
	if len(r.Accounts.Authorizations) > 0 {
		rows, more := section(o, r.Accounts.Authorizations, worseAuthorization)
		fmt.Fprintln(w, "\nAUTHORIZATIONS: when each account's seller last authorized spsync (OAuth or set-refresh-token); a public application's seller must renew every 365 days")
		if more > 0 {
			unmatched, never := 0, 0
			for _, a := range r.Accounts.Authorizations {
				if a.Unmatched {
					unmatched++
				}
				if a.LastAuthorizedAt == nil {
					never++
				}
			}
			fmt.Fprintf(w, "%s accounts: %s unmatched (no selling partner id), %s never authorized through spsync; unmatched first, then authorized longest ago\n",
				count(len(r.Accounts.Authorizations)), count(unmatched), count(never))
		}
		fmt.Fprintln(w, "ACCOUNT\tSTATE\tSELLING PARTNER\tLAST AUTHORIZED")
		for _, a := range rows {
			seller, at := "unmatched", "never"
			if a.SellingPartnerID != nil {
				seller = *a.SellingPartnerID
			}
			if a.LastAuthorizedAt != nil {
				at = ts(a.LastAuthorizedAt)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.AccountID, a.State, seller, at)
		}
		moreLine(w, more, "authorizations")
	}
	if len(r.NeedsReauth) > 0 {
		rows, more := section(o, r.NeedsReauth, func(a, b Reauth) int { return 0 })
		fmt.Fprintln(w, "\nNEEDS RE-AUTHORIZATION: LWA refused these accounts' refresh tokens (invalid_grant); no LWA call is made for them and their jobs stopped; the other accounts go on")
		fmt.Fprintln(w, "ACCOUNT\tSINCE\tREASON")
		for _, a := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\n", a.AccountID, ts(&a.Since), reason(a.Reason))
		}
		moreLine(w, more, "accounts needing re-authorization")
		// The remedy names the account; past a few accounts it is said
		// once, for the first.
		for i, a := range rows {
			if i == 0 || len(r.NeedsReauth) <= 3 {
				fmt.Fprintf(w, "%s: %s.\n", a.AccountID, a.Remedy)
			}
		}
		if len(r.NeedsReauth) > 3 {
			fmt.Fprintf(w, "Likewise for the other %s accounts needing re-authorization.\n", count(len(r.NeedsReauth)-1))
		}
	}
	if len(r.ClientSecrets) == 0 {
		return
	}
	fmt.Fprintln(w, "\nCLIENT SECRETS: per application, the LWA client secret in use and its rotation")
	fmt.Fprintln(w, "APPLICATION\tACCOUNTS\tPRIMARY EXPIRES\tDAYS LEFT\tPENDING\tFALLBACK UNTIL\tROTATIONS")
	for _, c := range r.ClientSecrets {
		expires, left := "-", "-"
		if p := c.Primary; p != nil {
			expires = "expiry unknown"
			if p.ExpiresAt != nil {
				expires = ts(p.ExpiresAt)
				left = fmt.Sprint(*p.DaysLeft)
			}
		}
		pending := make([]string, 0, len(c.Pending))
		for _, s := range c.Pending {
			pending = append(pending, fmt.Sprintf("received %s, probed %d times", ts(&s.ReceivedAt), s.Refusals))
		}
		fallback := make([]string, 0, len(c.Fallbacks))
		for _, s := range c.Fallbacks {
			if s.ExpiresAt == nil {
				fallback = append(fallback, "expiry unknown")
			} else {
				fallback = append(fallback, ts(s.ExpiresAt))
			}
		}
		rotations := fmt.Sprint(c.RotationAttempts)
		if c.RotationRequestedAt != nil {
			rotations += " (last " + ts(c.RotationRequestedAt) + ")"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", c.ClientID, c.ActiveAccounts, expires, left, orDash(pending), orDash(fallback), rotations)
	}
	for _, c := range r.ClientSecrets {
		for _, msg := range c.Warnings {
			fmt.Fprintf(w, "%s: %s.\n", c.ClientID, msg)
		}
		if c.LastRotationError != nil {
			fmt.Fprintf(w, "%s: last rotation error: %s\n", c.ClientID, shorten(*c.LastRotationError))
		}
	}
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func reason(r *string) string {
	if r == nil || *r == "" {
		return "-"
	}
	return shorten(*r)
}

func orDash(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, "; ")
}
