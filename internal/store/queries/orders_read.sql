-- name: GetOrdersFulfillment :many
-- GetOrdersFulfillment reads the fulfillment-derived columns of stored
-- orders, for 2026-01-01 answers that came without their fulfillment
-- dataset.
SELECT amazon_order_id, order_status, fulfillment_channel, shipment_service_level_category,
       earliest_ship_date, latest_ship_date, earliest_delivery_date, latest_delivery_date
FROM orders
WHERE account_id = @account_id AND amazon_order_id = ANY(@amazon_order_ids::text[]);

-- name: LatestOrderID :one
-- The account's most recently updated order (orders_last_update_date_idx).
SELECT amazon_order_id FROM orders
WHERE account_id = @account_id
ORDER BY last_update_date DESC
LIMIT 1;
