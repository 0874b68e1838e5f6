package oauth

import (
	"bytes"
	"html/template"
	"net/http"
)

// Reason codes of refusals: in the page (so a seller can quote it to the
// operator) and in the one log line each refusal writes.
const (
	ReasonNotFound           = "not_found"
	ReasonInvitationUnknown  = "invitation_unknown"
	ReasonInvitationExpired  = "invitation_expired"
	ReasonInvitationUsed     = "invitation_used"
	ReasonStateMissing       = "state_missing"
	ReasonStateUnknown       = "state_unknown"
	ReasonStateReplayed      = "state_replayed"
	ReasonStateExpired       = "state_expired"
	ReasonCookieMissing      = "cookie_missing"
	ReasonCookieMismatch     = "cookie_mismatch"
	ReasonConsentDenied      = "consent_denied"
	ReasonAmazonError        = "amazon_error"
	ReasonBadCallback        = "bad_callback"
	ReasonCodeRefused        = "code_refused"
	ReasonExchangeFailed     = "exchange_failed"
	ReasonWrongSeller        = "wrong_seller"
	ReasonSellerHasAccount   = "seller_has_account"
	ReasonUnknownSeller      = "unknown_seller"
	ReasonBadLoginRequest    = "bad_login_request"
	ReasonInternal           = "internal_error"
	ReasonInvitationMismatch = "invitation_region"
	ReasonSellerUnverified   = "seller_unverified"
)

// page is what a seller sees: a title, what happened, what to do next.
type page struct {
	Status  int
	Title   string
	Message string
	Next    string
	Reason  string
	// Success pages name the account and the seller.
	AccountID, SellingPartnerID string
	Renewed                     bool
}

