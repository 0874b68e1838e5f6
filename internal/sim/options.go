package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Default marketplaces of the North America region, used when an account
// lists none.
const (
	MarketplaceUS = "ATVPDKIKX0DER"
	MarketplaceCA = "A2EUQ1WTGCTBG2"
	MarketplaceMX = "A1AM78C64UM0Y8"
)

// MarketplaceJP is Amazon.co.jp (JPY), of the Far East region. No account
// has it by default; list it in Account.MarketplaceIDs to get orders with
// Japanese addresses and product titles, whose order reports are encoded
// in CP932 (see the package documentation, "Reports").
const MarketplaceJP = "A1VC38T7YXB528"

// Account is one selling partner the simulator knows. Its refresh token
// identifies it at the token endpoint, and every access token issued for it
// sees only its own data.
type Account struct {
	// ID names the account in ground-truth calls and stats. It also seeds
	// the account's share of the dataset.
	ID string
	// SellerID is reported in service jobs. Defaults to a value derived from ID.
	SellerID string
	// ClientID and ClientSecret are the LWA application credentials the
	// token endpoint expects alongside RefreshToken.
	ClientID     string
	ClientSecret string
	// RefreshToken is the LWA refresh token of this seller.
	RefreshToken string
	// MarketplaceIDs are the marketplaces the seller participates in; the
	// dataset spreads its entities over them. Defaults to US, CA and MX.
	MarketplaceIDs []string

	// MissingRoles are restricted roles (RoleDirectToConsumerShipping,
	// RoleTaxInvoicing, RoleTaxRemittance) the calling application lacks for
	// this seller. Orders 2026-01-01 needs no Restricted Data Token for PII,
	// only roles: without RoleDirectToConsumerShipping includedData=RECIPIENT
	// is refused, and without both tax roles includedData=BUYER is refused,
	// with 403 Unauthorized unless OmitPIIWithoutRole. Orders v0 does not
	// look at it. Empty means the application holds every role.
	MissingRoles []string
	// OmitPIIWithoutRole answers a request for data a missing role gates
	// with 200 and the personal fields left out instead of 403: Amazon has
	// been seen doing both (amzn/selling-partner-api-models#5300 got an
	// address without its PII, #5319 a 403), so a client must cope with each.
	OmitPIIWithoutRole bool
}

// Restricted roles of the Selling Partner API that gate personal data in
// Orders 2026-01-01 (developer-docs "Access Orders PII", "Get order
// information"). Amazon's pages spell the first one both "Direct-to-Consumer
// Shipping" and "Direct-to-Consumer Delivery"; it is one role.
const (
	RoleDirectToConsumerShipping = "Direct-to-Consumer Shipping (Restricted)"
	RoleTaxInvoicing             = "Tax Invoicing (Restricted)"
	RoleTaxRemittance            = "Tax Remittance (Restricted)"
)

// restrictedRoles are the roles MissingRoles may name.
var restrictedRoles = []string{RoleDirectToConsumerShipping, RoleTaxInvoicing, RoleTaxRemittance}

// DemoAccount is the account used when Options.Accounts is empty, so
// `worker sim` and quick tests work without configuration.
var DemoAccount = Account{
	ID:             "demo",
	SellerID:       "A2SIMDEMOSELLER",
	ClientID:       "amzn1.application-oa2-client.simdemo",
	ClientSecret:   "sim-demo-secret",
	RefreshToken:   "Atzr|sim-demo-refresh-token",
	MarketplaceIDs: []string{MarketplaceUS, MarketplaceCA, MarketplaceMX},
}

