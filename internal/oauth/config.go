package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/config"
)

// Environment variables of the onboarding listener (README "Onboarding
// sellers").
const (
	EnvAddr             = "SPSYNC_OAUTH_ADDR"
	EnvBaseURL          = "SPSYNC_OAUTH_BASE_URL"
	EnvApplicationID    = "SPSYNC_OAUTH_APPLICATION_ID"
	EnvClientID         = "SPSYNC_OAUTH_CLIENT_ID"
	EnvBeta             = "SPSYNC_OAUTH_BETA"
	EnvInvitationTTL    = "SPSYNC_OAUTH_INVITATION_TTL"
	EnvSellerCentralURL = "SPSYNC_SELLER_CENTRAL_URL"
)

// Config is the onboarding listener's configuration. The listener runs
// only when Addr is set.
type Config struct {
	// Addr is the listen address (SPSYNC_OAUTH_ADDR), "" for no listener.
	Addr string
	// BaseURL is the public address sellers reach the listener at, without
	// a trailing slash: the redirect URI is BaseURL+"/oauth/callback" and
	// the Login URI BaseURL+"/oauth/login", as registered in the Developer
	// Console.
	BaseURL string
	// ApplicationID is the SP-API application (amzn1.sp.solution.…) the
	// sellers authorize.
	ApplicationID string
	// ClientID is the application's LWA client id; its stored client
	// secrets exchange the codes. Defaults to LWA_CLIENT_ID.
	ClientID string
	// Beta adds version=beta to the consent URL (a draft application).
	Beta bool
	// InvitationTTL is how long a new invitation stays valid.
	InvitationTTL time.Duration
	// SellerCentralURL replaces every Seller Central site ("" for Amazon's):
	// the simulator's /sellercentral in tests and demos.
	SellerCentralURL string
}

// Enabled reports whether the onboarding listener should run.
func (c Config) Enabled() bool { return c.Addr != "" }

// RedirectURI is the URI Amazon sends the seller back to with the code.
func (c Config) RedirectURI() string { return c.BaseURL + "/oauth/callback" }

// LoginURI is the application's Login URI (Appstore and renewal flows).
func (c Config) LoginURI() string { return c.BaseURL + "/oauth/login" }

// InviteURL is the link an operator sends a seller for token.
func (c Config) InviteURL(token string) string { return c.BaseURL + "/oauth/invite/" + token }

// LoadConfig reads the SPSYNC_OAUTH_* variables through getenv. It checks
// what it reads; Validate checks that a listener has everything it needs,
// after the worker filled in the simulator's defaults.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		Addr:             get(EnvAddr),
		ApplicationID:    get(EnvApplicationID),
		ClientID:         get(EnvClientID),
		InvitationTTL:    DefaultInvitationTTL,
		SellerCentralURL: strings.TrimSuffix(get(EnvSellerCentralURL), "/"),
	}
	if c.ClientID == "" {
		c.ClientID = get("LWA_CLIENT_ID")
	}
	if v := get(EnvBaseURL); v != "" {
		base, err := parseBaseURL(v)
		if err != nil {
			return Config{}, &config.Error{Var: EnvBaseURL, Msg: err.Error()}
		}
		c.BaseURL = base
	}
	if v := get(EnvBeta); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, &config.Error{Var: EnvBeta, Msg: fmt.Sprintf("%q is not true or false (true for a draft application: Amazon then needs version=beta)", v)}
		}
		c.Beta = b
	}
	if v := get(EnvInvitationTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return Config{}, &config.Error{Var: EnvInvitationTTL, Msg: fmt.Sprintf("%q is not a duration of at least 1m: write e.g. 72h", v)}
		}
		c.InvitationTTL = d
	}
	if c.SellerCentralURL != "" {
		u, err := url.Parse(c.SellerCentralURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return Config{}, &config.Error{Var: EnvSellerCentralURL, Msg: fmt.Sprintf("%q is not an http(s) base URL like http://127.0.0.1:9000/sellercentral", c.SellerCentralURL)}
		}
	}
	if c.ApplicationID != "" && strings.ContainsAny(c.ApplicationID, " \t\r\n&?#/") {
		return Config{}, &config.Error{Var: EnvApplicationID, Msg: fmt.Sprintf("%q is not an application id like amzn1.sp.solution.…", c.ApplicationID)}
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return Config{}, &config.Error{Var: EnvAddr, Msg: fmt.Sprintf("%q is not host:port, e.g. 127.0.0.1:8081", c.Addr)}
		}
	}
	return c, nil
}

// Validate checks that an enabled listener has its base URL, application
// id and client id; the errors name the variable to set.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	switch {
	case c.BaseURL == "":
		return &config.Error{Var: EnvBaseURL, Msg: "required with " + EnvAddr + ": the public https address sellers reach the listener at (the Developer Console's redirect URI is it + /oauth/callback)"}
	case c.ApplicationID == "":
		return &config.Error{Var: EnvApplicationID, Msg: "required with " + EnvAddr + ": the application id (amzn1.sp.solution.…) from the Developer Console"}
	case c.ClientID == "":
		return &config.Error{Var: EnvClientID, Msg: "required with " + EnvAddr + " (or LWA_CLIENT_ID): the application's LWA client id, whose stored client secret exchanges the sellers' codes"}
	}
	return nil
}

// parseBaseURL checks a public base URL: absolute, https unless the host
// is a loopback address (tests, a demo on one machine), no query or
// fragment. It returns it without a trailing slash.
func parseBaseURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an absolute URL like https://sync.example.com", v)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q: give the base URL only, without user, query or fragment", v)
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("%q: use https (Amazon sends the authorization code to this address; plain http is accepted only for 127.0.0.1, ::1 and localhost)", v)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
