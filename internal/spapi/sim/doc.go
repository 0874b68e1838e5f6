// Package sim is a faithful simulator of the parts of Amazon's Selling
// Partner API that spsync syncs. Real Amazon is unreachable from test and
// demo machines, so every other part of the project is tested, demoed and
// benchmarked against it; `worker sim` serves it standalone.
//
// # What it serves
//
// A *Sim is an http.Handler. It answers the Login with Amazon token
// endpoint (POST /auth/o2/token, refresh_token grant) and eight operations
// with Amazon's paths, query parameters, JSON field names and error shapes:
//
//   - Orders v0: getOrders, getOrder, getOrderItems.
//   - Fulfillment Outbound 2020-07-01: listAllFulfillmentOrders,
//     getFulfillmentOrder, getPackageTrackingDetails.
//   - Services v1: getServiceJobs, getServiceJobByServiceJobId.
//
// Requests are validated like Amazon does: getOrders needs MarketplaceIds
// and exactly one of CreatedAfter or LastUpdatedAfter, every date must lie
// at least two minutes before the request time on the data clock,
// MaxResultsPerPage is 1 to 100; getServiceJobs needs marketplaceIds and
// takes pageSize 1 to 20; and so on. Violations answer 400 InvalidInput,
// unknown identifiers 404 NotFound, with {"errors":[{code, message,
// details}]} bodies. Every response carries x-amzn-RequestId; successful
// ones carry x-amzn-RateLimit-Limit.
//
// # Data that changes over a clock
//
// Each account's dataset (Options.Orders orders with 1 to 5 items,
// Options.FulfillmentOrders multi-channel orders with shipments and
// packages, Options.ServiceJobs service jobs with appointments) is
// generated from Options.Seed as a fixed timeline of events per entity,
// spread from Start-History to Start+Horizon. The data clock
// (Options.DataClock) decides which events have happened: an entity exists
// once its creation time has passed, orders go Pending → Unshipped →
// (PartiallyShipped →) Shipped or Canceled, fulfillment orders go New →
// Received → Planning → Processing → Complete with shipments and packages
// appearing as they ship, packages move through carrier scans to DELIVERED
// or back to the seller (which adds return items to their order), and
// service jobs are scheduled, sometimes rescheduled, then completed or
// cancelled. A ManualClock steps time in tests; an AcceleratedClock lets a
// demo watch days pass in minutes.
//
// Paging tokens (NextToken, nextToken, pageToken) are opaque, signed, tied
// to the account, operation and query, and expire after
// Options.PageTokenTTL on the limiter clock. A walk through pages sees the
// data as it stood at its first page, so every match is returned exactly
// once however the data clock moves meanwhile. getOrders windows are
// inclusive at both ends and the payload reports the end actually used
// (LastUpdatedBefore or CreatedBefore, by default two minutes before now).
//
// # Usage plans and scaling
//
// Every operation's documented rate and burst (DefaultUsagePlans) is
// enforced as a token bucket per (account, operation) on the limiter clock
// (Options.LimiterClock). A call without a token gets 429 with Amazon's
// QuotaExceeded body. Options.RateScale and Options.BurstScale multiply the
// plans so tests and demos need not wait a minute for a getOrders token;
// Options.UsagePlanOverrides replaces single plans. Stats, AccountStats and
// EntityCalls count calls, throttles and per-entity fetches.
//
// # Faults
//
// Faults (Options.Faults, SetFaults) inject, each with its own probability
// per call and optionally only for some operations: 500 and 503 answers,
// added latency (through Options.Sleep, so tests need not wait), dropped
// connections, malformed or truncated JSON bodies, expired access tokens,
// forced 429 runs and expired page tokens. ExpireAccessTokens and
// DrainBucket force the same states directly.
//
// # Access tokens
//
// Amazon refuses an access token it no longer accepts with 403, not 401:
// {"errors":[{"code":"Unauthorized","message":"Access to requested resource
// is denied.","details":"The access token you provided has expired."}]}. A
// missing, forged or revoked token gets the same status, code and message
// with other details ("The access token you provided is revoked, malformed
// or invalid."), so only details tells a client that refreshing helps. The
// simulator answers so when a token outlives Options.AccessTokenTTL on the
// limiter clock, after ExpireAccessTokens, and on the ExpireAccessToken
// fault, every later call with that token included. Amazon also invalidates
// tokens before the expires_in it reported; Options.AccessTokenInvalidateAfter
// plays that, while the token endpoint keeps reporting the TTL. TokenGrants
// counts the tokens issued per account, so a test can assert one refresh per
// invalidation.
//
// # Ground truth
//
// TruthOrders, TruthOrderItems, TruthFulfillmentOrders,
// TruthPackageNumbers, TruthPackageTracking and TruthServiceJobs return
// what the simulator holds as of the data clock, in the same exported types
// and with the same values the operations render, so a test can assert that
// what a sync stored equals the source. They cost no rate budget.
//
// # Determinism
//
// The same Seed and Start give the same dataset, identifiers and timelines
// on every run and machine; fault decisions come from Faults.Seed. Only
// access tokens, page tokens and request ids are random. Datasets are built
// lazily per account on first use and render entities on demand from
// per-entity random streams, so large datasets stay cheap.
package sim
