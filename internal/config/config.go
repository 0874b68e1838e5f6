package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/spsync/spsync/internal/budget"
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
	// Schedules are the pollers' cron expressions (robfig/cron standard
	// syntax, descriptors like @every 5m allowed).
	Schedules Schedules
	// RateScale multiplies every usage plan's rate, for the simulator only
	// (SPSYNC_SIM_RATE_SCALE, default 1). Ignored against real Amazon.
	RateScale float64
	// RateLimits are operator overrides of usage plans
	// (SPSYNC_RATE_LIMITS="getOrders=0.0167:20,..."). They are followed
	// instead of Amazon's rate header.
	RateLimits budget.Plans
	// ServiceJobsStorePII keeps buyer names, phones and street lines of
	// service jobs in raw (SPSYNC_SERVICE_JOBS_STORE_PII=true). Off by
	// default: BI rarely needs them and they are personal data.
	ServiceJobsStorePII bool
}

// Schedules are the pollers' cron expressions.
type Schedules struct {
	Orders            string // SPSYNC_ORDERS_CRON, default "*/2 * * * *"
	FulfillmentOrders string // SPSYNC_FULFILLMENT_ORDERS_CRON, default "*/5 * * * *"
	ServiceJobs       string // SPSYNC_SERVICE_JOBS_CRON, default "*/5 * * * *"
}

// Account is one selling partner account (seller + application).
type Account struct {
	ID             string
	Region         string
	MarketplaceIDs []string
	ClientID       string
	ClientSecret   Secret
	RefreshToken   Secret
}

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
		Schedules: Schedules{
			Orders:            get("SPSYNC_ORDERS_CRON", "*/2 * * * *"),
			FulfillmentOrders: get("SPSYNC_FULFILLMENT_ORDERS_CRON", "*/5 * * * *"),
			ServiceJobs:       get("SPSYNC_SERVICE_JOBS_CRON", "*/5 * * * *"),
		},
	}

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
	for _, s := range []struct{ name, expr string }{
		{"SPSYNC_ORDERS_CRON", cfg.Schedules.Orders},
		{"SPSYNC_FULFILLMENT_ORDERS_CRON", cfg.Schedules.FulfillmentOrders},
		{"SPSYNC_SERVICE_JOBS_CRON", cfg.Schedules.ServiceJobs},
	} {
		if _, err := cron.ParseStandard(s.expr); err != nil {
			return nil, &Error{s.name, fmt.Sprintf("%q is not a cron expression (%v): use 5 fields like \"*/5 * * * *\" or \"@every 5m\"", s.expr, err)}
		}
	}

	scale := get("SPSYNC_SIM_RATE_SCALE", "1")
	f, err := strconv.ParseFloat(scale, 64)
	if err != nil || f <= 0 || f > 1e6 {
		return nil, &Error{"SPSYNC_SIM_RATE_SCALE", fmt.Sprintf("%q is not a positive number: set e.g. 1 (Amazon's rates) or 50", scale)}
	}
	cfg.RateScale = f

	if cfg.RateLimits, err = budget.ParsePlans(get("SPSYNC_RATE_LIMITS", "")); err != nil {
		return nil, &Error{"SPSYNC_RATE_LIMITS", err.Error() + `: write it like "getOrders=0.0167:20,getOrderItems=0.5:30"`}
	}
	switch pii := strings.ToLower(get("SPSYNC_SERVICE_JOBS_STORE_PII", "false")); pii {
	case "true", "1", "yes":
		cfg.ServiceJobsStorePII = true
	case "false", "0", "no":
	default:
		return nil, &Error{"SPSYNC_SERVICE_JOBS_STORE_PII", fmt.Sprintf("%q is not true or false", pii)}
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
		if cfg.Accounts, err = loadAccountsFile(file, getenv); err != nil {
			return nil, err
		}
		return cfg, nil
	}
	switch set := countSet(clientID, secret, refresh); set {
	case 0:
		cfg.Simulate = true
	case 3:
	default:
		return nil, &Error{"LWA_CLIENT_ID", "credentials are incomplete: set all of LWA_CLIENT_ID, LWA_CLIENT_SECRET and SPAPI_REFRESH_TOKEN, or none to run against the built-in simulator"}
	}
	if len(marketplaces) == 0 {
		marketplaces = []string{defaultMarketplace}
	}
	cfg.Accounts = []Account{{
		ID:             "default",
		Region:         region,
		MarketplaceIDs: marketplaces,
		ClientID:       clientID,
		ClientSecret:   Secret(secret),
		RefreshToken:   Secret(refresh),
	}}
	return cfg, nil
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
