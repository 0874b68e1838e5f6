-- +goose Up
-- backfills tracks one `worker backfill` run: a span of history of one
-- stream of one account, split into windows by creation date. Each window
-- is a River job in the backfill queue; its progress is a backfill_windows
-- row that moves in the same transaction as the rows each page writes, so a
-- committed window is never fetched again and a half-done one resumes at
-- its saved page.
CREATE TABLE backfills (
    id             bigserial   PRIMARY KEY,
    account_id     text        NOT NULL,
    stream         text        NOT NULL CHECK (stream IN ('orders', 'fulfillment-orders', 'service-jobs')),
    from_time      timestamptz NOT NULL,
    to_time        timestamptz NOT NULL CHECK (to_time > from_time),
    window_seconds bigint      NOT NULL CHECK (window_seconds > 0),
    windows_total  integer     NOT NULL CHECK (windows_total > 0),
    windows_done   integer     NOT NULL DEFAULT 0,
    rows_written   bigint      NOT NULL DEFAULT 0,
    errors         integer     NOT NULL DEFAULT 0,
    last_error     text,
    state          text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);

CREATE INDEX backfills_running_idx ON backfills (account_id, stream) WHERE state = 'running';

CREATE TABLE backfill_windows (
    backfill_id  bigint      NOT NULL REFERENCES backfills (id) ON DELETE CASCADE,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL CHECK (window_end > window_start),
    next_token   text        NOT NULL DEFAULT '',
    pages        integer     NOT NULL DEFAULT 0,
    rows_written bigint      NOT NULL DEFAULT 0,
    done_at      timestamptz,
    PRIMARY KEY (backfill_id, window_start)
);

COMMENT ON TABLE backfills IS 'One `worker backfill` run: history of one stream of one account between from_time and to_time, in windows of window_seconds by creation date, each window a job in the River backfill queue. Progress (windows_done of windows_total, rows_written) moves in the transactions that write the rows.';
COMMENT ON COLUMN backfills.id IS 'Backfill id, as `worker backfill list` and `worker backfill cancel ID` show it.';
COMMENT ON COLUMN backfills.account_id IS 'The spsync account (selling partner + application) whose history is fetched.';
COMMENT ON COLUMN backfills.stream IS 'orders (getOrders by CreatedAfter/CreatedBefore), service-jobs (getServiceJobs by createdAfter/createdBefore) or fulfillment-orders (listAllFulfillmentOrders from queryStartDate: one window, see from_time).';
COMMENT ON COLUMN backfills.from_time IS 'Start of the history (inclusive), by creation date. For fulfillment-orders, the queryStartDate: every order whose status changed since then, up to the time of the request (the API has no end date).';
COMMENT ON COLUMN backfills.to_time IS 'End of the history (exclusive), by creation date. Not sent to Amazon for fulfillment-orders, which cannot bound the end.';
COMMENT ON COLUMN backfills.window_seconds IS 'Length of one window in seconds (the last window may be shorter).';
COMMENT ON COLUMN backfills.windows_total IS 'Number of windows (= backfill_windows rows = River jobs).';
COMMENT ON COLUMN backfills.windows_done IS 'Windows whose last page is committed.';
COMMENT ON COLUMN backfills.rows_written IS 'Rows inserted or changed by the backfill''s pages (parents only: orders, service jobs, fulfillment order headers; follow-ups such as order items are not counted).';
COMMENT ON COLUMN backfills.errors IS 'Failed window attempts (budget waits and throttles are normal operation and not counted).';
COMMENT ON COLUMN backfills.last_error IS 'The latest failed attempt''s error.';
COMMENT ON COLUMN backfills.state IS 'running, done (every window committed), cancelled (`worker backfill cancel`) or failed (a window failed for good).';
COMMENT ON COLUMN backfills.created_at IS 'When the backfill was started.';
COMMENT ON COLUMN backfills.updated_at IS 'Last progress or state change.';
COMMENT ON COLUMN backfills.finished_at IS 'When the backfill became done, cancelled or failed.';

COMMENT ON TABLE backfill_windows IS 'The windows of a backfill and where each stands: the next page token of a half-done window, or done_at once its last page is committed.';
COMMENT ON COLUMN backfill_windows.backfill_id IS 'The backfill (backfills.id).';
COMMENT ON COLUMN backfill_windows.window_start IS 'Start of the window (inclusive), by creation date.';
COMMENT ON COLUMN backfill_windows.window_end IS 'End of the window (exclusive), by creation date.';
COMMENT ON COLUMN backfill_windows.next_token IS 'Paging token of the next page while the window is half done; empty before the first page and once done.';
COMMENT ON COLUMN backfill_windows.pages IS 'Pages committed.';
COMMENT ON COLUMN backfill_windows.rows_written IS 'Rows inserted or changed by the window''s pages.';
COMMENT ON COLUMN backfill_windows.done_at IS 'When the window''s last page was committed; the window is never fetched again.';

-- +goose Down
DROP TABLE backfill_windows;
DROP TABLE backfills;
