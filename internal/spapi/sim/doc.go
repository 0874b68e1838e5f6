// Package sim is a faithful simulator of the parts of Amazon's Selling
// Partner API that spsync syncs. Real Amazon is unreachable from test and
// demo machines, so every other part of the project is tested, demoed and
// benchmarked against it; `worker sim` serves it standalone.
//
// # What it serves
//
// A *Sim is an http.Handler. It answers the Login with Amazon token
// endpoint (POST /auth/o2/token, refresh_token grant) and eight operations
// with Amazon's paths, query parameters, JSON field names, error shapes and,
// by default, the JSON shapes Amazon really sends (see "Amazon's real
// shapes"):
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
// # Amazon's real shapes
//
// Amazon does not send what its models say. By default every payload is
// rewritten at the wire, after the typed rendering, into the shapes
// Amazon's examples and recorded traffic show; Options.CleanShapes sends
// the model's clean shapes instead, for comparing against the model and
// never as the default. Which entity shows an optional quirk is decided by
// a hash of the seed, the account, the quirk and the entity's id, so an
// entity looks the same on every call, page and run, and a list mixes
// shapes. Every quirk is one a tolerant client reads back to the same typed
// value ("false" is false, "1" is 1, COMPLETE is Complete, packageNumber 0
// is no package, an encoded link is its decoded link, stateOrRegion is
// state), except where noted. Files are under ../shared/amazon-examples/
// (README.md there describes them).
//
// getOrders:
//   - IsReplacementOrder is the string "true" or "false" on every order
//     (peers/airbyte-getOrders-real-records.json; Amazon's issues
//     amzn/selling-partner-api-models#2395 and #2647,
//     selling-partner-api-docs#278). getOrder sends a boolean.
//
// getOrders and getOrder, the same for the same order:
//   - HasRegulatedItems: false on some orders
//     (peers/airbyte-getOrders-real-records.json).
//   - BuyerInfo {} on every Canceled order and some others, and
//     {"BuyerEmail":"…@marketplace.amazon.com"} (a relay address) on some
//     (same file).
//   - DefaultShipFromLocationAddress on some MFN orders, its Name and
//     AddressLine1 the literal string "null" (same file).
//
// getOrderItems:
//   - IsGift is the string "true" or "false" on every item, as the HEAD
//     schema declares (getOrderItems/2-200.json,
//     peers/airbyte-getOrderItems-real-records.json; older examples in
//     getOrderItems/history/ send a boolean).
//   - ProductInfo {"NumberOfItems":"1"}, a numeric string, and
//     IsTransparency: false, a real boolean, on every item
//     (getOrderItems/2-200.json).
//   - SerialNumberRequired: false on some items (getOrderItems/2-200.json).
//   - BuyerRequestedCancel {"IsBuyerRequestedCancel":"false",
//     "BuyerCancelReason":""}, BuyerInfo {}, TaxCollection
//     {"Model":"MarketplaceFacilitator","ResponsibleParty":"Amazon
//     Services, Inc."} (taxed USD items) and a zero PromotionDiscountTax
//     (undiscounted priced items) on some items
//     (peers/airbyte-getOrderItems-real-records.json). PromotionDiscount
//     "0.00" is the model's own shape.
//
// listAllFulfillmentOrders and getFulfillmentOrder, the same for the same
// order:
//   - fulfillmentOrderStatus in UPPER_SNAKE case (RECEIVED, PROCESSING,
//     COMPLETE, CANCELLED, …) on about half the orders, the model's
//     CamelCase on the rest (listAllFulfillmentOrders/1-200.json,
//     listAllFulfillmentOrders/history/2022-03-04-0956094-1-200.json,
//     getFulfillmentOrder/1-200.json).
//   - featureConstraints null on some orders and a list on others (same
//     list files).
//
// listAllFulfillmentOrders:
//   - marketplaceId, required by the schema, absent on some orders; it is
//     absent in every listAllFulfillmentOrders example. getFulfillmentOrder
//     always has it, and a header without it is the one place where a
//     client must take a value from the single fetch.
//
// getFulfillmentOrder:
//   - fulfillmentShipmentItem[].packageNumber 0 on the items of a shipment
//     not packed yet, on most orders; absent (the model's shape) on the
//     rest (getFulfillmentOrder/1-200.json).
//   - On some orders every integer quoted: quantity, cancelledQuantity and
//     unfulfillableQuantity of items, quantity and packageNumber of
//     shipment items, packageNumber of packages ("1", "0", "10000017"; a
//     third-party fixture in Amazon's doc style, described in README.md).
//   - returnItems: [] and returnAuthorizations: [] always present (required;
//     getFulfillmentOrder/1-200.json).
//
// getPackageTrackingDetails:
//   - customerTrackingLink URL-encoded with an encoded newline at its end
//     ("https%3A%2F%2Fwww.swiship.com%2Ftrack%3Fid%3D…%0A") on about half
//     the packages (getPackageTrackingDetails/1-200.json).
//   - shipToAddress in the full FBA Address shape (name, addressLine1,
//     city, stateOrRegion, countryCode, postalCode: the fulfillment order's
//     destinationAddress) instead of {city, state, country} on some
//     packages (getPackageTrackingDetails/1-200.json). Not played: the
//     2022 sandbox's shipToAddress {} (history/2022-03-04-0956094-1-200.json),
//     which would make the answer disagree with the ground truth's address
//     rather than spell it differently.
//
// Services v1 is sent as the model says: its examples show nothing the
// simulator does not already do (numeric-looking string ids).
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
// plays that (and AccessTokenInvalidateAfterCalls, counted in calls rather
// than time), while the token endpoint keeps reporting the TTL. TokenGrants
// counts the tokens issued per account, so a test can assert one refresh per
// invalidation.
//
// # Ground truth
//
// TruthOrders, TruthOrderItems, TruthFulfillmentOrders,
// TruthPackageNumbers, TruthPackageTracking and TruthServiceJobs return
// what the simulator holds as of the data clock, in the same exported types
// and with the same values the operations render, so a test can assert that
// what a sync stored equals the source. They are the model's clean shapes:
// with CleanShapes the wire carries exactly their JSON, by default it
// carries Amazon's shapes of the same values. They cost no rate budget.
//
// # Determinism
//
// The same Seed and Start give the same dataset, identifiers and timelines
// on every run and machine; fault decisions come from Faults.Seed. Only
// access tokens, page tokens and request ids are random. Datasets are built
// lazily per account on first use and render entities on demand from
// per-entity random streams, so large datasets stay cheap.
package sim
