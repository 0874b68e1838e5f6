// Package oauth onboards sellers through Amazon's website authorization
// workflow (developer docs "Website authorization workflow" and "Selling
// Partner Appstore authorization workflow"), on a listener of its own so
// that only these paths are exposed publicly:
//
//   - GET /oauth/invite/{token}: an operator's invitation (`worker accounts
//     invite`) opened by the seller. spsync creates a flow (a state bound
//     to the invitation and to a cookie on this browser, stored in
//     Postgres so any worker can finish it) and sends the seller to Seller
//     Central's consent page.
//   - GET /oauth/callback: Amazon's redirect with the state, the selling
//     partner id and the authorization code. The flow is consumed once in
//     a transaction of its own, the code is exchanged at LWA within its
//     five minutes, and then one transaction creates or re-authorizes the
//     account with the refresh token sealed (internal/accounts) and marks
//     the invitation used.
//   - GET /oauth/login: the application's Login URI, where Amazon sends a
//     seller who starts from the Appstore or renews the yearly
//     authorization. An account of that selling partner in that region is
//     re-authorized; otherwise a browser that opened an invitation link
//     carries it in the spsync_invite cookie and completes that invitation;
//     anyone else is asked to request an invitation, and nothing is
//     written.
//
// The spsync_invite cookie holds the invitation token itself (HttpOnly,
// Secure, Path=/oauth/, expiring with the invitation): it is the secret the
// seller already holds in the link, so the cookie grants nothing the link
// does not, and no second secret has to be stored beside the invitation.
//
// Secrets never leave this package in clear: invitation tokens, states
// and cookie values are 32 random bytes of which only SHA-256 hashes are
// stored; codes and refresh tokens are never logged; every refusal logs
// one line with a reason code. Every response carries Referrer-Policy:
// no-referrer (the consent and callback URLs hold the state and code),
// Cache-Control: no-store and X-Frame-Options: DENY.
//
// Cancel on the consent page: Amazon does not document what it sends; the
// simulator follows OAuth 2.0 and redirects with error=access_denied,
// which this package shows as "consent denied".
package oauth
