// Package rotation rotates the applications' LWA client secrets before they
// expire (README "Credentials").
//
// Amazon makes every application rotate its client secret every 180 days
// and keeps the old one working for 7 days after a rotation. A periodic
// check (CheckArgs, every CheckEvery on the real clock) reads the stored
// applications and secrets and, for each application whose primary
// secret's known expiry is nearer than RotateBefore on the credential
// clock, inserts one unique RotateArgs. The rotation job locks the
// application's row, decides again (Decide), and calls
// rotateApplicationClientSecret with a grantless token of a secret that
// still works. Amazon answers 204 without the secret: it arrives as an
// APPLICATION_OAUTH_CLIENT_NEW_SECRET notification on the application queue
// (internal/appqueue), which stores it as pending and resets the attempts.
//
// If no new secret arrives within RetryAfter, the job rotates again, at
// most MaxAttempts times per expiring secret; then it gives up loudly: the
// queue spsync reads is probably not the one registered in the Developer
// Console. Amazon's 400 "not enrolled" (no queue registered) is recorded
// and never retried.
//
// No secret value appears in job args, errors or logs: args carry the
// client id only, errors are scrubbed of the secrets the job opened.
package rotation
