-- name: UpsertFinancialTransactions :many
-- UpsertFinancialTransactions writes a batch of financial transactions of
-- one account. A row whose raw payload is unchanged is not touched at all
-- (no new sync_version, no synced_at churn, no dead tuple): Amazon answers
-- every trailing re-read with the same bytes. It returns the rows it wrote
-- with their new sync_version and the status they had before (existed is
-- false for new transactions), so the caller replaces their items and
-- breakdowns and can tell a release. The batch must not repeat an id.
WITH input AS (
    SELECT
        (e->>'transaction_id')::text AS transaction_id,
        (e->>'transaction_type')::text AS transaction_type,
        (e->>'transaction_status')::text AS transaction_status,
        (e->>'description')::text AS description,
        (e->>'posted_date')::timestamptz AS posted_date,
        (e->>'total_amount')::numeric AS total_amount,
        (e->>'total_currency')::text AS total_currency,
        (e->>'marketplace_id')::text AS marketplace_id,
        (e->>'selling_partner_id')::text AS selling_partner_id,
        (e->>'account_type')::text AS account_type,
        (e->>'order_id')::text AS order_id,
        (e->>'shipment_id')::text AS shipment_id,
        (e->>'financial_event_group_id')::text AS financial_event_group_id,
        (e->>'settlement_id')::text AS settlement_id,
        (e->>'deferred_transaction_id')::text AS deferred_transaction_id,
        (e->>'release_transaction_id')::text AS release_transaction_id,
        NULLIF(e->'related_identifiers', 'null'::jsonb) AS related_identifiers,
        (e->>'deferral_reason')::text AS deferral_reason,
        (e->>'deferred_maturity_date')::timestamptz AS deferred_maturity_date,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), previous AS (
    SELECT t.transaction_id, t.transaction_status
    FROM financial_transactions t JOIN input i ON t.transaction_id = i.transaction_id
    WHERE t.account_id = @account_id::text
), written AS (
    INSERT INTO financial_transactions (account_id, transaction_id, transaction_type, transaction_status, description, posted_date, total_amount, total_currency, marketplace_id, selling_partner_id, account_type, order_id, shipment_id, financial_event_group_id, settlement_id, deferred_transaction_id, release_transaction_id, related_identifiers, deferral_reason, deferred_maturity_date, raw)
    SELECT @account_id::text, input.transaction_id, input.transaction_type, input.transaction_status, input.description, input.posted_date, input.total_amount, input.total_currency, input.marketplace_id, input.selling_partner_id, input.account_type, input.order_id, input.shipment_id, input.financial_event_group_id, input.settlement_id, input.deferred_transaction_id, input.release_transaction_id, input.related_identifiers, input.deferral_reason, input.deferred_maturity_date, input.raw
    FROM input
    ON CONFLICT (account_id, transaction_id) DO UPDATE SET
    transaction_type = EXCLUDED.transaction_type,
    transaction_status = EXCLUDED.transaction_status,
    description = EXCLUDED.description,
    posted_date = EXCLUDED.posted_date,
    total_amount = EXCLUDED.total_amount,
    total_currency = EXCLUDED.total_currency,
    marketplace_id = EXCLUDED.marketplace_id,
    selling_partner_id = EXCLUDED.selling_partner_id,
    account_type = EXCLUDED.account_type,
    order_id = EXCLUDED.order_id,
    shipment_id = EXCLUDED.shipment_id,
    financial_event_group_id = EXCLUDED.financial_event_group_id,
    settlement_id = EXCLUDED.settlement_id,
    deferred_transaction_id = EXCLUDED.deferred_transaction_id,
    release_transaction_id = EXCLUDED.release_transaction_id,
    related_identifiers = EXCLUDED.related_identifiers,
    deferral_reason = EXCLUDED.deferral_reason,
    deferred_maturity_date = EXCLUDED.deferred_maturity_date,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE financial_transactions.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING financial_transactions.transaction_id, financial_transactions.transaction_status, financial_transactions.sync_version
)
SELECT written.transaction_id, written.transaction_status, written.sync_version,
       previous.transaction_status AS previous_transaction_status,
       (previous.transaction_id IS NOT NULL)::boolean AS existed
FROM written LEFT JOIN previous ON previous.transaction_id = written.transaction_id;

