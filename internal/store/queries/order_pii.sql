-- name: CloseOrderPII :many
-- CloseOrderPII gives stored PII rows of orders seen closed in an answer that
-- carried no PII the earliest closed_at and its delete_after. Rows that
-- already have it are not touched; orders without a row get none. It returns
-- the orders whose row it changed.
UPDATE order_pii p SET
    closed_at    = LEAST(p.closed_at, c.closed_at),
    delete_after = LEAST(p.closed_at, c.closed_at) + @retention::interval,
    updated_at   = now()
FROM (SELECT unnest(@amazon_order_ids::text[]) AS amazon_order_id, unnest(@closed_ats::timestamptz[]) AS closed_at) AS c
WHERE p.account_id = @account_id::text
  AND p.amazon_order_id = c.amazon_order_id
  AND (p.closed_at, p.delete_after) IS DISTINCT FROM
      (LEAST(p.closed_at, c.closed_at), LEAST(p.closed_at, c.closed_at) + @retention::interval)
RETURNING p.amazon_order_id;

-- name: CloseOrderPIIFromOrders :execrows
-- CloseOrderPIIFromOrders dates the open PII rows whose order the orders
-- table shows closed (a status written by an Orders v0 poll, or a 2026 answer
-- that UpsertOrderPII did not see): closed_at is the order's
-- last_update_date, the best date of the close orders keeps.
UPDATE order_pii p SET
    closed_at    = o.last_update_date,
    delete_after = o.last_update_date + @retention::interval,
    updated_at   = now()
FROM orders o
WHERE p.delete_after IS NULL
  AND o.account_id = p.account_id
  AND o.amazon_order_id = p.amazon_order_id
  AND o.order_status IN ('Shipped', 'Canceled', 'Unfulfillable');

-- name: PurgeOrderPII :execrows
-- PurgeOrderPII deletes the PII rows due for deletion at now.
DELETE FROM order_pii WHERE delete_after <= @now::timestamptz;
