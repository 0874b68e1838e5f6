-- Read-only queries for `worker status` and /metrics about accounts and
-- their credentials. They never select a sealed column: what operators see
-- cannot carry a secret, sealed or not.

-- name: StatusAccountStates :many
SELECT state, count(*)::bigint AS accounts FROM accounts GROUP BY state ORDER BY state;

-- name: StatusAccountsNotActive :many
SELECT id, client_id, state, state_changed_at, state_reason
FROM accounts WHERE state <> 'active' ORDER BY state, id;

-- name: StatusApplications :many
SELECT a.client_id, a.rotation_attempts, a.rotation_requested_at, a.rotation_gave_up_at, a.not_enrolled_at,
       a.last_rotation_error, a.all_refused_at,
       (SELECT count(*) FROM accounts c WHERE c.client_id = a.client_id AND c.state = 'active')::bigint AS active_accounts
FROM applications a ORDER BY a.client_id;

-- name: StatusApplicationSecrets :many
-- Every secret still in use (retired ones are never used again), without
-- its sealed value.
SELECT id, client_id, state, expires_at, expiry_source, source, received_at, accepted_at, refused_at, refusals
FROM application_secrets WHERE state <> 'retired' ORDER BY client_id, id;

-- name: StatusAccountAuthorizations :many
-- When each account's seller last authorized spsync (accounts not
-- removed), and whether the account is matched to a seller.
SELECT id, state, selling_partner_id, last_authorized_at
FROM accounts WHERE state <> 'removed' ORDER BY id;
