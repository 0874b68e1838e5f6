package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Regions are the SP-API regions spsync knows endpoints for.
var Regions = []string{"na", "eu", "fe"}

// Config is the worker's whole configuration.
type Config struct {
	// DatabaseURL is the Postgres to use. Empty means a local server under
	// DataDir, started and stopped by the worker.
	DatabaseURL string
	// DataDir holds the local Postgres when DatabaseURL is empty. Defaults
	// to ./.spsync.
	DataDir string
	// HTTPAddr serves /healthz, /metrics and River UI. Defaults to
	// 127.0.0.1:8080, loopback only, because River UI can act on jobs.
	HTTPAddr string
	// SPAPIEndpoint overrides the regional SP-API base URL (sandbox,
	// simulator, proxy).
	SPAPIEndpoint string
	// LWAEndpoint overrides the Login with Amazon token URL.
	LWAEndpoint string
	// Accounts are the selling accounts to sync; one (ID "default") when
	// configured through LWA_CLIENT_ID and friends.
	Accounts []Account
	// Simulate is true when no credentials are configured: the worker then
	// serves the built-in simulator in-process and syncs from it.
	Simulate bool
	// Schedules are the periodic jobs' cron expressions, read from the
	// variables the streams declare (ScheduleSpec); Load cannot know
	// them, so its caller checks them: Schedules.Check with the registry's
	// ScheduleSpecs.
	Schedules Schedules
	// RateScale multiplies every usage plan's rate, for the simulator only
	// (SPSYNC_SIM_RATE_SCALE, default 1). Ignored against real Amazon.
	RateScale float64
	// RateLimits are operator overrides of usage plans
	// (SPSYNC_RATE_LIMITS="getOrders=0.0167:20,..."). They are followed
	// instead of Amazon's rate header.
	RateLimits map[string]RateLimit
	// ServiceJobsStorePII keeps buyer names, phones and street lines of
	// service jobs in raw (SPSYNC_SERVICE_JOBS_STORE_PII=true). Off by
	// default: BI rarely needs them and they are personal data.
	ServiceJobsStorePII bool
	// OrdersIncludedData are the includedData datasets the Orders
	// 2026-01-01 poll asks for (SPSYNC_ORDERS_INCLUDED_DATA, comma
	// separated). FULFILLMENT and PROCEEDS are always added: status and
	// totals live there.
	OrdersIncludedData []string
	// OrdersStorePII stores Orders 2026-01-01 buyer and recipient PII in its
	// own table, purged PIIRetention after the order closes
	// (SPSYNC_ORDERS_STORE_PII=true). Off by default: BUYER is not asked
	// for and PII is stripped from raw.
	OrdersStorePII bool
	// OrdersFirstWindow is how far back an account's first orders poll
	// reads (SPSYNC_ORDERS_FIRST_WINDOW, default 1h; at least 5m): the rest
	// of its 30-day lookback is a backfill by last update date behind it,
	// so a busy seller is current in a minute, not after 30 pages of
	// searchOrders. 0 reads the whole lookback in the first poll, oldest
	// first (the behaviour before it).
	OrdersFirstWindow time.Duration
	// PIIRetention is how long stored PII outlives its order's shipment or
	// cancellation (SPSYNC_PII_RETENTION, default 30 days: Amazon's data
	// protection policy).
	PIIRetention time.Duration
	// QuarantineRetention is how long a quarantined record is kept after
	// an SP-API answer last held it (SPSYNC_QUARANTINE_RETENTION, a Go
	// duration or whole days such as 90d). Zero, the default, keeps them
	// until an operator deletes them.
	QuarantineRetention time.Duration
	// Push configures SP-API notifications through SQS; off unless a queue
	// is set.
	Push Push
	// StoredAccounts is true when SPSYNC_SECRET_KEY (or _FILE) is set and
	// no account is declared: the worker syncs the accounts stored in
	// Postgres (`worker accounts add`) instead of the simulator.
	StoredAccounts bool
	// MetricsAccountLabels is MetricsPerAccount (the default) or
	// MetricsAggregate (SPSYNC_METRICS_ACCOUNT_LABELS): whether /metrics
	// has series per account or aggregated over accounts.
	MetricsAccountLabels string
	// MaxWorkers is the ceiling of the River worker slots of all queues
	// together (SPSYNC_MAX_WORKERS); the queues grow with the active
	// accounts up to it (jobs.QueueConfigFor). Zero, the default, means
	// jobs.DefaultMaxWorkers.
	MaxWorkers int
}

