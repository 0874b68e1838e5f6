-- name: UpsertOrders :many
-- UpsertOrders writes a batch of orders of one account. A row whose raw
-- payload is unchanged is not touched at all (no new sync_version, no
-- synced_at churn, no dead tuple). It returns the rows it wrote, with the
-- last_update_date they had before (NULL for new orders), so the caller can
-- queue item fetches for new orders and orders whose LastUpdateDate moved.
-- The batch must not repeat an order id.
--
-- The page travels as one jsonb array of objects keyed by column name, a
-- NULL column left out; jsonb_to_recordset types it in one pass. previous
-- reads the stored last_update_date of written rows only, one primary-key
-- lookup each (a LATERAL that OFFSET 0 keeps from being flattened into a
-- join), so it never scans the account's orders, whatever the statistics
-- say (a freshly filled table has none). Every part of the statement sees
-- the snapshot from before the insert, so that is the value before this
-- write.
WITH written AS (
    INSERT INTO orders (account_id, amazon_order_id, seller_order_id, purchase_date, last_update_date, order_status, fulfillment_channel, sales_channel, order_channel, ship_service_level, shipment_service_level_category, marketplace_id, order_type, order_total_amount, order_total_currency, number_of_items_shipped, number_of_items_unshipped, payment_method, payment_method_details, easy_ship_shipment_status, electronic_invoice_status, buyer_invoice_preference, earliest_ship_date, latest_ship_date, earliest_delivery_date, latest_delivery_date, promise_response_due_date, is_business_order, is_prime, is_premium_order, is_global_express_enabled, is_replacement_order, replaced_order_id, is_estimated_ship_date_set, is_sold_by_ab, is_iba, is_ispu, is_access_point_order, has_regulated_items, seller_display_name, shipping_address_city, shipping_address_state_or_region, shipping_address_postal_code, shipping_address_country_code, raw)
    SELECT @account_id::text, r.amazon_order_id, r.seller_order_id, r.purchase_date, r.last_update_date, r.order_status, r.fulfillment_channel, r.sales_channel, r.order_channel, r.ship_service_level, r.shipment_service_level_category, r.marketplace_id, r.order_type, r.order_total_amount, r.order_total_currency, r.number_of_items_shipped, r.number_of_items_unshipped, r.payment_method, r.payment_method_details, r.easy_ship_shipment_status, r.electronic_invoice_status, r.buyer_invoice_preference, r.earliest_ship_date, r.latest_ship_date, r.earliest_delivery_date, r.latest_delivery_date, r.promise_response_due_date, r.is_business_order, r.is_prime, r.is_premium_order, r.is_global_express_enabled, r.is_replacement_order, r.replaced_order_id, r.is_estimated_ship_date_set, r.is_sold_by_ab, r.is_iba, r.is_ispu, r.is_access_point_order, r.has_regulated_items, r.seller_display_name, r.shipping_address_city, r.shipping_address_state_or_region, r.shipping_address_postal_code, r.shipping_address_country_code, r.raw
    FROM jsonb_to_recordset(@rows::jsonb) AS r(
        amazon_order_id text,
        seller_order_id text,
        purchase_date timestamptz,
        last_update_date timestamptz,
        order_status text,
        fulfillment_channel text,
        sales_channel text,
        order_channel text,
        ship_service_level text,
        shipment_service_level_category text,
        marketplace_id text,
        order_type text,
        order_total_amount numeric,
        order_total_currency text,
        number_of_items_shipped integer,
        number_of_items_unshipped integer,
        payment_method text,
        payment_method_details text[],
        easy_ship_shipment_status text,
        electronic_invoice_status text,
        buyer_invoice_preference text,
        earliest_ship_date timestamptz,
        latest_ship_date timestamptz,
        earliest_delivery_date timestamptz,
        latest_delivery_date timestamptz,
        promise_response_due_date timestamptz,
        is_business_order boolean,
        is_prime boolean,
        is_premium_order boolean,
        is_global_express_enabled boolean,
        is_replacement_order boolean,
        replaced_order_id text,
        is_estimated_ship_date_set boolean,
        is_sold_by_ab boolean,
        is_iba boolean,
        is_ispu boolean,
        is_access_point_order boolean,
        has_regulated_items boolean,
        seller_display_name text,
        shipping_address_city text,
        shipping_address_state_or_region text,
        shipping_address_postal_code text,
        shipping_address_country_code text,
        raw jsonb)
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
), previous AS (
    SELECT w.amazon_order_id, o.last_update_date
    FROM written w
    CROSS JOIN LATERAL (
        SELECT o.last_update_date FROM orders o
        WHERE o.account_id = @account_id::text AND o.amazon_order_id = w.amazon_order_id
        OFFSET 0
    ) AS o
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
--
-- rows is a jsonb array of objects keyed by column name, a NULL column left
-- out, typed in one pass by jsonb_to_recordset. keep maps each order id of
-- the batch to the array of its item ids. gone walks the stored items of
-- each order by primary key (a LATERAL that OFFSET 0 keeps from being
-- flattened into a join) and tests each against its own order's short list.
-- The delete runs only when gone found something (EXISTS is a one-time
-- filter): in the usual page nothing vanished and the delete does not even
-- start a scan. So no part of the statement scans the account's items in
-- the usual case, whatever the statistics say (a freshly filled table has
-- none and looks tiny to the planner).
WITH gone AS MATERIALIZED (
    SELECT k.amazon_order_id, stored.order_item_id
    FROM jsonb_each(@keep::jsonb) AS k(amazon_order_id, item_ids)
    CROSS JOIN LATERAL (
        SELECT i.order_item_id FROM order_items i
        WHERE i.account_id = @account_id::text AND i.amazon_order_id = k.amazon_order_id
        OFFSET 0
    ) AS stored
    WHERE NOT k.item_ids ? stored.order_item_id
), deleted AS (
    DELETE FROM order_items t
    USING gone
    WHERE EXISTS (SELECT 1 FROM gone)
      AND t.account_id = @account_id::text
      AND t.amazon_order_id = gone.amazon_order_id
      AND t.order_item_id = gone.order_item_id
    RETURNING 1
), written AS (
    INSERT INTO order_items (account_id, amazon_order_id, order_item_id, asin, seller_sku, title, quantity_ordered, quantity_shipped, item_price_amount, item_price_currency, shipping_price_amount, shipping_price_currency, item_tax_amount, item_tax_currency, shipping_tax_amount, shipping_tax_currency, shipping_discount_amount, shipping_discount_currency, shipping_discount_tax_amount, shipping_discount_tax_currency, promotion_discount_amount, promotion_discount_currency, promotion_discount_tax_amount, promotion_discount_tax_currency, cod_fee_amount, cod_fee_currency, cod_fee_discount_amount, cod_fee_discount_currency, is_gift, condition_id, condition_subtype_id, price_designation, is_transparency, serial_number_required, ioss_number, store_chain_store_id, deemed_reseller_category, raw)
    SELECT @account_id::text, r.amazon_order_id, r.order_item_id, r.asin, r.seller_sku, r.title, r.quantity_ordered, r.quantity_shipped, r.item_price_amount, r.item_price_currency, r.shipping_price_amount, r.shipping_price_currency, r.item_tax_amount, r.item_tax_currency, r.shipping_tax_amount, r.shipping_tax_currency, r.shipping_discount_amount, r.shipping_discount_currency, r.shipping_discount_tax_amount, r.shipping_discount_tax_currency, r.promotion_discount_amount, r.promotion_discount_currency, r.promotion_discount_tax_amount, r.promotion_discount_tax_currency, r.cod_fee_amount, r.cod_fee_currency, r.cod_fee_discount_amount, r.cod_fee_discount_currency, r.is_gift, r.condition_id, r.condition_subtype_id, r.price_designation, r.is_transparency, r.serial_number_required, r.ioss_number, r.store_chain_store_id, r.deemed_reseller_category, r.raw
    FROM jsonb_to_recordset(@rows::jsonb) AS r(
        amazon_order_id text,
        order_item_id text,
        asin text,
        seller_sku text,
        title text,
        quantity_ordered integer,
        quantity_shipped integer,
        item_price_amount numeric,
        item_price_currency text,
        shipping_price_amount numeric,
        shipping_price_currency text,
        item_tax_amount numeric,
        item_tax_currency text,
        shipping_tax_amount numeric,
        shipping_tax_currency text,
        shipping_discount_amount numeric,
        shipping_discount_currency text,
        shipping_discount_tax_amount numeric,
        shipping_discount_tax_currency text,
        promotion_discount_amount numeric,
        promotion_discount_currency text,
        promotion_discount_tax_amount numeric,
        promotion_discount_tax_currency text,
        cod_fee_amount numeric,
        cod_fee_currency text,
        cod_fee_discount_amount numeric,
        cod_fee_discount_currency text,
        is_gift boolean,
        condition_id text,
        condition_subtype_id text,
        price_designation text,
        is_transparency boolean,
        serial_number_required boolean,
        ioss_number text,
        store_chain_store_id text,
        deemed_reseller_category text,
        raw jsonb)
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
