// Package accounts keeps selling accounts and their credentials as data:
// the accounts, applications and application_secrets tables (migration
// 00022), secrets sealed with internal/secretbox.
//
// Declarations (the accounts file, LWA_*/SPAPI_* variables) are applied at
// start by Declare; operators change accounts while workers run with
// `worker accounts` and `worker credentials` (Admin); every worker holds a
// Registry that reloads the tables every few seconds and gives each
// account's SP-API client a TokenSource that picks the application's
// working client secret and marks the account needs_reauth when LWA says
// its authorization ended.
//
// Without a secret key nothing is stored: the Registry serves the declared
// accounts from memory, as spsync did before accounts were data.
package accounts
