-- +goose Up
-- Accounts and their credentials as data (issue "Credentials that keep
-- working for years"). Workers read these tables every few seconds, so an
-- account added, paused or re-authorized by `worker accounts` applies without
-- a restart. Secrets are sealed (internal/secretbox: AES-256-GCM, the key id
-- in the value, bound to table, owner and column): never plaintext here.

CREATE TABLE applications (
    client_id              text        PRIMARY KEY,
    rotation_attempts      integer     NOT NULL DEFAULT 0 CHECK (rotation_attempts >= 0),
    rotation_requested_at  timestamptz,
    rotation_gave_up_at    timestamptz,
    not_enrolled_at        timestamptz,
    last_rotation_error    text,
    all_refused_at         timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE applications IS 'SP-API applications (LWA clients) whose client secrets spsync keeps and rotates.';
COMMENT ON COLUMN applications.client_id IS 'The LWA client id (amzn1.application-oa2-client.…): not a secret.';
COMMENT ON COLUMN applications.rotation_attempts IS 'rotateApplicationClientSecret calls made for the secret now expiring without a NEW_SECRET arriving; at 2 spsync stops rotating and says the application queue may be the wrong one.';
COMMENT ON COLUMN applications.rotation_requested_at IS 'When spsync last called rotateApplicationClientSecret successfully.';
COMMENT ON COLUMN applications.rotation_gave_up_at IS 'Set when two rotations brought no NEW_SECRET: no third until a secret arrives or an operator acts.';
COMMENT ON COLUMN applications.not_enrolled_at IS 'Set when Amazon answered that no application queue is registered (Developer Console, Notification preferences).';
COMMENT ON COLUMN applications.last_rotation_error IS 'The last rotation failure, secrets removed.';
COMMENT ON COLUMN applications.all_refused_at IS 'Set while LWA refuses every known client secret (invalid_client): the application''s accounts wait.';

CREATE TABLE application_secrets (
    id                bigserial   PRIMARY KEY,
    client_id         text        NOT NULL REFERENCES applications (client_id),
    secret_sealed     text        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('pending', 'primary', 'fallback', 'retired')),
    expires_at        timestamptz,
    expiry_source     text        CHECK (expiry_source IN ('notification', 'new_secret', 'operator')),
    source            text        NOT NULL CHECK (source IN ('environment', 'accounts_file', 'operator', 'notification', 'dead_letter')),
    notification_id   text        UNIQUE,
    received_at       timestamptz NOT NULL DEFAULT now(),
    accepted_at       timestamptz,
    refused_at        timestamptz,
    refusals          integer     NOT NULL DEFAULT 0,
    retired_at        timestamptz
);

CREATE UNIQUE INDEX application_secrets_one_primary ON application_secrets (client_id) WHERE state = 'primary';
CREATE INDEX application_secrets_client ON application_secrets (client_id, state);

COMMENT ON TABLE application_secrets IS 'Every LWA client secret spsync knows per application, sealed, with its expiry and whether LWA accepted it.';
COMMENT ON COLUMN application_secrets.secret_sealed IS 'The secret sealed with SPSYNC_SECRET_KEY (sb1.<key id>.<nonce+ciphertext>), bound to application_secrets/<client_id>/client_secret.';
COMMENT ON COLUMN application_secrets.state IS 'pending (received, not yet accepted by LWA), primary (used first), fallback (tried when the primary is refused, until it expires), retired (expired or replaced: never used).';
COMMENT ON COLUMN application_secrets.expires_at IS 'When Amazon stops accepting the secret; NULL when unknown (no application queue and none declared).';
COMMENT ON COLUMN application_secrets.expiry_source IS 'Where expires_at came from: an EXPIRY notification, a NEW_SECRET notification, or an operator (set-secret --expires, LWA_CLIENT_SECRET_EXPIRES_AT).';
COMMENT ON COLUMN application_secrets.source IS 'How spsync got the secret.';
COMMENT ON COLUMN application_secrets.notification_id IS 'The NEW_SECRET notification that carried it: a redelivered message is stored once.';
COMMENT ON COLUMN application_secrets.accepted_at IS 'Last time LWA accepted the secret.';
COMMENT ON COLUMN application_secrets.refused_at IS 'Last time LWA refused it (invalid_client).';
COMMENT ON COLUMN application_secrets.refusals IS 'LWA refusals counted for the secret (a new secret is refused for its first ~30 minutes).';

CREATE TABLE accounts (
    id                    text        PRIMARY KEY,
    region                text        NOT NULL CHECK (region IN ('na', 'eu', 'fe')),
    marketplace_ids       text[]      NOT NULL CHECK (cardinality(marketplace_ids) > 0),
    selling_partner_id    text,
    client_id             text        NOT NULL REFERENCES applications (client_id),
    orders_api            text        NOT NULL CHECK (orders_api IN ('v0', '2026-01-01')),
    state                 text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'needs_reauth', 'removed')),
    state_reason          text,
    state_changed_at      timestamptz NOT NULL DEFAULT now(),
    refresh_token_sealed  text,
    refresh_token_set_at  timestamptz,
    declared_by           text        NOT NULL CHECK (declared_by IN ('environment', 'accounts_file', 'operator', 'oauth')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX accounts_state ON accounts (state);

COMMENT ON TABLE accounts IS 'Selling accounts spsync syncs: one row per seller and application. Rows of removed accounts stay, as do their synced rows.';
COMMENT ON COLUMN accounts.id IS 'The account id used in every synced table (account_id).';
COMMENT ON COLUMN accounts.marketplace_ids IS 'Marketplaces synced for the account.';
COMMENT ON COLUMN accounts.selling_partner_id IS 'The seller''s merchant token (SellerId in notifications).';
COMMENT ON COLUMN accounts.orders_api IS 'Orders API the account syncs through: v0 or 2026-01-01.';
COMMENT ON COLUMN accounts.state IS 'active, paused (by an operator), needs_reauth (LWA answered invalid_grant: the seller must authorize again) or removed.';
COMMENT ON COLUMN accounts.state_reason IS 'Why the state was set, secrets removed.';
COMMENT ON COLUMN accounts.refresh_token_sealed IS 'The seller''s LWA refresh token sealed with SPSYNC_SECRET_KEY, bound to accounts/<id>/refresh_token.';
COMMENT ON COLUMN accounts.declared_by IS 'Where the account was first declared: environment (LWA_*/SPAPI_*), accounts_file, operator (worker accounts add) or oauth.';

-- +goose Down
DROP TABLE accounts;
DROP TABLE application_secrets;
DROP TABLE applications;
