-- +goose Up
-- sync_version_seq numbers every content change in every synced table, so an
-- ERP can read all tables incrementally with one cursor:
--   SELECT ... FROM orders WHERE sync_version > $last ORDER BY sync_version.
CREATE SEQUENCE sync_version_seq;

-- sync_cursors holds each poller's high-water mark. It moves in the same
-- transaction as the rows the poll wrote, so a crash never skips data.
CREATE TABLE sync_cursors (
    account_id      text        NOT NULL,
    stream          text        NOT NULL,
    -- scope distinguishes cursors of one stream, e.g. a marketplace set.
    scope           text        NOT NULL DEFAULT '',
    cursor_at       timestamptz,
    last_run_at     timestamptz,
    last_success_at timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    rows_written    bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, stream, scope)
);

COMMENT ON TABLE sync_cursors IS 'Per account, stream and scope: the poll high-water mark (cursor_at) and the last outcome.';

-- +goose Down
DROP TABLE sync_cursors;
DROP SEQUENCE sync_version_seq;
