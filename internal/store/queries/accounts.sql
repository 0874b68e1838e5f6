-- name: ListAccounts :many
SELECT * FROM accounts ORDER BY id;

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = @id;

-- name: GetAccountForUpdate :one
SELECT * FROM accounts WHERE id = @id FOR UPDATE;

-- name: InsertAccount :exec
INSERT INTO accounts (id, region, marketplace_ids, selling_partner_id, client_id, orders_api,
                      state, refresh_token_sealed, refresh_token_set_at, declared_by)
VALUES (@id, @region, @marketplace_ids, @selling_partner_id, @client_id, @orders_api,
        'active', @refresh_token_sealed, CASE WHEN @refresh_token_sealed::text IS NULL THEN NULL ELSE now() END, @declared_by);

-- name: UpdateAccountDeclaration :execrows
UPDATE accounts
SET region = @region, marketplace_ids = @marketplace_ids, selling_partner_id = @selling_partner_id,
    client_id = @client_id, orders_api = @orders_api, updated_at = now()
WHERE id = @id
  AND (region, marketplace_ids, coalesce(selling_partner_id, ''), client_id, orders_api)
      IS DISTINCT FROM (@region, @marketplace_ids, coalesce(@selling_partner_id, ''), @client_id, @orders_api);

-- name: SetAccountState :execrows
UPDATE accounts
SET state = @state, state_reason = @state_reason, state_changed_at = now(), updated_at = now()
WHERE id = @id AND state = ANY(@from_states::text[]);

-- name: SetAccountRefreshToken :execrows
UPDATE accounts
SET refresh_token_sealed = @refresh_token_sealed, refresh_token_set_at = now(), updated_at = now()
WHERE id = @id;

-- name: AccountsVersion :one
-- A fingerprint of the accounts, applications and secrets tables, every
-- column included: workers reload only when it changes. (Timestamps alone
-- miss a state change made at the same instant, e.g. on a test clock.)
SELECT md5(
    coalesce((SELECT string_agg(a::text, ',' ORDER BY a.id) FROM accounts a), '') || '/' ||
    coalesce((SELECT string_agg(p::text, ',' ORDER BY p.client_id) FROM applications p), '') || '/' ||
    coalesce((SELECT string_agg(s::text, ',' ORDER BY s.id) FROM application_secrets s), ''))::text AS version;

-- name: EnsureApplication :exec
INSERT INTO applications (client_id) VALUES (@client_id) ON CONFLICT (client_id) DO NOTHING;

-- name: ListApplications :many
SELECT * FROM applications ORDER BY client_id;

-- name: GetApplicationForUpdate :one
SELECT * FROM applications WHERE client_id = @client_id FOR UPDATE;

-- name: UpdateApplicationRotation :exec
UPDATE applications
SET rotation_attempts = @rotation_attempts, rotation_requested_at = @rotation_requested_at,
    rotation_gave_up_at = @rotation_gave_up_at, not_enrolled_at = @not_enrolled_at,
    last_rotation_error = @last_rotation_error, updated_at = now()
WHERE client_id = @client_id;

-- name: SetApplicationAllRefused :exec
UPDATE applications SET all_refused_at = @all_refused_at, updated_at = now()
WHERE client_id = @client_id AND all_refused_at IS DISTINCT FROM @all_refused_at;

-- name: ListApplicationSecrets :many
SELECT * FROM application_secrets ORDER BY client_id, id;

-- name: ListSecretsOfApplication :many
SELECT * FROM application_secrets WHERE client_id = @client_id ORDER BY id FOR UPDATE;

-- name: InsertApplicationSecret :one
INSERT INTO application_secrets (client_id, secret_sealed, state, expires_at, expiry_source, source, notification_id, received_at)
VALUES (@client_id, @secret_sealed, @state, @expires_at, @expiry_source, @source, @notification_id, @received_at)
ON CONFLICT (notification_id) DO NOTHING
RETURNING id;

-- name: SetSecretState :exec
UPDATE application_secrets
SET state = @state, retired_at = CASE WHEN @state = 'retired' THEN coalesce(retired_at, @at) ELSE NULL END
WHERE id = @id;

-- name: SetSecretExpiry :exec
UPDATE application_secrets SET expires_at = @expires_at, expiry_source = @expiry_source WHERE id = @id;

-- name: MarkSecretAccepted :exec
UPDATE application_secrets SET accepted_at = @at WHERE id = @id;

-- name: MarkSecretRefused :exec
UPDATE application_secrets SET refused_at = @at, refusals = refusals + 1 WHERE id = @id;

-- name: ResealSecret :exec
UPDATE application_secrets SET secret_sealed = @secret_sealed WHERE id = @id;

-- name: ResealRefreshToken :exec
UPDATE accounts SET refresh_token_sealed = @refresh_token_sealed WHERE id = @id;

-- name: SetAccountLastAuthorized :execrows
UPDATE accounts SET last_authorized_at = @last_authorized_at, updated_at = now() WHERE id = @id;
