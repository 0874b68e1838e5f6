// Package push consumes SP-API notifications (today ORDER_CHANGE and
// FULFILLMENT_ORDER_STATUS) from an SQS queue and turns each into the job
// that fetches the entity's authoritative state, unique while active, so a
// burst of notifications for one order costs one fetch. The notification's
// summary is never stored: deliveries are duplicated, late and out of
// order, and the refresh reads Amazon's current state, which a stale
// notification cannot move backwards.
//
// Push knows streams only through the registry (ConsumerConfig.Streams):
// each stream's jobs.PushSource names the notification types it consumes,
// reads their payloads, and gives the refresh job and the poll that absorbs
// shed notifications. Push owns the envelope, routing to accounts, the
// receipts, shedding and the metrics; it imports no stream package, so a
// stream that declares a PushSource is pushed to with no change here.
//
// The files follow the concerns: receive.go the receive loop (long poll,
// visibility heartbeat, deletes), message.go and route.go parsing and
// routing a batch, commit.go the batch's transaction, shed.go the backlog
// bound.
//
// # Delivery
//
// Consumer.Run long-polls the queue (20 s waits, up to 10 messages). For each
// batch it inserts the jobs and records the receipts (store.RecordPushReceipts)
// in one transaction, commits, and only then deletes the messages
// (DeleteMessageBatch). A crash between commit and delete redelivers the
// messages after their visibility timeout; their inserts are unique no-ops
// while the first refresh waits, or one more refresh if it already ran:
// nothing is lost, and a message is fetched at most twice. While a batch is
// being committed, a heartbeat extends its messages' visibility every half
// timeout, so a slow database does not hand them to a second consumer.
//
// A unique refresh that is already running may have read the entity before
// the change a new notification announces. When River reports the insert as
// a duplicate of a running job, the consumer schedules a follow-up refresh
// (Followup: true, part of the unique args) FollowupDelay later; a further
// notification while it is pending adds nothing.
//
// # Messages it does not understand
//
// A message that is not JSON, is of a type it does not handle, lacks its
// entity or seller, or names a SellerId no account is configured for, is
// logged (type, reason, message id: no payload values), counted in
// spsync_push_messages_total{outcome} and not deleted: after the queue's
// maxReceiveCount receives, its redrive policy moves it to the dead-letter
// queue, where an operator can read it. Configure the queue with a
// RedrivePolicy (for example maxReceiveCount 5 to a queue-name-dlq queue
// whose retention is 14 days); without one such messages come back until
// the queue's retention period drops them.
//
// # The safety net
//
// The receipts (push_receipts, push_streams) are what the polls, now the
// safety net, compare their changes with (store.CountUnannounced): a change a
// poll writes that no notification announced is counted per stream, the
// health signal `worker status` shows beside the last notification received.
package push