-- name: ReplaceFinancialTransactionItems :one
-- ReplaceFinancialTransactionItems makes the stored items of the given
-- transactions of one account equal to the batch (rows of other
-- transactions in the batch are ignored): rows are upserted with their
-- transaction's current sync_version and the transactions' items missing
-- from the batch are deleted, in one statement. Call it for the
-- transactions UpsertFinancialTransactions wrote. The batch must not repeat
-- a (transaction id, item index) pair.
WITH input AS (
    SELECT
        (e->>'transaction_id')::text AS transaction_id,
        (e->>'item_index')::integer AS item_index,
        (e->>'description')::text AS description,
        (e->>'total_amount')::numeric AS total_amount,
        (e->>'total_currency')::text AS total_currency,
        (e->>'order_adjustment_item_id')::text AS order_adjustment_item_id,
        NULLIF(e->'related_identifiers', 'null'::jsonb) AS related_identifiers,
        (e->>'sku')::text AS sku,
        (e->>'asin')::text AS asin,
        (e->>'quantity_shipped')::integer AS quantity_shipped,
        (e->>'fulfillment_network')::text AS fulfillment_network,
        NULLIF(e->'contexts', 'null'::jsonb) AS contexts,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
    WHERE (e->>'transaction_id') = ANY(@transaction_ids::text[])
), deleted AS (
    DELETE FROM financial_transaction_items t
    WHERE t.account_id = @account_id::text
      AND t.transaction_id = ANY(@transaction_ids::text[])
      AND NOT EXISTS (
          SELECT 1 FROM input i
          WHERE i.transaction_id = t.transaction_id AND i.item_index = t.item_index)
    RETURNING 1
), written AS (
    INSERT INTO financial_transaction_items (account_id, transaction_id, item_index, description, total_amount, total_currency, order_adjustment_item_id, related_identifiers, sku, asin, quantity_shipped, fulfillment_network, contexts, raw, sync_version)
    SELECT @account_id::text, input.transaction_id, input.item_index, input.description, input.total_amount, input.total_currency, input.order_adjustment_item_id, input.related_identifiers, input.sku, input.asin, input.quantity_shipped, input.fulfillment_network, input.contexts, input.raw, p.sync_version
    FROM input JOIN financial_transactions p ON p.account_id = @account_id::text AND p.transaction_id = input.transaction_id
    ON CONFLICT (account_id, transaction_id, item_index) DO UPDATE SET
    description = EXCLUDED.description,
    total_amount = EXCLUDED.total_amount,
    total_currency = EXCLUDED.total_currency,
    order_adjustment_item_id = EXCLUDED.order_adjustment_item_id,
    related_identifiers = EXCLUDED.related_identifiers,
    sku = EXCLUDED.sku,
    asin = EXCLUDED.asin,
    quantity_shipped = EXCLUDED.quantity_shipped,
    fulfillment_network = EXCLUDED.fulfillment_network,
    contexts = EXCLUDED.contexts,
    raw = EXCLUDED.raw,
    sync_version = EXCLUDED.sync_version
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ReplaceFinancialTransactionBreakdowns :one
-- ReplaceFinancialTransactionBreakdowns is ReplaceFinancialTransactionItems
-- for the flattened breakdown trees, keyed by (transaction id, item index,
-- path). The batch must not repeat a key.
WITH input AS (
    SELECT
        (e->>'transaction_id')::text AS transaction_id,
        (e->>'item_index')::integer AS item_index,
        ARRAY(SELECT jsonb_array_elements_text(e->'path'))::text[] AS path,
        (e->>'depth')::integer AS depth,
        (e->>'breakdown_type')::text AS breakdown_type,
        (e->>'amount')::numeric AS amount,
        (e->>'currency')::text AS currency
    FROM jsonb_array_elements(@rows::jsonb) AS e
    WHERE (e->>'transaction_id') = ANY(@transaction_ids::text[])
), deleted AS (
    DELETE FROM financial_transaction_breakdowns t
    WHERE t.account_id = @account_id::text
      AND t.transaction_id = ANY(@transaction_ids::text[])
      AND NOT EXISTS (
          SELECT 1 FROM input i
          WHERE i.transaction_id = t.transaction_id AND i.item_index = t.item_index AND i.path = t.path)
    RETURNING 1
), written AS (
    INSERT INTO financial_transaction_breakdowns (account_id, transaction_id, item_index, path, depth, breakdown_type, amount, currency, sync_version)
    SELECT @account_id::text, input.transaction_id, input.item_index, input.path, input.depth, input.breakdown_type, input.amount, input.currency, p.sync_version
    FROM input JOIN financial_transactions p ON p.account_id = @account_id::text AND p.transaction_id = input.transaction_id
    ON CONFLICT (account_id, transaction_id, item_index, path) DO UPDATE SET
    depth = EXCLUDED.depth,
    breakdown_type = EXCLUDED.breakdown_type,
    amount = EXCLUDED.amount,
    currency = EXCLUDED.currency,
    sync_version = EXCLUDED.sync_version
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ListUnreleasedDeferredTransactions :many
-- ListUnreleasedDeferredTransactions returns the account's DEFERRED
-- transactions without a release transaction whose maturity date (their
-- posted date when they have none) lies in (@matured_after, @matured_by],
-- the longest matured first: what a poll without push re-reads by order
-- until Amazon releases them. The lower bound leaves out those given up on,
-- so however many there are they never crowd out newer ones.
SELECT transaction_id, order_id, posted_date, deferred_maturity_date, synced_at
FROM financial_transactions
WHERE account_id = @account_id::text
  AND transaction_status = 'DEFERRED' AND release_transaction_id IS NULL
  AND coalesce(deferred_maturity_date, posted_date) > @matured_after::timestamptz
  AND (deferred_maturity_date IS NULL OR deferred_maturity_date <= @matured_by::timestamptz)
ORDER BY deferred_maturity_date NULLS FIRST, transaction_id
LIMIT @max_rows::integer;
