package sim

import (
	"context"
	"net/http"

	"github.com/spsync/spsync/internal/spapi"
)

// OpRotateApplicationClientSecret is the Application Management API's only
// operation.
const OpRotateApplicationClientSecret = spapi.OpRotateApplicationClientSecret

// ScopeClientCredentialRotation is the client_credentials scope
// rotateApplicationClientSecret takes.
const ScopeClientCredentialRotation = spapi.ScopeClientCredentialRotation

// msgNotEnrolled is Amazon's 400 message for an application without a
// queue registered for its notifications (application_2023-11-30.json).
const msgNotEnrolled = "Application is not enrolled for rotation notification. Please update application notification preference in Developer console."

// applicationRoutes adds the Application Management API 2023-11-30.
func (s *Sim) applicationRoutes(mux *http.ServeMux) {
	s.routeGrantlessScope(mux, OpRotateApplicationClientSecret, "POST /applications/2023-11-30/clientSecret",
		ScopeClientCredentialRotation, s.rotateApplicationClientSecret)
}

// rotateApplicationClientSecret plays POST /applications/2023-11-30/clientSecret:
// 204 without a body, the new secret delivered as NEW_SECRET to
// Options.ApplicationQueueARN before the answer; 400 InvalidInput when no
// queue is registered.
func (s *Sim) rotateApplicationClientSecret(c *call) (any, *failure) {
	if s.opts.ApplicationQueueARN == "" {
		return nil, invalidInput(msgNotEnrolled)
	}
	n, err := s.creds.rotate(appOf(c.account))
	if err != nil {
		return nil, &failure{status: http.StatusInternalServerError, err: bodyInternal.Errors[0]}
	}
	ctx := context.WithoutCancel(c.r.Context())
	_ = s.creds.deliver(ctx, n) // a sink's failure is counted; Amazon's 204 does not depend on it
	_ = s.DeliverCredentialNotices(ctx)
	c.status = http.StatusNoContent
	return nil, nil
}
