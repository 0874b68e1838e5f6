-- name: UpsertOrders :many
-- UpsertOrders writes a batch of orders of one account. A row whose raw
-- payload is unchanged is not touched at all (no new sync_version, no
-- synced_at churn, no dead tuple). It returns the rows it wrote, with the
-- last_update_date they had before (NULL for new orders), so the caller can
-- queue item fetches for new orders and orders whose LastUpdateDate moved.
-- The batch must not repeat an order id.
WITH input AS (
    SELECT
        (e->>'amazon_order_id')::text AS amazon_order_id,
        (e->>'seller_order_id')::text AS seller_order_id,
        (e->>'purchase_date')::timestamptz AS purchase_date,
        (e->>'last_update_date')::timestamptz AS last_update_date,
        (e->>'order_status')::text AS order_status,
        (e->>'fulfillment_channel')::text AS fulfillment_channel,
        (e->>'sales_channel')::text AS sales_channel,
        (e->>'order_channel')::text AS order_channel,
        (e->>'ship_service_level')::text AS ship_service_level,
        (e->>'shipment_service_level_category')::text AS shipment_service_level_category,
        (e->>'marketplace_id')::text AS marketplace_id,
        (e->>'order_type')::text AS order_type,
        (e->>'order_total_amount')::numeric AS order_total_amount,
        (e->>'order_total_currency')::text AS order_total_currency,
        (e->>'number_of_items_shipped')::integer AS number_of_items_shipped,
        (e->>'number_of_items_unshipped')::integer AS number_of_items_unshipped,
        (e->>'payment_method')::text AS payment_method,
        CASE WHEN jsonb_typeof(e->'payment_method_details') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e->'payment_method_details')) END AS payment_method_details,
        (e->>'easy_ship_shipment_status')::text AS easy_ship_shipment_status,
        (e->>'electronic_invoice_status')::text AS electronic_invoice_status,
        (e->>'buyer_invoice_preference')::text AS buyer_invoice_preference,
        (e->>'earliest_ship_date')::timestamptz AS earliest_ship_date,
        (e->>'latest_ship_date')::timestamptz AS latest_ship_date,
        (e->>'earliest_delivery_date')::timestamptz AS earliest_delivery_date,
        (e->>'latest_delivery_date')::timestamptz AS latest_delivery_date,
        (e->>'promise_response_due_date')::timestamptz AS promise_response_due_date,
        (e->>'is_business_order')::boolean AS is_business_order,
        (e->>'is_prime')::boolean AS is_prime,
        (e->>'is_premium_order')::boolean AS is_premium_order,
        (e->>'is_global_express_enabled')::boolean AS is_global_express_enabled,
        (e->>'is_replacement_order')::boolean AS is_replacement_order,
        (e->>'replaced_order_id')::text AS replaced_order_id,
        (e->>'is_estimated_ship_date_set')::boolean AS is_estimated_ship_date_set,
        (e->>'is_sold_by_ab')::boolean AS is_sold_by_ab,
        (e->>'is_iba')::boolean AS is_iba,
        (e->>'is_ispu')::boolean AS is_ispu,
        (e->>'is_access_point_order')::boolean AS is_access_point_order,
        (e->>'has_regulated_items')::boolean AS has_regulated_items,
        (e->>'seller_display_name')::text AS seller_display_name,
        (e->>'shipping_address_city')::text AS shipping_address_city,
        (e->>'shipping_address_state_or_region')::text AS shipping_address_state_or_region,
        (e->>'shipping_address_postal_code')::text AS shipping_address_postal_code,
        (e->>'shipping_address_country_code')::text AS shipping_address_country_code,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), previous AS (
    SELECT o.amazon_order_id, o.last_update_date
    FROM orders o JOIN input i ON o.amazon_order_id = i.amazon_order_id
    WHERE o.account_id = @account_id::text
), written AS (
    INSERT INTO orders (account_id, amazon_order_id, seller_order_id, purchase_date, last_update_date, order_status, fulfillment_channel, sales_channel, order_channel, ship_service_level, shipment_service_level_category, marketplace_id, order_type, order_total_amount, order_total_currency, number_of_items_shipped, number_of_items_unshipped, payment_method, payment_method_details, easy_ship_shipment_status, electronic_invoice_status, buyer_invoice_preference, earliest_ship_date, latest_ship_date, earliest_delivery_date, latest_delivery_date, promise_response_due_date, is_business_order, is_prime, is_premium_order, is_global_express_enabled, is_replacement_order, replaced_order_id, is_estimated_ship_date_set, is_sold_by_ab, is_iba, is_ispu, is_access_point_order, has_regulated_items, seller_display_name, shipping_address_city, shipping_address_state_or_region, shipping_address_postal_code, shipping_address_country_code, raw)
    SELECT @account_id::text, input.amazon_order_id, input.seller_order_id, input.purchase_date, input.last_update_date, input.order_status, input.fulfillment_channel, input.sales_channel, input.order_channel, input.ship_service_level, input.shipment_service_level_category, input.marketplace_id, input.order_type, input.order_total_amount, input.order_total_currency, input.number_of_items_shipped, input.number_of_items_unshipped, input.payment_method, input.payment_method_details, input.easy_ship_shipment_status, input.electronic_invoice_status, input.buyer_invoice_preference, input.earliest_ship_date, input.latest_ship_date, input.earliest_delivery_date, input.latest_delivery_date, input.promise_response_due_date, input.is_business_order, input.is_prime, input.is_premium_order, input.is_global_express_enabled, input.is_replacement_order, input.replaced_order_id, input.is_estimated_ship_date_set, input.is_sold_by_ab, input.is_iba, input.is_ispu, input.is_access_point_order, input.has_regulated_items, input.seller_display_name, input.shipping_address_city, input.shipping_address_state_or_region, input.shipping_address_postal_code, input.shipping_address_country_code, input.raw
    FROM input
    ON CONFLICT (account_id, amazon_order_id) DO UPDATE SET
    seller_order_id = EXCLUDED.seller_order_id,
    purchase_date = EXCLUDED.purchase_date,
    last_update_date = EXCLUDED.last_update_date,
    order_status = EXCLUDED.order_status,
    fulfillment_channel = EXCLUDED.fulfillment_channel,
    sales_channel = EXCLUDED.sales_channel,
    order_channel = EXCLUDED.order_channel,
    ship_service_level = EXCLUDED.ship_service_level,
    shipment_service_level_category = EXCLUDED.shipment_service_level_category,
    marketplace_id = EXCLUDED.marketplace_id,
    order_type = EXCLUDED.order_type,
    order_total_amount = EXCLUDED.order_total_amount,
    order_total_currency = EXCLUDED.order_total_currency,
    number_of_items_shipped = EXCLUDED.number_of_items_shipped,
    number_of_items_unshipped = EXCLUDED.number_of_items_unshipped,
    payment_method = EXCLUDED.payment_method,
    payment_method_details = EXCLUDED.payment_method_details,
    easy_ship_shipment_status = EXCLUDED.easy_ship_shipment_status,
    electronic_invoice_status = EXCLUDED.electronic_invoice_status,
    buyer_invoice_preference = EXCLUDED.buyer_invoice_preference,
    earliest_ship_date = EXCLUDED.earliest_ship_date,
    latest_ship_date = EXCLUDED.latest_ship_date,
    earliest_delivery_date = EXCLUDED.earliest_delivery_date,
    latest_delivery_date = EXCLUDED.latest_delivery_date,
    promise_response_due_date = EXCLUDED.promise_response_due_date,
    is_business_order = EXCLUDED.is_business_order,
    is_prime = EXCLUDED.is_prime,
    is_premium_order = EXCLUDED.is_premium_order,
    is_global_express_enabled = EXCLUDED.is_global_express_enabled,
    is_replacement_order = EXCLUDED.is_replacement_order,
    replaced_order_id = EXCLUDED.replaced_order_id,
    is_estimated_ship_date_set = EXCLUDED.is_estimated_ship_date_set,
    is_sold_by_ab = EXCLUDED.is_sold_by_ab,
    is_iba = EXCLUDED.is_iba,
    is_ispu = EXCLUDED.is_ispu,
    is_access_point_order = EXCLUDED.is_access_point_order,
    has_regulated_items = EXCLUDED.has_regulated_items,
    seller_display_name = EXCLUDED.seller_display_name,
    shipping_address_city = EXCLUDED.shipping_address_city,
    shipping_address_state_or_region = EXCLUDED.shipping_address_state_or_region,
    shipping_address_postal_code = EXCLUDED.shipping_address_postal_code,
    shipping_address_country_code = EXCLUDED.shipping_address_country_code,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE orders.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING orders.amazon_order_id, orders.last_update_date
)
SELECT written.amazon_order_id, written.last_update_date,
       previous.last_update_date AS previous_last_update_date
