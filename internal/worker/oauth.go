package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/oauth"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
)

// oauthListener is the onboarding listener (README "Onboarding sellers"):
// its own http.Server, so that only /oauth/ is exposed to sellers and
// River UI, /metrics and /healthz stay on SPSYNC_HTTP_ADDR.
type oauthListener struct {
	srv  *http.Server
	url  string     // the public base URL
	errc chan error // Serve's end
}

// startOAuth serves the onboarding paths when SPSYNC_OAUTH_ADDR is set
// (nil otherwise). With the built-in simulator, Seller Central, the
// application and its LWA client default to the simulator's, and the
// simulator registers the listener's Login and redirect URIs. Without a
// secret key it refuses: refresh tokens are stored sealed.
func startOAuth(ocfg oauth.Config, cfg *config.Config, simSrv *SimServer, pool *pgxpool.Pool, keys *secretbox.Keyring, b jobs.Budget,
	credentialClock func() time.Time, logger *slog.Logger) (*oauthListener, error) {
	if !ocfg.Enabled() {
		return nil, nil
	}
	if keys == nil {
		return nil, &config.Error{Var: oauth.EnvAddr, Msg: "the onboarding listener needs a secret key (SPSYNC_SECRET_KEY; make one with `openssl rand -base64 32`): the sellers' refresh tokens are stored sealed"}
	}
	lwa, spapiEndpoint := cfg.LWAEndpoint, cfg.SPAPIEndpoint
	if simSrv != nil {
		spapiEndpoint = simSrv.url
		if ocfg.SellerCentralURL == "" {
			ocfg.SellerCentralURL = simSrv.url + "/sellercentral"
		}
		if ocfg.ApplicationID == "" {
			ocfg.ApplicationID = sim.DemoApplicationID
		}
		if ocfg.ClientID == "" {
			ocfg.ClientID = simSrv.sim.ApplicationClientID(sim.DemoApplicationID)
		}
		lwa = simSrv.url + "/auth/o2/token"
	}
	if err := ocfg.Validate(); err != nil {
		return nil, err
	}
	if simSrv != nil && ocfg.ApplicationID == sim.DemoApplicationID {
		simSrv.sim.SetApplicationURIs(sim.DemoApplicationID, ocfg.LoginURI(), ocfg.RedirectURI())
	}
	s, err := oauth.New(oauth.Options{Config: ocfg, Pool: pool, Keys: keys, LWAEndpoint: lwa, SPAPIEndpoint: spapiEndpoint, Budget: b,
		CredentialClock: credentialClock, Logger: logger})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", ocfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s %s: %w (set %[1]s to a free address)", oauth.EnvAddr, ocfg.Addr, err)
	}
	l := &oauthListener{
		srv:  &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second},
		url:  ocfg.BaseURL,
		errc: make(chan error, 1),
	}
	go func() {
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.errc <- err
		}
	}()
	logger.Info("onboarding sellers: OAuth listener started", "addr", ln.Addr().String(), "base_url", ocfg.BaseURL,
		"login_uri", ocfg.LoginURI(), "redirect_uri", ocfg.RedirectURI(), "beta", ocfg.Beta)
	return l, nil
}

// failed delivers the listener's failure (never, without a listener).
func (l *oauthListener) failed() <-chan error {
	if l == nil {
		return nil
	}
	return l.errc
}

// URL is the public base URL ("" without a listener).
func (l *oauthListener) URL() string {
	if l == nil {
		return ""
	}
	return l.url
}

// stop lets in-flight callbacks finish (they are short), then closes.
func (l *oauthListener) stop() {
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}