// /metrics account labels (SPSYNC_METRICS_ACCOUNT_LABELS). Per account,
// the default, is about 48 series a seller (4.4 MB and 0.23 s a scrape at
// 1,000 sellers: BENCHMARKS.md "Many sellers"), which a Prometheus takes,
// and the alert rules and the dashboard name the seller. Aggregate is for
// a Prometheus that cannot take that many (one billed by series): a few
// hundred series whatever the number of sellers, and `worker status` names
// the seller.
const (
	MetricsPerAccount = "per-account"
	MetricsAggregate  = "aggregate"
)

// Push is the notifications (push) configuration.
type Push struct {
	// QueueURL is the SQS queue Amazon delivers ORDER_CHANGE and
	// FULFILLMENT_ORDER_STATUS notifications to (SPSYNC_SQS_QUEUE_URL).
	// Set, the worker consumes it and the order and fulfillment polls
	// become a slower safety net. AWS credentials and region come from the
	// AWS SDK's default chain (AWS_REGION, AWS_ACCESS_KEY_ID, profiles,
	// instance roles).
	QueueURL string
	// SQSEndpoint overrides the SQS endpoint (SPSYNC_SQS_ENDPOINT): a local
	// SQS-compatible server. Empty means AWS's regional endpoint.
	SQSEndpoint string
	// Simulated is SPSYNC_SIM_PUSH=true with the built-in simulator: the
	// worker makes a queue with a dead-letter queue on the local
	// SQS-compatible server at SQSEndpoint (`make run` starts fauxqs),
	// subscribes the simulator to it and consumes it, so the whole push
	// path runs on one machine.
	Simulated bool
}

// Enabled reports whether notifications are consumed.
func (p Push) Enabled() bool { return p.QueueURL != "" || p.Simulated }

// Orders API versions (SPSYNC_ORDERS_API, accounts file orders_api).
const (
	OrdersAPIV0   = "v0"
	OrdersAPI2026 = "2026-01-01"
)

// DefaultOrdersIncludedData is the includedData asked for when
// SPSYNC_ORDERS_INCLUDED_DATA is unset: status and totals (FULFILLMENT,
// PROCEEDS), what BI and ERPs read (PACKAGES, PROMOTION, CANCELLATION), and
// RECIPIENT for the shipping city, state and country v0 gave without a role
// (its PII paths are stripped). BUYER is added only with OrdersStorePII.
var DefaultOrdersIncludedData = []string{"FULFILLMENT", "PROCEEDS", "PACKAGES", "PROMOTION", "CANCELLATION", "RECIPIENT"}

// includedDataValues are the model's includedData values.
var includedDataValues = []string{"BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"}

// Account is one selling partner account (seller + application).
type Account struct {
	ID             string
	Region         string
	MarketplaceIDs []string
	ClientID       string
	ClientSecret   Secret
	RefreshToken   Secret
	// OrdersAPI is the Orders API the account syncs through: OrdersAPI2026
	// (the default) or OrdersAPIV0 (SPSYNC_ORDERS_API; orders_api in the
	// accounts file).
	OrdersAPI string
	// SellingPartnerID is the seller's merchant token (SellerId in
	// notifications; SPAPI_SELLING_PARTNER_ID, selling_partner_id in the
	// accounts file). Push routes each notification to the account by it,
	// so it is required when SPSYNC_SQS_QUEUE_URL is set.
	SellingPartnerID string
	// Source is where the account was declared: SourceEnvironment or
	// SourceAccountsFile (empty for accounts built in code).
	Source string
	// ClientSecretExpiresAt is the client secret's expiry as the operator
	// declared it (LWA_CLIENT_SECRET_EXPIRES_AT, client_secret_expires_at
	// in the accounts file); nil when unknown.
	ClientSecretExpiresAt *time.Time
}

// Where an account was declared (Account.Source).
const (
	SourceEnvironment  = "environment"
	SourceAccountsFile = "accounts_file"
)

