-- +goose Up
-- quarantined_records keeps the records of SP-API answers that cannot be
-- stored in their table because they lack a key the sync needs (an order
-- without AmazonOrderId or LastUpdateDate, a fulfillment order without
-- sellerFulfillmentOrderId, a service job without serviceJobId, ...). The
-- rest of the page is stored as usual and the quarantined record is written
-- in the same transaction, so nothing Amazon sent is lost silently and
-- operators can read what came. Poll windows overlap, so the same bad
-- record comes back again and again: it is one row per account, operation
-- and content (raw_hash), whose last_seen_at and times_seen move.
CREATE TABLE quarantined_records (
    account_id    text        NOT NULL,
    operation     text        NOT NULL,
    entity_id     text,
    reason        text        NOT NULL,
    raw           jsonb       NOT NULL,
    raw_hash      text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    times_seen    integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, operation, raw_hash)
);

CREATE INDEX quarantined_records_last_seen_at_idx ON quarantined_records (account_id, operation, last_seen_at);

COMMENT ON TABLE quarantined_records IS 'Records of SP-API answers that could not be stored in their table because a required key was missing (see reason), one row per account, operation and content. The rest of the answer was stored. Read them with SELECT account_id, operation, entity_id, reason, raw, first_seen_at, last_seen_at, times_seen FROM quarantined_records ORDER BY last_seen_at DESC. spsync never deletes them; delete rows you have dealt with.';
COMMENT ON COLUMN quarantined_records.account_id IS 'The spsync account (selling partner + application) whose answer held the record.';
COMMENT ON COLUMN quarantined_records.operation IS 'SP-API operation whose answer held the record, e.g. getOrders, listAllFulfillmentOrders, getServiceJobs.';
COMMENT ON COLUMN quarantined_records.entity_id IS 'The record''s identifier (AmazonOrderId, sellerFulfillmentOrderId, serviceJobId, ...) when it has a usable one; NULL when the identifier itself is what is missing.';
COMMENT ON COLUMN quarantined_records.reason IS 'Why the record could not be stored: the missing or undecodable required fields, by name (never their values).';
COMMENT ON COLUMN quarantined_records.raw IS 'The record as the SP-API returned it (jsonb). For service jobs, buyer name/phone and the address''s name, street lines and phone are removed unless the account opted in to storing PII, as in service_jobs.raw.';
COMMENT ON COLUMN quarantined_records.raw_hash IS 'sha256 (hex) of raw''s jsonb text: the same content seen again, in any key order or spacing, is the same row.';
COMMENT ON COLUMN quarantined_records.first_seen_at IS 'When an answer first held the record (database clock of the transaction that stored its page).';
COMMENT ON COLUMN quarantined_records.last_seen_at IS 'When an answer last held the record.';
COMMENT ON COLUMN quarantined_records.times_seen IS 'How many stored answers (pages, detail fetches) held the record.';

-- +goose Down
DROP TABLE quarantined_records;
