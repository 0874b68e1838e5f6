package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// verifySeller proves that a re-authorization's new token belongs to the
// account's seller. The redirect's selling_partner_id is a query parameter
// the browser could have rewritten, and LWA's answer names no seller, so a
// seller who consented as themselves could otherwise hand another seller's
// account their own token. One getOrder of an order already stored for the
// account settles it: Amazon answers it only for the order's seller (403 or
// 404 for any other). An account with no stored order cannot be checked
// this way; that is logged and allowed (nothing of its data can be mixed
// up yet).
func (s *Server) verifySeller(ctx context.Context, accountID, region, accessToken string, invitation int64) *refusal {
	orderID, err := store.LatestOrderID(ctx, s.pool, accountID)
	if err != nil {
		return &refusal{reason: ReasonInternal, invitation: invitation, account: accountID, err: err}
	}
	if orderID == "" {
		s.logger.Warn("oauth: re-authorization of an account with no stored order: its seller was taken from Amazon's redirect unchecked",
			"account", accountID)
		return nil
	}
	if accessToken == "" {
		return &refusal{reason: ReasonSellerUnverified, invitation: invitation, account: accountID,
			err: errors.New("LWA's answer had no access token to check the seller with")}
	}
	r, err := spapi.ParseRegion(region)
	if err != nil {
		return &refusal{reason: ReasonInternal, invitation: invitation, account: accountID, err: err}
	}
	opts := spapi.Options{Region: r, Endpoint: s.spapiEndpoint, TokenSource: oneToken(accessToken), HTTPClient: s.httpClient}
	if s.budget != nil {
		key := jobs.BudgetKey{AccountID: accountID, Region: region, Operation: spapi.OpGetOrder2026}
		if err := s.budget.Acquire(ctx, key, jobs.ClassFollowup); err != nil {
			// The bucket is empty for longer than a page should wait.
			return &refusal{reason: ReasonSellerUnverified, invitation: invitation, account: accountID,
				err: fmt.Errorf("wait for a getOrder token: %w", err)}
		}
		opts.OnResponse = func(ctx context.Context, meta spapi.ResponseMeta) {
			s.budget.Observe(ctx, key, meta.RateLimit, meta.StatusCode == http.StatusTooManyRequests)
		}
	}
	client, err := spapi.NewClient(opts)
	if err != nil {
		return &refusal{reason: ReasonInternal, invitation: invitation, account: accountID, err: err}
	}
	_, err = client.GetOrder2026(ctx, orderID, nil)
	var apiErr *spapi.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusNotFound):
		return &refusal{reason: ReasonWrongSeller, invitation: invitation, account: accountID,
			err: fmt.Errorf("the new token cannot read order %s of the account (HTTP %d)", orderID, apiErr.StatusCode)}
	default:
		return &refusal{reason: ReasonSellerUnverified, invitation: invitation, account: accountID,
			err: fmt.Errorf("check the seller with getOrder: %w", err)}
	}
}

// oneToken is the access token LWA gave with the code, used for one call.
type oneToken string

func (t oneToken) Token(context.Context) (string, error) { return string(t), nil }
func (t oneToken) Invalidate(string)                     {}