// Error is a configuration problem: which variable, and what to do.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Var + ": " + e.Msg }

// Default marketplace for a default account with none configured (US).
const defaultMarketplace = "ATVPDKIKX0DER"

var marketplaceIDPattern = regexp.MustCompile(`^[A-Z0-9]{10,14}$`)

// Load reads the configuration from the environment through getenv
// (os.Getenv in production, a map in tests) and validates it.
func Load(getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}

	cfg := &Config{
		DatabaseURL:   get("DATABASE_URL", ""),
		DataDir:       get("SPSYNC_DATA_DIR", ".spsync"),
		HTTPAddr:      get("SPSYNC_HTTP_ADDR", "127.0.0.1:8080"),
		SPAPIEndpoint: get("SPAPI_ENDPOINT", ""),
		LWAEndpoint:   get("LWA_ENDPOINT", ""),
		// The streams declare their schedules' variables (ScheduleSpec):
		// they are read through getenv when asked for.
		Schedules: Schedules{getenv: getenv},
		Push: Push{
			QueueURL:    get("SPSYNC_SQS_QUEUE_URL", ""),
			SQSEndpoint: get("SPSYNC_SQS_ENDPOINT", ""),
		},
	}
	switch v := strings.ToLower(get("SPSYNC_SIM_PUSH", "false")); v {
	case "true", "1", "yes":
		cfg.Push.Simulated = true
	case "false", "0", "no":
	default:
		return nil, &Error{"SPSYNC_SIM_PUSH", fmt.Sprintf("%q is not true or false", v)}
	}
	if cfg.Push.QueueURL != "" {
		if u, err := url.Parse(cfg.Push.QueueURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return nil, &Error{"SPSYNC_SQS_QUEUE_URL", fmt.Sprintf("%q is not an SQS queue URL: set it like https://sqs.us-east-1.amazonaws.com/123456789012/spsync-notifications", cfg.Push.QueueURL)}
		}
	}
	if cfg.Push.SQSEndpoint != "" {
		if u, err := url.Parse(cfg.Push.SQSEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{"SPSYNC_SQS_ENDPOINT", fmt.Sprintf("%q is not an http(s) URL: set it like http://127.0.0.1:4566, or leave it unset for AWS", cfg.Push.SQSEndpoint)}
		}
	}
	cfg.Schedules.SafetyNet = cfg.Push.Enabled()

	if cfg.DatabaseURL != "" {
		if err := checkDatabaseURL(cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	if _, _, err := net.SplitHostPort(cfg.HTTPAddr); err != nil {
		return nil, &Error{"SPSYNC_HTTP_ADDR", fmt.Sprintf("%q is not host:port: set it like 127.0.0.1:8080", cfg.HTTPAddr)}
	}
	for _, e := range []struct{ name, val string }{{"SPAPI_ENDPOINT", cfg.SPAPIEndpoint}, {"LWA_ENDPOINT", cfg.LWAEndpoint}} {
		if e.val == "" {
			continue
		}
		if u, err := url.Parse(e.val); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{e.name, fmt.Sprintf("%q is not an http(s) URL: set it like https://sellingpartnerapi-na.amazon.com", e.val)}
		}
	}
	switch cfg.MetricsAccountLabels = strings.ToLower(get("SPSYNC_METRICS_ACCOUNT_LABELS", MetricsPerAccount)); cfg.MetricsAccountLabels {
	case MetricsPerAccount, MetricsAggregate:
	default:
		return nil, &Error{"SPSYNC_METRICS_ACCOUNT_LABELS", fmt.Sprintf("%q is neither %s nor %s: %s (the default) labels /metrics series by account, %s sums them over accounts",
			cfg.MetricsAccountLabels, MetricsPerAccount, MetricsAggregate, MetricsPerAccount, MetricsAggregate)}
	}
	if v := get("SPSYNC_MAX_WORKERS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 6 || n > 10_000 {
			return nil, &Error{"SPSYNC_MAX_WORKERS", fmt.Sprintf("%q is not a whole number from 6 to 10000 (one slot for each of the six queues at least): the ceiling of the worker slots of all queues together", v)}
		}
		cfg.MaxWorkers = n
	}
	scale := get("SPSYNC_SIM_RATE_SCALE", "1")
	f, err := strconv.ParseFloat(scale, 64)
	if err != nil || f <= 0 || f > 1e6 {
		return nil, &Error{"SPSYNC_SIM_RATE_SCALE", fmt.Sprintf("%q is not a positive number: set e.g. 1 (Amazon's rates) or 50", scale)}
	}
	cfg.RateScale = f

	if cfg.RateLimits, err = ParseRateLimits(get("SPSYNC_RATE_LIMITS", "")); err != nil {
		return nil, &Error{"SPSYNC_RATE_LIMITS", err.Error() + `: write it like "getOrders=0.0167:20,getOrderItems=0.5:30"`}
	}
	switch pii := strings.ToLower(get("SPSYNC_SERVICE_JOBS_STORE_PII", "false")); pii {
	case "true", "1", "yes":
		cfg.ServiceJobsStorePII = true
	case "false", "0", "no":
	default:
		return nil, &Error{"SPSYNC_SERVICE_JOBS_STORE_PII", fmt.Sprintf("%q is not true or false", pii)}
	}

	ordersAPI, err := parseOrdersAPI(get("SPSYNC_ORDERS_API", OrdersAPI2026))
	if err != nil {
		return nil, &Error{"SPSYNC_ORDERS_API", err.Error()}
	}
	switch pii := strings.ToLower(get("SPSYNC_ORDERS_STORE_PII", "false")); pii {
	case "true", "1", "yes":
		cfg.OrdersStorePII = true
	case "false", "0", "no":
	default:
		return nil, &Error{"SPSYNC_ORDERS_STORE_PII", fmt.Sprintf("%q is not true or false", pii)}
	}
	if cfg.OrdersFirstWindow, err = parseFirstWindow(get("SPSYNC_ORDERS_FIRST_WINDOW", "1h")); err != nil {
		return nil, &Error{"SPSYNC_ORDERS_FIRST_WINDOW", err.Error()}
	}
	if cfg.PIIRetention, err = parseRetention(get("SPSYNC_PII_RETENTION", "30d")); err != nil {
		return nil, &Error{"SPSYNC_PII_RETENTION", err.Error()}
	}
	if v := get("SPSYNC_QUARANTINE_RETENTION", ""); v != "" {
		if cfg.QuarantineRetention, err = parseRetention(v); err != nil {
			return nil, &Error{"SPSYNC_QUARANTINE_RETENTION", err.Error() + " (leave it unset to keep quarantined records)"}
		}
	}
	if cfg.OrdersIncludedData, err = parseIncludedData(get("SPSYNC_ORDERS_INCLUDED_DATA", ""), cfg.OrdersStorePII); err != nil {
		return nil, &Error{"SPSYNC_ORDERS_INCLUDED_DATA", err.Error()}
	}

	region := strings.ToLower(get("SPAPI_REGION", "na"))
	if !isRegion(region) {
		return nil, &Error{"SPAPI_REGION", fmt.Sprintf("unknown region %q: set SPAPI_REGION to one of %s", region, strings.Join(Regions, ", "))}
	}

	marketplaces, err := parseMarketplaces(get("SPAPI_MARKETPLACE_IDS", ""))
	if err != nil {
		return nil, err
	}

	clientID := get("LWA_CLIENT_ID", "")
	secret := get("LWA_CLIENT_SECRET", "")
	refresh := get("SPAPI_REFRESH_TOKEN", "")
	if file := get("SPSYNC_ACCOUNTS_FILE", ""); file != "" {
		if countSet(clientID, secret, refresh) > 0 {
			return nil, &Error{"SPSYNC_ACCOUNTS_FILE", "set either SPSYNC_ACCOUNTS_FILE or LWA_CLIENT_ID/LWA_CLIENT_SECRET/SPAPI_REFRESH_TOKEN, not both"}
		}
		if cfg.Accounts, err = loadAccountsFile(file, getenv, ordersAPI); err != nil {
			return nil, err
		}
		return cfg, checkPush(cfg)
	}
	switch set := countSet(clientID, secret, refresh); set {
	case 0:
		if get("SPSYNC_SECRET_KEY", "") != "" || get("SPSYNC_SECRET_KEY_FILE", "") != "" {
			// Accounts are data: nothing to declare, and no simulator.
			cfg.StoredAccounts = true
			return cfg, checkPush(cfg)
		}
		cfg.Simulate = true
	case 3:
	default:
		return nil, &Error{"LWA_CLIENT_ID", "credentials are incomplete: set all of LWA_CLIENT_ID, LWA_CLIENT_SECRET and SPAPI_REFRESH_TOKEN, or none to run against the built-in simulator"}
	}
	if len(marketplaces) == 0 {
		marketplaces = []string{defaultMarketplace}
	}
	cfg.Accounts = []Account{{
		ID:               "default",
		Region:           region,
		MarketplaceIDs:   marketplaces,
		ClientID:         clientID,
		ClientSecret:     Secret(secret),
		RefreshToken:     Secret(refresh),
		OrdersAPI:        ordersAPI,
		SellingPartnerID: get("SPAPI_SELLING_PARTNER_ID", ""),
	}}
	if !cfg.Simulate {
		cfg.Accounts[0].Source = SourceEnvironment
		if v := get("LWA_CLIENT_SECRET_EXPIRES_AT", ""); v != "" {
			t, err := parseExpiry(v)
			if err != nil {
				return nil, &Error{"LWA_CLIENT_SECRET_EXPIRES_AT", err.Error()}
			}
			cfg.Accounts[0].ClientSecretExpiresAt = &t
		}
	}
	if cfg.Accounts[0].SellingPartnerID != "" && !sellingPartnerIDPattern.MatchString(cfg.Accounts[0].SellingPartnerID) {
		return nil, &Error{"SPAPI_SELLING_PARTNER_ID", fmt.Sprintf("%q is not a selling partner id: it looks like A3TH9S8BH6GOGM (Seller Central, Settings, Account Info, Merchant Token)", cfg.Accounts[0].SellingPartnerID)}
	}
	return cfg, checkPush(cfg)
}

