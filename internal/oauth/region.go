package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/config"
)

// marketplace is one Amazon marketplace as the authorization flow needs
// it: the SP-API region its sellers authorize in, and the Seller Central
// site whose consent page the seller is sent to.
type marketplace struct {
	ID, Country, SellerCentral string
}

// marketplaces are the Seller Central sites of Amazon's marketplaces
// (developer docs "Seller Central URLs"); their regions are
// accounts.RegionOfMarketplace's. The UK, Germany, France, Italy and Spain
// share sellercentral-europe.amazon.com.
var marketplaces = []marketplace{
	{"ATVPDKIKX0DER", "US", "https://sellercentral.amazon.com"},
	{"A2EUQ1WTGCTBG2", "CA", "https://sellercentral.amazon.ca"},
	{"A1AM78C64UM0Y8", "MX", "https://sellercentral.amazon.com.mx"},
	{"A2Q3Y263D00KWC", "BR", "https://sellercentral.amazon.com.br"},
	{"A28R8C7NBKEWEA", "IE", "https://sellercentral.amazon.ie"},
	{"A1RKKUPIHCS9HS", "ES", "https://sellercentral-europe.amazon.com"},
	{"A1F83G8C2ARO7P", "UK", "https://sellercentral-europe.amazon.com"},
	{"A13V1IB3VIYZZH", "FR", "https://sellercentral-europe.amazon.com"},
	{"AMEN7PMS3EDWL", "BE", "https://sellercentral.amazon.com.be"},
	{"A1805IZSGTT6HS", "NL", "https://sellercentral.amazon.nl"},
	{"A1PA6795UKMFR9", "DE", "https://sellercentral-europe.amazon.com"},
	{"APJ6JRA9NG5V4", "IT", "https://sellercentral-europe.amazon.com"},
	{"A2NODRKZP88ZB9", "SE", "https://sellercentral.amazon.se"},
	{"AE08WJ6YKNBMC", "ZA", "https://sellercentral.amazon.co.za"},
	{"A1C3SOZRARQ6R3", "PL", "https://sellercentral.amazon.pl"},
	{"ARBP9OOSHTCHU", "EG", "https://sellercentral.amazon.eg"},
	{"A33AVAJ2PDY3EV", "TR", "https://sellercentral.amazon.com.tr"},
	{"A17E79C6D8DWNP", "SA", "https://sellercentral.amazon.sa"},
	{"A2VIGQ35RCS4UG", "AE", "https://sellercentral.amazon.ae"},
	{"A21TJRUUN4KGV", "IN", "https://sellercentral.amazon.in"},
	{"A19VAU5U5O7RUS", "SG", "https://sellercentral.amazon.sg"},
	{"A39IBJ37TRP1C6", "AU", "https://sellercentral.amazon.com.au"},
	{"A1VC38T7YXB528", "JP", "https://sellercentral.amazon.co.jp"},
}

// sellerCentralRegions maps Seller Central hosts to their region, for the
// amazon_callback_uri of a Login-URI call (Amazon says which site the
// seller came from, not which region).
var sellerCentralRegions = map[string]string{
	"sellercentral.amazon.com": "na", "sellercentral.amazon.ca": "na",
	"sellercentral.amazon.com.mx": "na", "sellercentral.amazon.com.br": "na",
	"sellercentral-europe.amazon.com": "eu",
	"sellercentral.amazon.co.uk":      "eu", "sellercentral.amazon.de": "eu", "sellercentral.amazon.fr": "eu",
	"sellercentral.amazon.it": "eu", "sellercentral.amazon.es": "eu", "sellercentral.amazon.nl": "eu",
	"sellercentral.amazon.se": "eu", "sellercentral.amazon.pl": "eu", "sellercentral.amazon.com.tr": "eu",
	"sellercentral.amazon.ae": "eu", "sellercentral.amazon.in": "eu", "sellercentral.amazon.sa": "eu",
	"sellercentral.amazon.eg": "eu", "sellercentral.amazon.com.be": "eu", "sellercentral.amazon.ie": "eu",
	"sellercentral.amazon.co.za":     "eu",
	"sellercentral-japan.amazon.com": "fe",
	"sellercentral.amazon.co.jp":     "fe", "sellercentral.amazon.com.au": "fe", "sellercentral.amazon.sg": "fe",
}

// SellerCentral is where a seller of a region is sent to authorize: the
// Seller Central site of a marketplace, or Override + "/" + region when an
// override (SPSYNC_SELLER_CENTRAL_URL: the simulator, tests) is set.
type SellerCentral struct {
	// Override is the base URL standing in for every Seller Central site,
	// without a trailing slash ("" for Amazon's).
	Override string
}

// ConsentBase returns the Seller Central base URL for an invitation of
// region whose first marketplace is marketplaceID: the consent page is
// {base}/apps/authorize/consent.
func (sc SellerCentral) ConsentBase(region, marketplaceID string) (string, error) {
	if sc.Override != "" {
		if !slices.Contains(config.Regions, region) {
			return "", fmt.Errorf("unknown region %q", region)
		}
		return sc.Override + "/" + region, nil
	}
	for _, m := range marketplaces {
		if m.ID == marketplaceID {
			if mr := accounts.RegionOfMarketplace(m.ID); region != "" && mr != region {
				return "", fmt.Errorf("marketplace %s is in region %s, not %s", marketplaceID, mr, region)
			}
			return m.SellerCentral, nil
		}
	}
	// An unknown marketplace: the region's main site.
	switch region {
	case "na":
		return "https://sellercentral.amazon.com", nil
	case "eu":
		return "https://sellercentral-europe.amazon.com", nil
	case "fe":
		return "https://sellercentral.amazon.co.jp", nil
	}
	return "", fmt.Errorf("unknown region %q", region)
}

// errNotSellerCentral is returned for an amazon_callback_uri that is not a
// Seller Central address: spsync never redirects a seller to a URL it does
// not recognise (an open redirect would hand the state to anyone).
var errNotSellerCentral = errors.New("not a Seller Central address")

// CallbackRegion returns the region of a Login-URI call's
// amazon_callback_uri: from the Seller Central host (https only), or,
// under an override, from the path segment after the override's path.
func (sc SellerCentral) CallbackRegion(callbackURI string) (string, error) {
	u, err := url.Parse(callbackURI)
	if err != nil || u.Host == "" || u.User != nil {
		return "", errNotSellerCentral
	}
	if sc.Override != "" {
		base, err := url.Parse(sc.Override)
		if err == nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) {
			rest, ok := strings.CutPrefix(u.Path, strings.TrimSuffix(base.Path, "/")+"/")
			if ok {
				region, _, _ := strings.Cut(rest, "/")
				if slices.Contains(config.Regions, region) {
					return region, nil
				}
			}
		}
		return "", errNotSellerCentral
	}
	if u.Scheme != "https" {
		return "", errNotSellerCentral
	}
	if region, ok := sellerCentralRegions[strings.ToLower(u.Hostname())]; ok && u.Port() == "" {
		return region, nil
	}
	return "", errNotSellerCentral
}
