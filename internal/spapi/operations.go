package spapi

// Operation names as Amazon spells them. They key usage plans, rate budgets, metrics and the
// simulator's routes, so every package refers to an operation by one of these constants.
const (
	OpGetOrders                   = "getOrders"
	OpGetOrder                    = "getOrder"
	OpGetOrderItems               = "getOrderItems"
	OpGetOrderAddress             = "getOrderAddress"
	OpGetOrderBuyerInfo           = "getOrderBuyerInfo"
	OpGetOrderItemsBuyerInfo      = "getOrderItemsBuyerInfo"
	OpListAllFulfillmentOrders    = "listAllFulfillmentOrders"
	OpGetFulfillmentOrder         = "getFulfillmentOrder"
	OpGetPackageTrackingDetails   = "getPackageTrackingDetails"
	OpGetServiceJobs              = "getServiceJobs"
	OpGetServiceJobByServiceJobID = "getServiceJobByServiceJobId"
	OpCreateRestrictedDataToken   = "createRestrictedDataToken"
	// Orders API 2026-01-01. Its getOrder has its own usage plan, so it gets a
	// name of its own here (Amazon's operationId is getOrder, like v0's).
	OpSearchOrders = "searchOrders"
	OpGetOrder2026 = "getOrder2026"
	// Reports API 2021-06-30.
	OpCreateReport      = "createReport"
	OpGetReports        = "getReports"
	OpGetReport         = "getReport"
	OpGetReportDocument = "getReportDocument"
	// Finances API 2024-06-19.
	OpListTransactions = "listTransactions"
	// Notifications API v1. Grantless operations (see GrantlessOps) are called with a
	// client-credentials token of scope ScopeNotifications, the others with the seller's.
	OpGetSubscriptions       = "getSubscriptions"
	OpGetSubscription        = "getSubscription"
	OpCreateSubscription     = "createSubscription"
	OpGetSubscriptionByID    = "getSubscriptionById"
	OpDeleteSubscriptionByID = "deleteSubscriptionById"
	OpGetDestinations        = "getDestinations"
	OpCreateDestination      = "createDestination"
	OpGetDestination         = "getDestination"
	OpDeleteDestination      = "deleteDestination"
	// Application Management API 2023-11-30: grantless, with a client-credentials token of
	// scope ScopeClientCredentialRotation.
	OpRotateApplicationClientSecret = "rotateApplicationClientSecret"
)

// GrantlessOps are the operations the models call grantless: they act for the application,
// not for a seller, and take an access token from the client-credentials grant
// (notifications.json: getSubscriptionById, deleteSubscriptionById, getDestinations,
// createDestination, getDestination, deleteDestination; sendTestNotification too, which is
// sandbox-only and not used; application_2023-11-30.json: rotateApplicationClientSecret).
// Treat it as read-only.
var GrantlessOps = map[string]bool{
	OpGetSubscriptionByID:    true,
	OpDeleteSubscriptionByID: true,
	OpGetDestinations:        true,
	OpCreateDestination:      true,
	OpGetDestination:         true,
	OpDeleteDestination:      true,
	// application_2023-11-30.json; its scope is ScopeClientCredentialRotation.
	OpRotateApplicationClientSecret: true,
}

// UsagePlan is an SP-API token bucket: Rate tokens are added per second up to Burst, and
// each request takes one token. Amazon may grant a seller more than the documented default,
// which the x-amzn-RateLimit-Limit header reveals per response.
type UsagePlan struct {
	// Rate is the refill rate in requests per second.
	Rate float64
	// Burst is the bucket size, the number of requests that may be sent at once.
	Burst int
}

// DefaultUsagePlans holds Amazon's documented default usage plan of every operation spsync
// knows, keyed by operation name (see spapi-facts.md and the seed pages). It is shared by the
// budget package (initial bucket shape) and the simulator (enforced limits); treat it as
// read-only.
var DefaultUsagePlans = map[string]UsagePlan{
	OpGetOrders:                   {Rate: 0.0167, Burst: 20},
	OpGetOrder:                    {Rate: 0.5, Burst: 30},
	OpGetOrderItems:               {Rate: 0.5, Burst: 30},
	OpGetOrderAddress:             {Rate: 0.5, Burst: 30},
	OpGetOrderBuyerInfo:           {Rate: 0.5, Burst: 30},
	OpGetOrderItemsBuyerInfo:      {Rate: 0.5, Burst: 30},
	OpListAllFulfillmentOrders:    {Rate: 2, Burst: 30},
	OpGetFulfillmentOrder:         {Rate: 2, Burst: 30},
	OpGetPackageTrackingDetails:   {Rate: 2, Burst: 30},
	OpGetServiceJobs:              {Rate: 10, Burst: 40},
	OpGetServiceJobByServiceJobID: {Rate: 20, Burst: 40},
	OpCreateRestrictedDataToken:   {Rate: 1, Burst: 10},
	OpSearchOrders:                {Rate: 0.0056, Burst: 20},
	OpGetOrder2026:                {Rate: 0.5, Burst: 30},
	OpCreateReport:                {Rate: 0.0167, Burst: 15},
	OpGetReports:                  {Rate: 0.0222, Burst: 10},
	OpGetReport:                   {Rate: 2, Burst: 15},
	OpGetReportDocument:           {Rate: 0.0167, Burst: 15},
	// Finances API 2024-06-19 (finances_2024-06-19.json).
	OpListTransactions: {Rate: 0.5, Burst: 10},
	// Notifications API v1: every operation 1/s burst 5 (notifications.json).
	OpGetSubscriptions:       {Rate: 1, Burst: 5},
	OpGetSubscription:        {Rate: 1, Burst: 5},
	OpCreateSubscription:     {Rate: 1, Burst: 5},
	OpGetSubscriptionByID:    {Rate: 1, Burst: 5},
	OpDeleteSubscriptionByID: {Rate: 1, Burst: 5},
	OpGetDestinations:        {Rate: 1, Burst: 5},
	OpCreateDestination:      {Rate: 1, Burst: 5},
	OpGetDestination:         {Rate: 1, Burst: 5},
	OpDeleteDestination:      {Rate: 1, Burst: 5},
	// Application Management API 2023-11-30 (application_2023-11-30.json): one rotation a
	// minute, per application.
	OpRotateApplicationClientSecret: {Rate: 0.0167, Burst: 1},
}