// sellingPartnerIDPattern matches a merchant token (SellerId).
var sellingPartnerIDPattern = regexp.MustCompile(`^A[0-9A-Z]{7,20}$`)

// checkPush refuses a queue without a way to route its notifications: every
// account needs its selling partner id, unique across accounts. (The
// simulator's accounts get theirs from it.)
func checkPush(cfg *Config) error {
	if cfg.Push.Simulated && !cfg.Simulate {
		return &Error{"SPSYNC_SIM_PUSH", "is for the built-in simulator: with credentials set SPSYNC_SQS_QUEUE_URL to your queue instead"}
	}
	if cfg.Push.Simulated && cfg.Push.SQSEndpoint == "" {
		return &Error{"SPSYNC_SIM_PUSH", "needs a local SQS server at SPSYNC_SQS_ENDPOINT: `SPSYNC_SIM_PUSH=true make run` starts one (fauxqs, Node.js >= 20)"}
	}
	if cfg.Push.QueueURL != "" && cfg.Simulate {
		return &Error{"SPSYNC_SQS_QUEUE_URL", "is set but no SP-API credentials are: the built-in simulator does not deliver to your queue; set SPSYNC_SIM_PUSH=true to try push with it, or configure the credentials"}
	}
	if cfg.Push.QueueURL == "" {
		return nil
	}
	seen := map[string]string{}
	for _, a := range cfg.Accounts {
		if a.SellingPartnerID == "" {
			if a.ID == "default" {
				return &Error{"SPAPI_SELLING_PARTNER_ID", "is required with SPSYNC_SQS_QUEUE_URL: notifications name the seller by it (Seller Central, Settings, Account Info, Merchant Token)"}
			}
			return &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("account %q: selling_partner_id is required with SPSYNC_SQS_QUEUE_URL: notifications name the seller by it", a.ID)}
		}
		if other, dup := seen[a.SellingPartnerID]; dup {
			return &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("accounts %q and %q have the same selling_partner_id %s: a notification could not tell them apart", other, a.ID, a.SellingPartnerID)}
		}
		seen[a.SellingPartnerID] = a.ID
	}
	return nil
}

