-- +goose Up
-- Follow-up jobs (a refresh per push notification, say) that find their
-- bucket empty used to snooze until the next token and then race for it:
-- whichever woke first won, so with a hundred waiting, some waited far
-- longer than the line ahead of them (measured: 9.5 minutes where getOrder's
-- 0.5/s served the line in 5). A job that waits now takes its place in
-- line: the bucket goes into debt by its token (rate_budgets.tokens below
-- zero) and the job is told when that token will have refilled; it snoozes
-- until then and spends the token it holds, without asking again. Later
-- jobs queue behind it, so the line is served in the order it formed.
CREATE TABLE rate_reservations (
    account_id text        NOT NULL,
    region     text        NOT NULL,
    operation  text        NOT NULL,
    holder     text        NOT NULL,
    due_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, region, operation, holder),
    FOREIGN KEY (account_id, region, operation) REFERENCES rate_budgets (account_id, region, operation) ON DELETE CASCADE
);

COMMENT ON TABLE rate_reservations IS 'Tokens of rate_budgets already taken by callers waiting in line (River follow-up jobs), each spendable from due_at by its holder alone. A reservation whose holder never came back (a cancelled job) is dropped ten minutes after it was due; a 429 drops every reservation of its bucket.';
COMMENT ON COLUMN rate_reservations.account_id IS 'The bucket''s account (rate_budgets).';
COMMENT ON COLUMN rate_reservations.region IS 'The bucket''s SP-API region (rate_budgets).';
COMMENT ON COLUMN rate_reservations.operation IS 'The bucket''s SP-API operation (rate_budgets).';
COMMENT ON COLUMN rate_reservations.holder IS 'Who holds the token: a River job ("job 42"), the same across its snoozes.';
COMMENT ON COLUMN rate_reservations.due_at IS 'When the token has refilled (the bucket''s debt repaid up to it), on the database clock: the holder spends it from then on.';

-- +goose Down
DROP TABLE rate_reservations;
