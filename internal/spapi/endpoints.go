package spapi

import (
	"errors"
	"fmt"
	"strings"
)

// Region is an SP-API selling region. Rate limits apply per region, so the region is part
// of every budget key as well as the choice of endpoint.
type Region string

// The three SP-API regions.
const (
	RegionNA Region = "na"
	RegionEU Region = "eu"
	RegionFE Region = "fe"
)

// DefaultLWAEndpoint is the Login with Amazon token URL used when Options.LWAEndpoint is
// empty; it is the same for every region.
const DefaultLWAEndpoint = "https://api.amazon.com/auth/o2/token"

// ErrUnknownRegion is wrapped by every error about a region other than na, eu or fe, so a
// misconfigured SPAPI_REGION fails at start-up instead of sending requests to a made-up host.
var ErrUnknownRegion = errors.New("spapi: unknown region (want na, eu or fe)")

var regionHosts = map[Region][2]string{
	RegionNA: {"https://sellingpartnerapi-na.amazon.com", "https://sandbox.sellingpartnerapi-na.amazon.com"},
	RegionEU: {"https://sellingpartnerapi-eu.amazon.com", "https://sandbox.sellingpartnerapi-eu.amazon.com"},
	RegionFE: {"https://sellingpartnerapi-fe.amazon.com", "https://sandbox.sellingpartnerapi-fe.amazon.com"},
}

// ParseRegion turns configuration text such as "NA" or " eu " into a Region, so that
// environment values are accepted in any case. The empty string is an error; callers apply
// their own default.
func ParseRegion(s string) (Region, error) {
	r := Region(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := regionHosts[r]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownRegion, s)
	}
	return r, nil
}

// Endpoint returns the base URL of the region's production or sandbox SP-API host.
func (r Region) Endpoint(sandbox bool) (string, error) {
	hosts, ok := regionHosts[r]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownRegion, string(r))
	}
	if sandbox {
		return hosts[1], nil
	}
	return hosts[0], nil
}