// parseOrdersAPI checks an Orders API version.
func parseOrdersAPI(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case OrdersAPI2026:
		return OrdersAPI2026, nil
	case OrdersAPIV0:
		return OrdersAPIV0, nil
	}
	return "", fmt.Errorf("%q is not an Orders API version: use 2026-01-01 (the default) or v0 (removed by Amazon on 2027-03-27)", v)
}

// parseExpiry reads a secret's expiry: a date (2027-06-01, midnight UTC)
// or an RFC 3339 time.
func parseExpiry(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write 2027-06-01 or 2027-06-01T12:00:00Z (the Developer Console shows the expiry)", v)
}

// parseRetention reads a retention like 30d, 720h or 45m.
func parseRetention(v string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: write e.g. 30d or 720h", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%q is not a duration: write e.g. 30d or 720h", v)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", v)
	}
	return d, nil
}

// parseFirstWindow reads SPSYNC_ORDERS_FIRST_WINDOW: 0 (off), or a
// duration of at least five minutes (the lookback behind it must end two
// minutes in the past) and less than the 30-day lookback.
func parseFirstWindow(v string) (time.Duration, error) {
	if v == "0" || strings.EqualFold(v, "off") {
		return 0, nil
	}
	d, err := parseRetention(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration: write e.g. 1h, 2d, or 0 to read the whole 30-day lookback in the first poll", v)
	case d < 5*time.Minute:
		return 0, fmt.Errorf("%q is shorter than 5m (or write 0 to read the whole 30-day lookback in the first poll)", v)
	case d >= 30*24*time.Hour:
		return 0, fmt.Errorf("%q is not shorter than the 30-day lookback (write 0 to read it all in the first poll)", v)
	}
	return d, nil
}