// Options configures a simulator. Zero values mean the documented defaults,
// so Options{Seed: 1} is a complete configuration.
type Options struct {
	// Seed makes the dataset, identifiers and fault decisions reproducible.
	Seed int64
	// Accounts are the sellers served. Defaults to DemoAccount alone.
	// Thousands are fine (Sellers makes them): datasets are built on an
	// account's first call. Package numbers, int32 in Amazon's model, are
	// what bounds them: about 8.5 million fulfillment orders in all across
	// the accounts after the 200th (see layoutAccounts).
	Accounts []Account

	// Start anchors the dataset in time: entities are created between
	// Start-History and Start+Horizon. Defaults to the data clock's time at
	// construction truncated to the hour. Fix it (with a fixed Seed) to get
	// the same dataset on every run.
	Start time.Time
	// History is how far before Start the dataset's first entities were
	// created. Defaults to 14 days.
	History time.Duration
	// Horizon is how far after Start new entities keep arriving as the data
	// clock moves. Defaults to 2 days.
	Horizon time.Duration

	// Orders is the number of orders per account (unless AccountSizes says
	// otherwise). Defaults to 500.
	Orders int
	// OrderRates adds, per account, orders that arrive at a steady rate in
	// given spans of the data clock, each changing once (see OrderRate):
	// a benchmark's change rate, hour by hour. None by default.
	OrderRates []OrderRate
	// ItemsPerOrderMin and ItemsPerOrderMax bound the items of an order.
	// Default to 1 and 5.
	ItemsPerOrderMin int
	ItemsPerOrderMax int
	// FulfillmentOrders is the number of FBA multi-channel orders per
	// account. Defaults to 100.
	FulfillmentOrders int
	// MaxShipmentsPerFulfillmentOrder and MaxPackagesPerShipment bound the
	// children of a fulfillment order. Default to 2 and 2.
	MaxShipmentsPerFulfillmentOrder int
	MaxPackagesPerShipment          int
	// ServiceJobs is the number of service jobs per account. Defaults to 50.
	ServiceJobs int
	// AccountSizes, when set, gives each account its own dataset size
	// instead of Orders, FulfillmentOrders and ServiceJobs (which fill its
	// zero fields): sellers differ, and a benchmark of many sellers wants
	// most small and a few large (SellerMix). New calls it once per
	// account, with the account's index in Accounts.
	AccountSizes func(i int, a Account) AccountSize

	// OrderItemsPageSize is how many items getOrderItems returns per page;
	// small values make item paging reachable. Defaults to 30.
	OrderItemsPageSize int
	// FulfillmentOrdersPageSize is the fixed page size of
	// listAllFulfillmentOrders. Defaults to 50.
	FulfillmentOrdersPageSize int
	// FulfillmentQueryDefault is how far back listAllFulfillmentOrders looks
	// when queryStartDate is absent. Defaults to 30 days.
	FulfillmentQueryDefault time.Duration

	// DataClock is "now" for the dataset and the two-minute rule. Defaults
	// to RealClock.
	DataClock Clock
	// LimiterClock drives token buckets and token expiry. Defaults to
	// RealClock.
	LimiterClock Clock

	// AccessTokenTTL is how long an access token lives on the limiter
	// clock. Defaults to one hour, like LWA.
	AccessTokenTTL time.Duration
	// AccessTokenInvalidateAfter, when positive, makes every access token
	// stop working that long after it was issued on the limiter clock,
	// while the token endpoint still reports expires_in of AccessTokenTTL.
	// Amazon invalidates tokens before their expires_in (the answer is 403
	// "The access token you provided has expired."), so a client must
	// refresh on that answer, not only by the clock. Zero leaves tokens
	// their whole TTL.
	AccessTokenInvalidateAfter time.Duration
	// AccessTokenInvalidateAfterCalls, when positive, makes every access
	// token stop working after it served that many SP-API calls: Amazon's
	// early invalidation again, counted instead of timed, so a test's
	// number of invalidations does not depend on the machine's speed.
	AccessTokenInvalidateAfterCalls int
	// PageTokenTTL is how long a paging token stays valid on the limiter
	// clock. Defaults to 5 minutes. It does not apply to Orders 2026-01-01,
	// whose tokens live PageTokenTTL2026.
	PageTokenTTL time.Duration
	// PageTokenTTL2026 is how long a searchOrders paginationToken stays
	// valid on the limiter clock. Defaults to 24 hours, as the 2026-01-01
	// model documents; a client must checkpoint the token and restart the
	// window when it is older than that.
	PageTokenTTL2026 time.Duration

	// RateScale multiplies every usage plan's rate so tests need not wait
	// a minute for a getOrders token. Defaults to 1.
	RateScale float64
	// BurstScale multiplies every usage plan's burst. Defaults to 1.
	BurstScale float64
	// UsagePlanOverrides replaces the documented plan of an operation
	// (keyed by operation name) before scaling.
	UsagePlanOverrides map[string]UsagePlan
	// RateLimitHeaderOn429 sends x-amzn-RateLimit-Limit on 429 answers too.
	// Amazon does so only sometimes, so the default is false and clients
	// must cope with its absence.
	RateLimitHeaderOn429 bool

	// CleanShapes sends the model's clean shapes instead of Amazon's real
	// ones; for comparing against the model, never the default. By default
	// payloads carry the quirks Amazon's examples and real traffic show
	// (see the package documentation, "Amazon's real shapes").
	CleanShapes bool

	// ReportQueueDelay is how long a new report stays IN_QUEUE before it
	// may start, on the limiter clock, when no other report of its seller
	// and type is in the way. Defaults to 5 seconds.
	ReportQueueDelay time.Duration
	// ReportProcessingDelay is how long a report stays IN_PROGRESS before
	// it ends DONE, CANCELLED or FATAL, on the limiter clock. One report
	// per seller and report type is processed at a time; the others wait
	// IN_QUEUE. Defaults to one minute.
	ReportProcessingDelay time.Duration
	// ReportRetention is how long a report stays listed and fetchable after
	// its creation, on the limiter clock: Amazon retains order reports 30
	// days (report-type-values-order). Defaults to 30 days.
	ReportRetention time.Duration
	// ReportLayout pins the column layout of every order report document
	// to one of ReportLayouts (ReportLayoutStandard is Amazon's documented
	// one). Empty, the default, picks a layout per report from a hash of
	// the seed, account and report id, as Amazon's headers vary between
	// accounts and over time; Sim.ReportColumns tells which one a report got.
	ReportLayout string
	// ReportLineEnding pins the line ending of every report document to
	// "\n" or "\r\n". Empty, the default, picks one per report from a hash.
	ReportLineEnding string
	// ReportCharsetJP is the charset the Content-Type of an Amazon.co.jp
	// report document names; the bytes are code page 932 whatever it
	// says. Defaults to "Windows-31J", CP932's IANA name, which x/text's
	// htmlindex resolves (ianaindex knows the name but has no encoder for
	// it); set "CP932" (the spelling jlevers/selling-partner-api's
	// download test uses, which neither index knows) to check that an
	// importer has its own aliases.
	ReportCharsetJP string
	// ShuffleReportLines puts the lines of every report document in an
	// order of their own, fixed per report, instead of by date, order and
	// item: Amazon documents no order, so an importer must not need one.
	ShuffleReportLines bool
	// FatalReports, when set, is asked once per report as it completes;
	// true ends the report FATAL ("aborted due to a fatal error"). It is
	// how a test says "FATAL once, then DONE" (a.Attempt == 1) or "FATAL
	// for every window longer than a week". Faults.ReportFatal and
	// Sim.FailNextReports are the other ways to a FATAL report. It runs
	// under the simulator's report lock and must not call the Sim back.
	FatalReports func(a ReportAttempt) bool

	// CredentialClock drives what happens to credentials: client secret
	// expiry and propagation, the end of authorizations and the
	// application notifications' deadlines (see the package documentation,
	// "Credentials"). Tests accelerate it to live a year of credentials in
	// minutes. Defaults to LimiterClock.
	CredentialClock Clock
	// NewSecretRefusal is where a freshly rotated client secret is refused
	// during its first NewSecretPropagation: NewSecretRefusedByLWA (the
	// default: LWA answers invalid_client) or NewSecretRefusedBySPAPI (LWA
	// issues access tokens, and SP-API answers them 403 "The LWA secret
	// token you provided has expired.", as reported in
	// selling-partner-api-models#4489). A client must survive both.
	NewSecretRefusal string
	// ClientSecretLifetime is how long a client secret works from its
	// creation: Amazon makes every application rotate every 180 days. The
	// configured accounts' secrets were created at construction. Defaults
	// to 180 days.
	ClientSecretLifetime time.Duration
	// AuthorizationLifetime, when positive, ends every seller's
	// authorization that long after it was granted (construction, or the
	// last Reauthorize): a public application's sellers must re-authorize
	// every 365 days, after which LWA answers invalid_grant. Zero, the
	// default, lets authorizations last (a private application's).
	AuthorizationLifetime time.Duration
	// ApplicationQueueARN is the SQS queue registered in the Developer
	// Console for the application notifications
	// (APPLICATION_OAUTH_CLIENT_NEW_SECRET and
	// APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY). Empty, the default, means none
	// is registered: rotateApplicationClientSecret answers 400 "not
	// enrolled" and no application notification is sent.
	ApplicationQueueARN string
	// ApplicationSink delivers the application notifications to
	// ApplicationQueueARN (NewSQSSink for a real queue). Nil keeps them in
	// Sim.ApplicationNotifications only.
	ApplicationSink NotificationSink

	// FinanceReturnRate is the share of shipped orders returned and
	// refunded (a Refund transaction). Zero means 0.1, negative none.
	FinanceReturnRate float64
	// FinanceDeferredRate is the share of sale transactions posted
	// DEFERRED and released at their maturity date. Zero means 0.15,
	// negative none, 1 every one.
	FinanceDeferredRate float64
	// FinanceDeferralPeriod is how long after its postedDate a deferred
	// transaction matures (DeferredContext.maturityDate). Defaults to 7
	// days, Amazon's DD7 policy.
	FinanceDeferralPeriod time.Duration
	// FinanceLateRate is the share of transactions listTransactions
	// starts answering 1 to 48 hours after their postedDate ("financial
	// events might not include orders from the last 48 hours"); the
	// others show within five minutes. Zero means 0.3, negative none.
	FinanceLateRate float64
	// FinanceEmptyPageRate is the chance that a listTransactions page
	// with more to come is served empty, with a nextToken ("this operation
	// can return empty pages"). Zero means 0.05, negative never.
	FinanceEmptyPageRate float64
	// Sandbox makes the operations that have Amazon's static sandbox
	// examples (listTransactions) answer only those, as Amazon's sandbox
	// endpoint does: a request with an example's parameters gets its
	// response, any other 400 "Could not match input arguments".
	Sandbox bool

	// Latency delays every SP-API answer (not LWA's, not Seller
	// Central's, not report document downloads) by a delay drawn per call
	// from a distribution; RealisticLatency is Amazon's. Each call waits on
	// its own goroutine, so calls in flight overlap. The zero value, the
	// default, answers at once, which keeps tests fast.
	Latency Latency

	// Faults is the initial fault configuration; SetFaults changes it.
	Faults Faults
	// Sleep waits for Latency and injected fault latency. Defaults to a
	// timer that stops when the request's context ends; tests replace it
	// to observe latency without waiting. It is called concurrently, once
	// per delayed call.
	Sleep func(ctx context.Context, d time.Duration)
}