// pages are the refusal pages by reason. None names a token, state or
// code: the seller can forward the page to the operator as it is.
var pages = map[string]page{
	ReasonNotFound: {Status: http.StatusNotFound, Title: "Not found",
		Message: "This address is not part of the authorization flow."},
	ReasonInvitationUnknown: {Status: http.StatusNotFound, Title: "This invitation link is not valid",
		Message: "The link is incomplete or was never issued.",
		Next:    "Check that you opened the whole link, or ask the operator for a new invitation."},
	ReasonInvitationExpired: {Status: http.StatusGone, Title: "This invitation has expired",
		Message: "Invitations are valid for a limited time and this one has run out.",
		Next:    "Ask the operator for a new invitation."},
	ReasonInvitationUsed: {Status: http.StatusGone, Title: "This invitation has already been used",
		Message: "An invitation authorizes one seller once, and it has been completed already.",
		Next:    "If you need to authorize again, ask the operator for a new invitation."},
	ReasonStateMissing: {Status: http.StatusBadRequest, Title: "Authorization not recognised",
		Message: "Amazon's answer did not carry the authorization request it belongs to.",
		Next:    "Start again from your invitation link."},
	ReasonStateUnknown: {Status: http.StatusBadRequest, Title: "Authorization not recognised",
		Message: "This answer does not belong to an authorization started here.",
		Next:    "Start again from your invitation link."},
	ReasonStateReplayed: {Status: http.StatusBadRequest, Title: "Authorization already completed",
		Message: "This authorization answer has been used already; it works once.",
		Next:    "If the authorization did not finish, start again from your invitation link."},
	ReasonStateExpired: {Status: http.StatusBadRequest, Title: "Authorization took too long",
		Message: "The authorization was started more than 15 minutes ago.",
		Next:    "Start again from your invitation link."},
	ReasonCookieMissing: {Status: http.StatusForbidden, Title: "Open the link in the same browser",
		Message: "This authorization was started in another browser (or its cookies were cleared).",
		Next:    "Open your invitation link again in this browser and authorize from there."},
	ReasonCookieMismatch: {Status: http.StatusForbidden, Title: "Open the link in the same browser",
		Message: "This authorization was started in another browser window or session.",
		Next:    "Open your invitation link again in this browser and authorize from there."},
	ReasonConsentDenied: {Status: http.StatusOK, Title: "Authorization cancelled",
		Message: "You did not authorize the application. Nothing was stored.",
		Next:    "If this was a mistake, open your invitation link again."},
	ReasonAmazonError: {Status: http.StatusBadRequest, Title: "Amazon did not authorize the application",
		Message: "Seller Central returned an error instead of an authorization. Nothing was stored.",
		Next:    "Open your invitation link again; if it happens again, tell the operator."},
	ReasonBadCallback: {Status: http.StatusBadRequest, Title: "Incomplete answer from Amazon",
		Message: "Amazon's answer lacked the seller or the authorization code. Nothing was stored.",
		Next:    "Open your invitation link again."},
	ReasonCodeRefused: {Status: http.StatusBadRequest, Title: "Amazon refused the authorization code",
		Message: "The code Amazon issued has expired (it lasts 5 minutes) or was used already. Nothing was stored.",
		Next:    "Open your invitation link again and complete the authorization without waiting."},
	ReasonExchangeFailed: {Status: http.StatusBadGateway, Title: "Could not reach Amazon",
		Message: "Exchanging the authorization code with Amazon failed. Nothing was stored.",
		Next:    "Open your invitation link again in a few minutes; if it persists, tell the operator."},
	ReasonWrongSeller: {Status: http.StatusForbidden, Title: "Signed in as another seller",
		Message: "This invitation renews the authorization of another seller account than the one you authorized with. Nothing was stored.",
		Next:    "Sign in to Seller Central as the seller the invitation is for, then open the link again."},
	ReasonSellerUnverified: {Status: http.StatusBadGateway, Title: "Could not confirm the seller",
		Message: "Amazon did not answer the check that the authorization is this account's seller's. Nothing was stored.",
		Next:    "Open the link again in a few minutes; if it persists, tell the operator."},
	ReasonSellerHasAccount: {Status: http.StatusConflict, Title: "This seller is connected already",
		Message: "The seller you authorized with already has an account here; a second one would split its rate limits. Nothing was stored.",
		Next:    "Ask the operator for a re-authorization invitation of your existing account instead."},
	ReasonUnknownSeller: {Status: http.StatusForbidden, Title: "Ask for an invitation",
		Message: "This service does not know your seller account yet. Nothing was stored.",
		Next:    "Ask the operator for an invitation link, open it, and authorize from there."},
	ReasonBadLoginRequest: {Status: http.StatusBadRequest, Title: "Incomplete request from Seller Central",
		Message: "The request lacked the Seller Central parameters this page needs. Nothing was stored.",
		Next:    "Start again from Seller Central, or ask the operator for an invitation."},
	ReasonInvitationMismatch: {Status: http.StatusBadRequest, Title: "This invitation is for another region",
		Message: "Your invitation is for a marketplace in another Amazon region than the Seller Central you came from. Nothing was stored.",
		Next:    "Open the invitation link itself, or ask the operator for an invitation for this region."},
	ReasonInternal: {Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "The service could not complete this step. Nothing was stored.",
		Next:    "Try again in a few minutes; if it persists, tell the operator."},
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}.ref{color:#666;font-size:.9em}</style>
</head>
<body>
<h1 id="title">{{.Title}}</h1>
<p id="message">{{.Message}}</p>
{{- if .AccountID}}
<dl>
<dt>Account</dt><dd id="account">{{.AccountID}}</dd>
<dt>Seller (selling partner id)</dt><dd id="seller">{{.SellingPartnerID}}</dd>
</dl>
{{- end}}
{{- if .Next}}
<p id="next">{{.Next}}</p>
{{- end}}
{{- if .Reason}}
<p class="ref">Reference for the operator: <code id="reason">{{.Reason}}</code></p>
{{- end}}
</body>
</html>
`))

// refusalPage returns the page of a refusal reason.
func refusalPage(reason string) page {
	p, ok := pages[reason]
	if !ok {
		p = pages[ReasonInternal]
	}
	p.Reason = reason
	return p
}

// successPage tells the seller the application is authorized.
func successPage(accountID, spid string, created bool) page {
	p := page{Status: http.StatusOK, AccountID: accountID, SellingPartnerID: spid, Renewed: !created}
	if created {
		p.Title = "Authorization complete"
		p.Message = "The application is authorized for your seller account. Synchronisation starts within a minute; you can close this page."
	} else {
		p.Title = "Authorization renewed"
		p.Message = "The application's authorization for your seller account is renewed. Synchronisation continues where it stopped; you can close this page."
	}
	return p
}

// render writes p; the security headers are set by the handler already.
func render(w http.ResponseWriter, p page) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(p.Status)
	_, _ = w.Write(buf.Bytes())
}
