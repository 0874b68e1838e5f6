-- +goose Up
-- Sellers onboard through Amazon's website authorization workflow (issue
-- "Onboard sellers through Amazon's authorization flow"): an operator's
-- invitation link starts a flow, Seller Central sends the seller back with a
-- code, and spsync stores the account with its refresh token sealed. Only
-- SHA-256 hashes of invitation tokens, states and cookies are kept: a copy of
-- these tables cannot start or finish an authorization.

CREATE TABLE oauth_invitations (
    id                          bigserial   PRIMARY KEY,
    token_hash                  bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    region                      text        NOT NULL CHECK (region IN ('na', 'eu', 'fe')),
    marketplace_ids             text[]      NOT NULL CHECK (cardinality(marketplace_ids) > 0),
    account_id                  text,
    reauth_account_id           text        REFERENCES accounts (id),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    expires_at                  timestamptz NOT NULL,
    used_at                     timestamptz,
    used_by_selling_partner_id  text,
    CHECK (account_id IS NULL OR reauth_account_id IS NULL),
    CHECK ((used_at IS NULL) = (used_by_selling_partner_id IS NULL))
);

CREATE INDEX oauth_invitations_reauth_account ON oauth_invitations (reauth_account_id) WHERE reauth_account_id IS NOT NULL;

COMMENT ON TABLE oauth_invitations IS 'Invitation links (`worker accounts invite`) a seller opens to authorize spsync: each is used once, before it expires.';
COMMENT ON COLUMN oauth_invitations.token_hash IS 'SHA-256 of the token in the link ({SPSYNC_OAUTH_BASE_URL}/oauth/invite/{token}); the token itself is never stored.';
COMMENT ON COLUMN oauth_invitations.region IS 'The SP-API region of the account to create or re-authorize: na, eu or fe.';
COMMENT ON COLUMN oauth_invitations.marketplace_ids IS 'Marketplaces the account syncs; the first one''s Seller Central asks the seller for consent.';
COMMENT ON COLUMN oauth_invitations.account_id IS 'Id of the account to create; NULL: the lower-case selling partner id, "-", the region.';
COMMENT ON COLUMN oauth_invitations.reauth_account_id IS 'Set for a re-authorization of this existing account: only its seller may use the invitation.';
COMMENT ON COLUMN oauth_invitations.expires_at IS 'After this the link is refused (SPSYNC_OAUTH_INVITATION_TTL or --expires; 7 days by default).';
COMMENT ON COLUMN oauth_invitations.used_at IS 'When a seller completed the authorization with it; a used invitation is refused.';
COMMENT ON COLUMN oauth_invitations.used_by_selling_partner_id IS 'The selling partner id (merchant token) Amazon returned for the seller who used it.';

CREATE TABLE oauth_flows (
    state_hash    bytea       PRIMARY KEY CHECK (octet_length(state_hash) = 32),
    cookie_hash   bytea       NOT NULL CHECK (octet_length(cookie_hash) = 32),
    invitation_id bigint      REFERENCES oauth_invitations (id),
    account_id    text        REFERENCES accounts (id),
    region        text        NOT NULL CHECK (region IN ('na', 'eu', 'fe')),
    kind          text        NOT NULL CHECK (kind IN ('invitation', 'login')),
    redirect_uri  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    consumed_at   timestamptz,
    CHECK (invitation_id IS NOT NULL OR account_id IS NOT NULL)
);

CREATE INDEX oauth_flows_invitation ON oauth_flows (invitation_id) WHERE invitation_id IS NOT NULL;
CREATE INDEX oauth_flows_expires ON oauth_flows (expires_at);

COMMENT ON TABLE oauth_flows IS 'Authorizations in progress: one row per trip to Seller Central''s consent page, consumed once by /oauth/callback.';
COMMENT ON COLUMN oauth_flows.state_hash IS 'SHA-256 of the state parameter sent to Seller Central and returned to /oauth/callback; the state itself is never stored.';
COMMENT ON COLUMN oauth_flows.cookie_hash IS 'SHA-256 of the spsync_oauth cookie set in the browser that started the flow: a callback from another browser is refused.';
COMMENT ON COLUMN oauth_flows.invitation_id IS 'The invitation the flow uses; NULL for a Login-URI renewal of account_id.';
COMMENT ON COLUMN oauth_flows.account_id IS 'The existing account a Login-URI renewal (kind login) re-authorizes.';
COMMENT ON COLUMN oauth_flows.kind IS 'invitation (started by an invitation link) or login (started by Seller Central at the Login URI).';
COMMENT ON COLUMN oauth_flows.redirect_uri IS 'The redirect_uri sent to Seller Central; the code exchange must repeat it.';
COMMENT ON COLUMN oauth_flows.expires_at IS 'After this (15 minutes) the callback is refused.';
COMMENT ON COLUMN oauth_flows.consumed_at IS 'When a callback took the flow; a second callback with the same state is refused.';

ALTER TABLE accounts ADD COLUMN last_authorized_at timestamptz;
CREATE INDEX accounts_selling_partner ON accounts (selling_partner_id, region) WHERE selling_partner_id IS NOT NULL;

COMMENT ON COLUMN accounts.last_authorized_at IS 'When spsync last received a refresh token for the account: from the seller''s authorization (OAuth) or `worker accounts set-refresh-token`. NULL for an account declared with its token (environment, accounts file, worker accounts add). Amazon ends an authorization after 365 days unless the seller renews it.';

-- +goose Down
DROP INDEX accounts_selling_partner;
ALTER TABLE accounts DROP COLUMN last_authorized_at;
DROP TABLE oauth_flows;
DROP TABLE oauth_invitations;
