-- +goose Up
-- permission_denials records the SP-API operations Amazon refuses an account
-- with a 403 that is not about the access token: the application lacks the
-- role, or the seller did not grant the API. A new token does not help and
-- neither does a retry; a person must change the authorization. The jobs that
-- hit it are cancelled (the polls try again on their schedule), the
-- account's other operations carry on, and `worker status` shows this table.
-- A row is deleted by the first successful answer of that operation.
CREATE TABLE permission_denials (
    account_id    text        NOT NULL,
    operation     text        NOT NULL,
    error         text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    times_seen    bigint      NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, operation)
);

COMMENT ON TABLE permission_denials IS 'SP-API operations refused to an account with a 403 that a new access token does not fix (a missing role or API grant), one row per account and operation, deleted by the operation''s next success.';
COMMENT ON COLUMN permission_denials.account_id IS 'The spsync account that was refused.';
COMMENT ON COLUMN permission_denials.operation IS 'The SP-API operation refused, e.g. getOrderItems.';
COMMENT ON COLUMN permission_denials.error IS 'Amazon''s error of the latest refusal (code, message, details, request id); never a credential.';
COMMENT ON COLUMN permission_denials.first_seen_at IS 'When the operation was first refused since its last success.';
COMMENT ON COLUMN permission_denials.last_seen_at IS 'When it was last refused.';
COMMENT ON COLUMN permission_denials.times_seen IS 'How many calls were refused since its last success.';

-- +goose Down
DROP TABLE permission_denials;
