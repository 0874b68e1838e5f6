-- +goose Up
-- walk_progress is where every page walk stands: the polls of orders,
-- fulfillment orders and service jobs, and every backfill window. Each page
-- commits its rows, its follow-up jobs and this row in one transaction, so a
-- walk that is killed, snoozed or retried resumes at the page after the last
-- committed one, and a walk whose last page committed (row deleted, cursor
-- moved or window marked done in that same transaction) is never fetched
-- again. It replaces orders_poll_progress, fulfillment_poll_progress,
-- service_jobs_poll_progress and backfill_windows.next_token, which held the
-- same state four ways.
CREATE TABLE walk_progress (
    account_id   text        NOT NULL,
    stream       text        NOT NULL,
    walk         text        NOT NULL,
    window_from  timestamptz NOT NULL,
    window_to    timestamptz,
    started_at   timestamptz NOT NULL,
    next_token   text        NOT NULL,
    high_water   timestamptz,
    pages        integer     NOT NULL CHECK (pages > 0),
    rows_written bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, stream, walk)
);

COMMENT ON TABLE walk_progress IS 'Worker state: page walks (polls and backfill windows) that have committed some pages but not their last, with the paging token of the next page. Empty when no walk is half done.';
COMMENT ON COLUMN walk_progress.account_id IS 'The spsync account walked.';
COMMENT ON COLUMN walk_progress.stream IS 'The stream: orders, fulfillment_orders or service_jobs.';
COMMENT ON COLUMN walk_progress.walk IS 'Which walk of the stream: poll:<marketplace scope> for a poll, backfill:<backfill id>:<window start, unix seconds> for a backfill window.';
COMMENT ON COLUMN walk_progress.window_from IS 'Start of the window the walk lists (LastUpdatedAfter, queryStartDate or the window''s creation start).';
COMMENT ON COLUMN walk_progress.window_to IS 'End of the window when known (the end Amazon reported or the request''s end); NULL for fulfillment orders, which have none.';
COMMENT ON COLUMN walk_progress.started_at IS 'When the walk fetched its first page.';
COMMENT ON COLUMN walk_progress.next_token IS 'Paging token of the next page (NextToken, nextToken or pageToken). Amazon expires them: a walk whose token expired starts its window again, which loses nothing.';
COMMENT ON COLUMN walk_progress.high_water IS 'Greatest change time seen so far, for streams whose cursor goes there (fulfillment orders'' statusUpdatedDate).';
COMMENT ON COLUMN walk_progress.pages IS 'Pages committed so far.';
COMMENT ON COLUMN walk_progress.rows_written IS 'Rows inserted or changed by those pages.';
COMMENT ON COLUMN walk_progress.updated_at IS 'When the last page committed.';

INSERT INTO walk_progress (account_id, stream, walk, window_from, window_to, started_at, next_token, pages, rows_written, updated_at)
SELECT account_id, 'orders', 'poll:' || scope, last_updated_after, last_updated_before, updated_at, next_token, greatest(pages, 1), rows_written, updated_at
FROM orders_poll_progress;

INSERT INTO walk_progress (account_id, stream, walk, window_from, started_at, next_token, high_water, pages, rows_written, updated_at)
SELECT account_id, 'fulfillment_orders', 'poll:' || scope, query_start_date, started_at, next_token, max_status_updated_date, greatest(pages, 1), rows_written, updated_at
FROM fulfillment_poll_progress;

INSERT INTO walk_progress (account_id, stream, walk, window_from, window_to, started_at, next_token, pages, rows_written, updated_at)
SELECT account_id, 'service_jobs', 'poll:' || scope, last_updated_after, last_updated_before, updated_at, page_token, greatest(pages, 1), rows_written, updated_at
FROM service_jobs_poll_progress;

-- Backfill streams get their one spelling (the cursors' and tables' own):
-- fulfillment-orders and service-jobs become fulfillment_orders and
-- service_jobs. The command line still accepts the old spellings.
ALTER TABLE backfills DROP CONSTRAINT backfills_stream_check;
UPDATE backfills SET stream = replace(stream, '-', '_') WHERE stream LIKE '%-%';
ALTER TABLE backfills ADD CONSTRAINT backfills_stream_check CHECK (stream IN ('orders', 'fulfillment_orders', 'service_jobs'));
COMMENT ON COLUMN backfills.stream IS 'orders (getOrders by CreatedAfter/CreatedBefore), service_jobs (getServiceJobs by createdAfter/createdBefore) or fulfillment_orders (listAllFulfillmentOrders from queryStartDate: one window, see from_time).';

INSERT INTO walk_progress (account_id, stream, walk, window_from, window_to, started_at, next_token, pages, rows_written, updated_at)
SELECT b.account_id, b.stream, 'backfill:' || b.id || ':' || extract(epoch FROM w.window_start)::bigint,
       w.window_start, w.window_end, b.updated_at, w.next_token, greatest(w.pages, 1), w.rows_written, b.updated_at
FROM backfill_windows w JOIN backfills b ON b.id = w.backfill_id
WHERE w.done_at IS NULL AND w.next_token <> '';

ALTER TABLE backfill_windows DROP COLUMN next_token;
COMMENT ON TABLE backfill_windows IS 'The windows of a backfill and their accounting: pages and rows committed, and done_at once the last page is committed (a done window is never fetched again). Where a half-done window resumes is in walk_progress.';

DROP TABLE orders_poll_progress;
DROP TABLE fulfillment_poll_progress;
DROP TABLE service_jobs_poll_progress;

-- +goose Down
-- In-flight walks are not carried back: their windows start again from the
-- cursor or the window start, which loses nothing.
CREATE TABLE orders_poll_progress (
    account_id          text        NOT NULL,
    scope               text        NOT NULL,
    last_updated_after  timestamptz NOT NULL,
    last_updated_before timestamptz NOT NULL,
    next_token          text        NOT NULL,
    pages               integer     NOT NULL DEFAULT 0,
    rows_written        bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);
CREATE TABLE fulfillment_poll_progress (
    account_id                  text        NOT NULL,
    scope                       text        NOT NULL,
    query_start_date            timestamptz NOT NULL,
    started_at                  timestamptz NOT NULL,
    next_token                  text        NOT NULL,
    max_status_updated_date     timestamptz,
    pages                       integer     NOT NULL DEFAULT 0,
    rows_written                bigint      NOT NULL DEFAULT 0,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);
CREATE TABLE service_jobs_poll_progress (
    account_id          text        NOT NULL,
    scope               text        NOT NULL,
    last_updated_after  timestamptz NOT NULL,
    last_updated_before timestamptz NOT NULL,
    page_token          text        NOT NULL,
    pages               integer     NOT NULL DEFAULT 0,
    rows_written        bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);
ALTER TABLE backfill_windows ADD COLUMN next_token text NOT NULL DEFAULT '';
ALTER TABLE backfills DROP CONSTRAINT backfills_stream_check;
UPDATE backfills SET stream = replace(stream, '_', '-') WHERE stream IN ('fulfillment_orders', 'service_jobs');
ALTER TABLE backfills ADD CONSTRAINT backfills_stream_check CHECK (stream IN ('orders', 'fulfillment-orders', 'service-jobs'));
DROP TABLE walk_progress;
