-- Invitations and authorization flows of the website authorization
-- workflow (migration 00024). Tokens, states and cookies are looked up by
-- their SHA-256 only: the values themselves never reach the database.

-- name: InsertOAuthInvitation :one
INSERT INTO oauth_invitations (token_hash, region, marketplace_ids, account_id, reauth_account_id, created_at, expires_at)
VALUES (@token_hash, @region, @marketplace_ids, @account_id, @reauth_account_id, @created_at, @expires_at)
RETURNING *;

-- name: GetOAuthInvitationByTokenHash :one
SELECT * FROM oauth_invitations WHERE token_hash = @token_hash;

-- name: GetOAuthInvitationByTokenHashForUpdate :one
SELECT * FROM oauth_invitations WHERE token_hash = @token_hash FOR UPDATE;

-- name: GetOAuthInvitation :one
SELECT * FROM oauth_invitations WHERE id = @id;

-- name: GetOAuthInvitationForUpdate :one
SELECT * FROM oauth_invitations WHERE id = @id FOR UPDATE;

-- name: MarkOAuthInvitationUsed :execrows
-- Once only: a second use of the invitation changes nothing.
UPDATE oauth_invitations SET used_at = @used_at, used_by_selling_partner_id = @selling_partner_id
WHERE id = @id AND used_at IS NULL;

-- name: InsertOAuthFlow :exec
INSERT INTO oauth_flows (state_hash, cookie_hash, invitation_id, account_id, region, kind, redirect_uri, created_at, expires_at)
VALUES (@state_hash, @cookie_hash, @invitation_id, @account_id, @region, @kind, @redirect_uri, @created_at, @expires_at);

-- name: GetOAuthFlowForUpdate :one
SELECT * FROM oauth_flows WHERE state_hash = @state_hash FOR UPDATE;

-- name: ConsumeOAuthFlow :exec
UPDATE oauth_flows SET consumed_at = @consumed_at WHERE state_hash = @state_hash AND consumed_at IS NULL;

-- name: AccountsBySellingPartner :many
-- The accounts not removed of a seller in a region. Two authorizations of
-- one seller serialise on LockSellingPartner's advisory lock, not here (a
-- row lock would miss the account neither has inserted yet).
SELECT id, marketplace_ids, state FROM accounts
WHERE selling_partner_id = @selling_partner_id AND region = @region AND state <> 'removed'
ORDER BY id;