// withDefaults returns a copy of o with every zero field set to its default.
func (o Options) withDefaults() (Options, error) {
	if len(o.Accounts) == 0 {
		o.Accounts = []Account{DemoAccount}
	}
	accts := make([]Account, len(o.Accounts))
	seen := map[string]bool{}
	refresh := map[string]bool{}
	for i, a := range o.Accounts {
		if a.ID == "" {
			return o, errors.New("sim: account without ID")
		}
		if seen[a.ID] {
			return o, fmt.Errorf("sim: duplicate account ID %q", a.ID)
		}
		seen[a.ID] = true
		if a.RefreshToken == "" || a.ClientID == "" || a.ClientSecret == "" {
			return o, fmt.Errorf("sim: account %q needs ClientID, ClientSecret and RefreshToken", a.ID)
		}
		if refresh[a.RefreshToken] {
			return o, fmt.Errorf("sim: account %q reuses another account's refresh token", a.ID)
		}
		refresh[a.RefreshToken] = true
		if len(a.MarketplaceIDs) == 0 {
			a.MarketplaceIDs = []string{MarketplaceUS, MarketplaceCA, MarketplaceMX}
		}
		a.MarketplaceIDs = append([]string(nil), a.MarketplaceIDs...)
		for _, role := range a.MissingRoles {
			if !slices.Contains(restrictedRoles, role) {
				return o, fmt.Errorf("sim: account %q: unknown role %q in MissingRoles (known: %s)", a.ID, role, strings.Join(restrictedRoles, ", "))
			}
		}
		a.MissingRoles = append([]string(nil), a.MissingRoles...)
		if a.SellerID == "" {
			a.SellerID = fmt.Sprintf("A%013X", hash64(0, "seller", a.ID)&0xFFFFFFFFFFFFF)
		}
		accts[i] = a
	}
	o.Accounts = accts
	if o.DataClock == nil {
		o.DataClock = RealClock{}
	}
	if o.LimiterClock == nil {
		o.LimiterClock = RealClock{}
	}
	if o.CredentialClock == nil {
		o.CredentialClock = o.LimiterClock
	}
	if o.ApplicationQueueARN != "" {
		if _, _, _, err := parseSQSARN(o.ApplicationQueueARN); err != nil {
			return o, fmt.Errorf("sim: ApplicationQueueARN: %w", err)
		}
	}
	if o.AuthorizationLifetime < 0 {
		return o, errors.New("sim: AuthorizationLifetime must not be negative")
	}
	if o.Start.IsZero() {
		o.Start = o.DataClock.Now().UTC().Truncate(time.Hour)
	}
	o.Start = o.Start.UTC().Truncate(time.Second)
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&o.History, 14*24*time.Hour)
	defDur(&o.Horizon, 2*24*time.Hour)
	def(&o.Orders, 500)
	def(&o.ItemsPerOrderMin, 1)
	def(&o.ItemsPerOrderMax, 5)
	if o.ItemsPerOrderMax < o.ItemsPerOrderMin {
		o.ItemsPerOrderMax = o.ItemsPerOrderMin
	}
	if o.ItemsPerOrderMax > 200 {
		return o, errors.New("sim: ItemsPerOrderMax above 200")
	}
	def(&o.FulfillmentOrders, 100)
	def(&o.MaxShipmentsPerFulfillmentOrder, 2)
	def(&o.MaxPackagesPerShipment, 2)
	if o.MaxShipmentsPerFulfillmentOrder > 4 || o.MaxPackagesPerShipment > 4 {
		return o, errors.New("sim: at most 4 shipments per fulfillment order and 4 packages per shipment")
	}
	if o.FulfillmentOrders > 600_000 {
		return o, errors.New("sim: at most 600,000 fulfillment orders per account (package numbers must stay within int32)")
	}
	// How many accounts fit depends on their fulfillment orders; New's
	// layoutAccounts checks it (scale.go).
	if err := o.Latency.validate(); err != nil {
		return o, fmt.Errorf("sim: Latency: %w", err)
	}
	switch o.NewSecretRefusal {
	case "":
		o.NewSecretRefusal = NewSecretRefusedByLWA
	case NewSecretRefusedByLWA, NewSecretRefusedBySPAPI:
	default:
		return o, fmt.Errorf("sim: NewSecretRefusal %q: use %q or %q", o.NewSecretRefusal, NewSecretRefusedByLWA, NewSecretRefusedBySPAPI)
	}
	def(&o.ServiceJobs, 50)
	def(&o.OrderItemsPageSize, 30)
	def(&o.FulfillmentOrdersPageSize, 50)
	defDur(&o.FulfillmentQueryDefault, 30*24*time.Hour)
	defDur(&o.AccessTokenTTL, time.Hour)
	defDur(&o.ClientSecretLifetime, 180*24*time.Hour)
	defDur(&o.PageTokenTTL, 5*time.Minute)
	defDur(&o.PageTokenTTL2026, 24*time.Hour)
	if o.RateScale <= 0 {
		o.RateScale = 1
	}
	if o.BurstScale <= 0 {
		o.BurstScale = 1
	}
	defDur(&o.ReportQueueDelay, 5*time.Second)
	defDur(&o.ReportProcessingDelay, time.Minute)
	defDur(&o.ReportRetention, 30*24*time.Hour)
	if o.ReportCharsetJP == "" {
		o.ReportCharsetJP = "Windows-31J"
	}
	if o.ReportLayout != "" && !slices.Contains(ReportLayouts, o.ReportLayout) {
		return o, fmt.Errorf("sim: unknown ReportLayout %q (known: %s)", o.ReportLayout, strings.Join(ReportLayouts, ", "))
	}
	if o.ReportLineEnding != "" && o.ReportLineEnding != "\n" && o.ReportLineEnding != "\r\n" {
		return o, fmt.Errorf("sim: ReportLineEnding must be empty, \"\\n\" or \"\\r\\n\", got %q", o.ReportLineEnding)
	}
	return o, nil
}
