// Package conformance checks spsync's SP-API traffic against Amazon's own
// OpenAPI models: Stoplight Prism (tools/prism) runs in proxy mode between
// spsync's client and the simulator, loaded with every API model in
// ../shared/amazon-models merged into one document (Spec), and reports in
// each answer's sl-violations header which rules of the models the request
// and the response broke. Recorder stands in front of Prism, collects those
// violations per operation and takes the header away.
//
// The test in this package drives every operation spsync calls through it:
// polls of every registered stream (orders through both Orders APIs,
// fulfillment orders, service jobs, financial transactions), refreshes of
// every kind, API and report backfills and the notifications setup and
// status calls, once against the simulator's clean shapes (no violation allowed)
// and once against its default shapes (only the deviations sim.Quirks
// lists, each one Amazon's examples show). Run it alone with
//
//	go test -run TestConformance -v ./internal/conformance/
//
// It is development tooling and is not shipped.
package conformance
