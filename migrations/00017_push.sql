-- +goose Up
-- Push notifications (SP-API ORDER_CHANGE and FULFILLMENT_ORDER_STATUS
-- through SQS, internal/push). The consumer turns each notification into the
-- entity's refresh job and, in the same transaction, records a receipt, so
-- the polls, now the safety net, can tell which changes no notification
-- announced: `worker status` shows that count per stream as the health of the
-- push path.

CREATE TABLE push_receipts (
    account_id           text        NOT NULL,
    stream               text        NOT NULL CHECK (stream IN ('orders', 'fulfillment_orders')),
    entity_id            text        NOT NULL,
    last_notification_id text,
    last_change_time     timestamptz,
    last_received_at     timestamptz,
    notifications        bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, stream, entity_id)
);
COMMENT ON TABLE push_receipts IS 'One row per entity a push notification announced (or the safety-net poll found unannounced): what the polls compare their changes with.';
COMMENT ON COLUMN push_receipts.entity_id IS 'AmazonOrderId (orders) or SellerFulfillmentOrderId (fulfillment_orders).';
COMMENT ON COLUMN push_receipts.last_notification_id IS 'NotificationMetadata.NotificationId of the notification with the greatest change time; NULL when only the safety-net poll has seen the entity.';
COMMENT ON COLUMN push_receipts.last_change_time IS 'The greatest change time announced: OrderChangeTrigger.TimeOfOrderChange or FulfillmentOrderStatusNotification.StatusUpdatedDateTime (or, for a row the safety net wrote, the change it found). Notifications arrive out of order; it never moves back.';
COMMENT ON COLUMN push_receipts.last_received_at IS 'When the consumer last received a notification for the entity (NULL: none yet).';
COMMENT ON COLUMN push_receipts.notifications IS 'Notifications received for the entity, duplicates included (0: only the safety-net poll saw it).';

CREATE TABLE push_streams (
    account_id             text        NOT NULL,
    stream                 text        NOT NULL CHECK (stream IN ('orders', 'fulfillment_orders')),
    last_received_at       timestamptz,
    notifications          bigint      NOT NULL DEFAULT 0,
    safety_net_unannounced bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, stream)
);
COMMENT ON TABLE push_streams IS 'Per account and stream, the health of the push path for worker status and /metrics.';
COMMENT ON COLUMN push_streams.last_received_at IS 'When the last notification of the stream was received (NULL: none yet).';
COMMENT ON COLUMN push_streams.notifications IS 'Notifications received, duplicates included.';
COMMENT ON COLUMN push_streams.safety_net_unannounced IS 'Changes the safety-net poll wrote that no notification had announced (within a second of their change time): notifications lost, late, or not subscribed.';

-- +goose Down
DROP TABLE push_streams;
DROP TABLE push_receipts;