// parseIncludedData reads SPSYNC_ORDERS_INCLUDED_DATA: the datasets to ask
// for, FULFILLMENT and PROCEEDS always among them, BUYER only when PII is
// stored (asking for it otherwise would fetch what is thrown away).
func parseIncludedData(v string, storePII bool) ([]string, error) {
	var list []string
	if v == "" {
		list = append(list, DefaultOrdersIncludedData...)
	} else {
		for _, part := range strings.Split(v, ",") {
			d := strings.ToUpper(strings.TrimSpace(part))
			if d == "" {
				continue
			}
			if !slices.Contains(includedDataValues, d) {
				return nil, fmt.Errorf("%q is not an includedData value: use some of %s", d, strings.Join(includedDataValues, ","))
			}
			if d == "BUYER" && !storePII {
				return nil, fmt.Errorf("BUYER is only PII: set SPSYNC_ORDERS_STORE_PII=true to store it, or leave it out")
			}
			list = append(list, d)
		}
	}
	for _, must := range []string{"FULFILLMENT", "PROCEEDS"} {
		if !slices.Contains(list, must) {
			list = append(list, must)
		}
	}
	if storePII {
		for _, pii := range []string{"BUYER", "RECIPIENT"} {
			if !slices.Contains(list, pii) {
				list = append(list, pii)
			}
		}
	}
	slices.Sort(list)
	return slices.Compact(list), nil
}

func checkDatabaseURL(raw string) error {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		if _, err := url.Parse(raw); err != nil {
			return &Error{"DATABASE_URL", "is not a valid URL: use postgres://user:password@host:5432/dbname"}
		}
		return nil
	}
	if strings.Contains(raw, "=") { // keyword/value form: host=... dbname=...
		return nil
	}
	return &Error{"DATABASE_URL", "is neither a postgres:// URL nor keyword=value pairs: use postgres://user:password@host:5432/dbname, or unset it to use the local Postgres under SPSYNC_DATA_DIR"}
}

func parseMarketplaces(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, part := range strings.Split(raw, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if !marketplaceIDPattern.MatchString(id) {
			return nil, &Error{"SPAPI_MARKETPLACE_IDS", fmt.Sprintf("%q is not a marketplace id: list ids like ATVPDKIKX0DER,A2EUQ1WTGCTBG2", id)}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > 50 {
		return nil, &Error{"SPAPI_MARKETPLACE_IDS", fmt.Sprintf("%d ids listed; getOrders takes at most 50: split them across accounts", len(ids))}
	}
	return ids, nil
}

func isRegion(r string) bool {
	for _, known := range Regions {
		if r == known {
			return true
		}
	}
	return false
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// IsConfigError reports whether err is a configuration problem.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}
