// Package appqueue consumes the application queue: the SQS queue registered
// in the Developer Console (Notification preferences) to which Amazon sends
// APPLICATION_OAUTH_CLIENT_NEW_SECRET and
// APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY (SPSYNC_APP_SQS_QUEUE_URL).
//
// A NEW_SECRET message carries the application's new LWA client secret in
// plaintext, and is its only copy: it is stored sealed
// (accounts.StoreNewSecret) in a transaction, and the message is deleted
// only after that transaction commits. A consumer killed between the two
// leaves the message to come back; its second storing is a no-op
// (notification_id is unique). An EXPIRY message records the primary
// secret's expiry (accounts.RecordExpiry). A notification for a client id
// spsync does not know, or an older NEW_SECRET arriving after a newer one,
// is deleted and counted as ignored.
//
// The application queue may be the push queue: messages are told apart by
// their notificationType (camelCase envelope, unlike ORDER_CHANGE's).
// Messages of other types are left alone, never deleted; Handle is what
// the push consumer calls for a message it does not know, so one reader of
// the shared queue handles both kinds.
//
// A worker older than this package leaves a NEW_SECRET it does not know
// for the queue's redrive policy: RecoverDeadLetters finds such messages in
// the dead-letter queue, stores them and deletes them once stored.
package appqueue