FROM written LEFT JOIN previous ON previous.amazon_order_id = written.amazon_order_id;

-- name: ReplaceOrderItems :one
-- ReplaceOrderItems makes the stored items of the given orders of one
-- account equal to the batch: items are upserted (untouched when their raw
-- payload is unchanged) and items of those orders missing from the batch
-- are deleted, in one statement. It reports how many rows were written and
-- deleted. The batch must not repeat an (order id, item id) pair.
WITH input AS (
    SELECT
        (e->>'amazon_order_id')::text AS amazon_order_id,
        (e->>'order_item_id')::text AS order_item_id,
        (e->>'asin')::text AS asin,
        (e->>'seller_sku')::text AS seller_sku,
        (e->>'title')::text AS title,
        (e->>'quantity_ordered')::integer AS quantity_ordered,
        (e->>'quantity_shipped')::integer AS quantity_shipped,
        (e->>'item_price_amount')::numeric AS item_price_amount,
        (e->>'item_price_currency')::text AS item_price_currency,
        (e->>'shipping_price_amount')::numeric AS shipping_price_amount,
        (e->>'shipping_price_currency')::text AS shipping_price_currency,
        (e->>'item_tax_amount')::numeric AS item_tax_amount,
        (e->>'item_tax_currency')::text AS item_tax_currency,
        (e->>'shipping_tax_amount')::numeric AS shipping_tax_amount,
        (e->>'shipping_tax_currency')::text AS shipping_tax_currency,
        (e->>'shipping_discount_amount')::numeric AS shipping_discount_amount,
        (e->>'shipping_discount_currency')::text AS shipping_discount_currency,
        (e->>'shipping_discount_tax_amount')::numeric AS shipping_discount_tax_amount,
        (e->>'shipping_discount_tax_currency')::text AS shipping_discount_tax_currency,
        (e->>'promotion_discount_amount')::numeric AS promotion_discount_amount,
        (e->>'promotion_discount_currency')::text AS promotion_discount_currency,
        (e->>'promotion_discount_tax_amount')::numeric AS promotion_discount_tax_amount,
        (e->>'promotion_discount_tax_currency')::text AS promotion_discount_tax_currency,
        (e->>'cod_fee_amount')::numeric AS cod_fee_amount,
        (e->>'cod_fee_currency')::text AS cod_fee_currency,
        (e->>'cod_fee_discount_amount')::numeric AS cod_fee_discount_amount,
        (e->>'cod_fee_discount_currency')::text AS cod_fee_discount_currency,
        (e->>'is_gift')::boolean AS is_gift,
        (e->>'condition_id')::text AS condition_id,
        (e->>'condition_subtype_id')::text AS condition_subtype_id,
        (e->>'price_designation')::text AS price_designation,
        (e->>'is_transparency')::boolean AS is_transparency,
        (e->>'serial_number_required')::boolean AS serial_number_required,
        (e->>'ioss_number')::text AS ioss_number,
        (e->>'store_chain_store_id')::text AS store_chain_store_id,
        (e->>'deemed_reseller_category')::text AS deemed_reseller_category,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM order_items t
    WHERE t.account_id = @account_id::text
      AND t.amazon_order_id = ANY(@amazon_order_ids::text[])
      AND NOT EXISTS (
          SELECT 1 FROM input i
          WHERE i.amazon_order_id = t.amazon_order_id AND i.order_item_id = t.order_item_id)
    RETURNING 1
), written AS (
    INSERT INTO order_items (account_id, amazon_order_id, order_item_id, asin, seller_sku, title, quantity_ordered, quantity_shipped, item_price_amount, item_price_currency, shipping_price_amount, shipping_price_currency, item_tax_amount, item_tax_currency, shipping_tax_amount, shipping_tax_currency, shipping_discount_amount, shipping_discount_currency, shipping_discount_tax_amount, shipping_discount_tax_currency, promotion_discount_amount, promotion_discount_currency, promotion_discount_tax_amount, promotion_discount_tax_currency, cod_fee_amount, cod_fee_currency, cod_fee_discount_amount, cod_fee_discount_currency, is_gift, condition_id, condition_subtype_id, price_designation, is_transparency, serial_number_required, ioss_number, store_chain_store_id, deemed_reseller_category, raw)
    SELECT @account_id::text, input.amazon_order_id, input.order_item_id, input.asin, input.seller_sku, input.title, input.quantity_ordered, input.quantity_shipped, input.item_price_amount, input.item_price_currency, input.shipping_price_amount, input.shipping_price_currency, input.item_tax_amount, input.item_tax_currency, input.shipping_tax_amount, input.shipping_tax_currency, input.shipping_discount_amount, input.shipping_discount_currency, input.shipping_discount_tax_amount, input.shipping_discount_tax_currency, input.promotion_discount_amount, input.promotion_discount_currency, input.promotion_discount_tax_amount, input.promotion_discount_tax_currency, input.cod_fee_amount, input.cod_fee_currency, input.cod_fee_discount_amount, input.cod_fee_discount_currency, input.is_gift, input.condition_id, input.condition_subtype_id, input.price_designation, input.is_transparency, input.serial_number_required, input.ioss_number, input.store_chain_store_id, input.deemed_reseller_category, input.raw
    FROM input
    ON CONFLICT (account_id, amazon_order_id, order_item_id) DO UPDATE SET
    asin = EXCLUDED.asin,
    seller_sku = EXCLUDED.seller_sku,
    title = EXCLUDED.title,
    quantity_ordered = EXCLUDED.quantity_ordered,
    quantity_shipped = EXCLUDED.quantity_shipped,
    item_price_amount = EXCLUDED.item_price_amount,
    item_price_currency = EXCLUDED.item_price_currency,
    shipping_price_amount = EXCLUDED.shipping_price_amount,
    shipping_price_currency = EXCLUDED.shipping_price_currency,
    item_tax_amount = EXCLUDED.item_tax_amount,
    item_tax_currency = EXCLUDED.item_tax_currency,
    shipping_tax_amount = EXCLUDED.shipping_tax_amount,
    shipping_tax_currency = EXCLUDED.shipping_tax_currency,
    shipping_discount_amount = EXCLUDED.shipping_discount_amount,
    shipping_discount_currency = EXCLUDED.shipping_discount_currency,
    shipping_discount_tax_amount = EXCLUDED.shipping_discount_tax_amount,
    shipping_discount_tax_currency = EXCLUDED.shipping_discount_tax_currency,
    promotion_discount_amount = EXCLUDED.promotion_discount_amount,
    promotion_discount_currency = EXCLUDED.promotion_discount_currency,
    promotion_discount_tax_amount = EXCLUDED.promotion_discount_tax_amount,
    promotion_discount_tax_currency = EXCLUDED.promotion_discount_tax_currency,
    cod_fee_amount = EXCLUDED.cod_fee_amount,
    cod_fee_currency = EXCLUDED.cod_fee_currency,
    cod_fee_discount_amount = EXCLUDED.cod_fee_discount_amount,
    cod_fee_discount_currency = EXCLUDED.cod_fee_discount_currency,
    is_gift = EXCLUDED.is_gift,
    condition_id = EXCLUDED.condition_id,
    condition_subtype_id = EXCLUDED.condition_subtype_id,
    price_designation = EXCLUDED.price_designation,
    is_transparency = EXCLUDED.is_transparency,
    serial_number_required = EXCLUDED.serial_number_required,
    ioss_number = EXCLUDED.ioss_number,
    store_chain_store_id = EXCLUDED.store_chain_store_id,
    deemed_reseller_category = EXCLUDED.deemed_reseller_category,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE order_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: GetOrdersPollProgress :one
SELECT * FROM orders_poll_progress
WHERE account_id = @account_id AND scope = @scope;

-- name: SaveOrdersPollProgress :exec
-- SaveOrdersPollProgress records, with a page's rows, where the window
-- continues.
INSERT INTO orders_poll_progress (account_id, scope, last_updated_after, last_updated_before, next_token, pages, rows_written, updated_at)
VALUES (@account_id, @scope, @last_updated_after, @last_updated_before, @next_token, @pages, @rows_written, now())
ON CONFLICT (account_id, scope) DO UPDATE SET
    last_updated_after  = EXCLUDED.last_updated_after,
    last_updated_before = EXCLUDED.last_updated_before,
    next_token          = EXCLUDED.next_token,
    pages               = EXCLUDED.pages,
    rows_written        = EXCLUDED.rows_written,
    updated_at          = now();

-- name: DeleteOrdersPollProgress :exec
DELETE FROM orders_poll_progress
WHERE account_id = @account_id AND scope = @scope;
