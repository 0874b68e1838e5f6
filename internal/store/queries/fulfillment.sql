-- name: UpsertFulfillmentOrders :many
-- UpsertFulfillmentOrders writes a batch of fulfillment order headers of one
-- account. With with_detail false (a listAllFulfillmentOrders page) the
-- detail columns (return_authorizations, payment_information,
-- detail_status_updated_date) are neither written nor compared; with
-- with_detail true (a getFulfillmentOrder answer) they are. A row whose
-- content is unchanged is not touched at all (no new sync_version, no
-- synced_at churn, no dead tuple), and neither is a row whose stored
-- status_updated_date is newer than the copy given: an old answer never
-- overwrites a newer one. It returns one row per input order with what was
-- stored before (NULLs for a new order) and whether the row was written.
-- The batch must not repeat an order id.
--
-- listAllFulfillmentOrders leaves out marketplaceId, which getFulfillmentOrder
-- sends: absent is not null. A list write never blanks a stored
-- marketplace_id (COALESCE), and when its header has no marketplaceId key
-- the raw payloads are compared without that key, so a listed header that
-- differs from the stored detail only by the missing key is not written at
-- all (no sync_version, no synced_at).
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'marketplace_id')::text AS marketplace_id,
        (e->>'displayable_order_id')::text AS displayable_order_id,
        (e->>'displayable_order_date')::timestamptz AS displayable_order_date,
        (e->>'displayable_order_comment')::text AS displayable_order_comment,
        (e->>'shipping_speed_category')::text AS shipping_speed_category,
        (e->>'delivery_window_start_date')::timestamptz AS delivery_window_start_date,
        (e->>'delivery_window_end_date')::timestamptz AS delivery_window_end_date,
        (e->>'destination_address_city')::text AS destination_address_city,
        (e->>'destination_address_district_or_county')::text AS destination_address_district_or_county,
        (e->>'destination_address_state_or_region')::text AS destination_address_state_or_region,
        (e->>'destination_address_postal_code')::text AS destination_address_postal_code,
        (e->>'destination_address_country_code')::text AS destination_address_country_code,
        (e->>'fulfillment_action')::text AS fulfillment_action,
        (e->>'fulfillment_policy')::text AS fulfillment_policy,
        (e->>'received_date')::timestamptz AS received_date,
        (e->>'fulfillment_order_status')::text AS fulfillment_order_status,
        (e->>'status_updated_date')::timestamptz AS status_updated_date,
        CASE WHEN jsonb_typeof(e->'return_authorizations') IN ('array', 'object') THEN e->'return_authorizations' END AS return_authorizations,
        CASE WHEN jsonb_typeof(e->'payment_information') IN ('array', 'object') THEN e->'payment_information' END AS payment_information,
        (e->>'detail_status_updated_date')::timestamptz AS detail_status_updated_date,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), previous AS (
    SELECT f.seller_fulfillment_order_id, f.status_updated_date, f.detail_status_updated_date
    FROM fulfillment_orders f JOIN input i ON f.seller_fulfillment_order_id = i.seller_fulfillment_order_id
    WHERE f.account_id = @account_id::text
), written AS (
    INSERT INTO fulfillment_orders (account_id, seller_fulfillment_order_id, marketplace_id, displayable_order_id, displayable_order_date, displayable_order_comment, shipping_speed_category, delivery_window_start_date, delivery_window_end_date, destination_address_city, destination_address_district_or_county, destination_address_state_or_region, destination_address_postal_code, destination_address_country_code, fulfillment_action, fulfillment_policy, received_date, fulfillment_order_status, status_updated_date, return_authorizations, payment_information, detail_status_updated_date, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.marketplace_id, input.displayable_order_id, input.displayable_order_date, input.displayable_order_comment, input.shipping_speed_category, input.delivery_window_start_date, input.delivery_window_end_date, input.destination_address_city, input.destination_address_district_or_county, input.destination_address_state_or_region, input.destination_address_postal_code, input.destination_address_country_code, input.fulfillment_action, input.fulfillment_policy, input.received_date, input.fulfillment_order_status, input.status_updated_date, input.return_authorizations, input.payment_information, input.detail_status_updated_date, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id) DO UPDATE SET
    marketplace_id = CASE WHEN @with_detail::boolean THEN EXCLUDED.marketplace_id ELSE COALESCE(EXCLUDED.marketplace_id, fulfillment_orders.marketplace_id) END,
    displayable_order_id = EXCLUDED.displayable_order_id,
    displayable_order_date = EXCLUDED.displayable_order_date,
    displayable_order_comment = EXCLUDED.displayable_order_comment,
    shipping_speed_category = EXCLUDED.shipping_speed_category,
    delivery_window_start_date = EXCLUDED.delivery_window_start_date,
    delivery_window_end_date = EXCLUDED.delivery_window_end_date,
    destination_address_city = EXCLUDED.destination_address_city,
    destination_address_district_or_county = EXCLUDED.destination_address_district_or_county,
    destination_address_state_or_region = EXCLUDED.destination_address_state_or_region,
    destination_address_postal_code = EXCLUDED.destination_address_postal_code,
    destination_address_country_code = EXCLUDED.destination_address_country_code,
    fulfillment_action = EXCLUDED.fulfillment_action,
    fulfillment_policy = EXCLUDED.fulfillment_policy,
    received_date = EXCLUDED.received_date,
    fulfillment_order_status = EXCLUDED.fulfillment_order_status,
    status_updated_date = EXCLUDED.status_updated_date,
    raw = EXCLUDED.raw,
    return_authorizations = CASE WHEN @with_detail::boolean THEN EXCLUDED.return_authorizations ELSE fulfillment_orders.return_authorizations END,
    payment_information = CASE WHEN @with_detail::boolean THEN EXCLUDED.payment_information ELSE fulfillment_orders.payment_information END,
    detail_status_updated_date = CASE WHEN @with_detail::boolean THEN EXCLUDED.detail_status_updated_date ELSE fulfillment_orders.detail_status_updated_date END,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_orders.status_updated_date <= EXCLUDED.status_updated_date
      AND (CASE WHEN NOT @with_detail::boolean AND EXCLUDED.marketplace_id IS NULL AND NOT (EXCLUDED.raw ? 'marketplaceId')
                THEN fulfillment_orders.raw - 'marketplaceId' IS DISTINCT FROM EXCLUDED.raw - 'marketplaceId'
                ELSE fulfillment_orders.raw IS DISTINCT FROM EXCLUDED.raw END
        OR (@with_detail::boolean AND (fulfillment_orders.return_authorizations, fulfillment_orders.payment_information, fulfillment_orders.detail_status_updated_date)
            IS DISTINCT FROM (EXCLUDED.return_authorizations, EXCLUDED.payment_information, EXCLUDED.detail_status_updated_date)))
    RETURNING fulfillment_orders.seller_fulfillment_order_id
)
SELECT input.seller_fulfillment_order_id,
       input.status_updated_date,
       previous.status_updated_date AS previous_status_updated_date,
       previous.detail_status_updated_date AS previous_detail_status_updated_date,
       (written.seller_fulfillment_order_id IS NOT NULL)::boolean AS written
FROM input
LEFT JOIN previous ON previous.seller_fulfillment_order_id = input.seller_fulfillment_order_id
LEFT JOIN written ON written.seller_fulfillment_order_id = input.seller_fulfillment_order_id;

-- name: ReplaceFulfillmentOrderItems :one
-- ReplaceFulfillmentOrderItems makes the stored items of one fulfillment
-- order equal to the batch in one statement: new and changed items are
-- written (unchanged ones are not touched) and items missing from the batch
-- are deleted. The batch must not repeat an item id.
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'seller_fulfillment_order_item_id')::text AS seller_fulfillment_order_item_id,
        (e->>'seller_sku')::text AS seller_sku,
        (e->>'quantity')::integer AS quantity,
        (e->>'gift_message')::text AS gift_message,
        (e->>'displayable_comment')::text AS displayable_comment,
        (e->>'fulfillment_network_sku')::text AS fulfillment_network_sku,
        (e->>'order_item_disposition')::text AS order_item_disposition,
        (e->>'cancelled_quantity')::integer AS cancelled_quantity,
        (e->>'unfulfillable_quantity')::integer AS unfulfillable_quantity,
        (e->>'estimated_ship_date')::timestamptz AS estimated_ship_date,
        (e->>'estimated_arrival_date')::timestamptz AS estimated_arrival_date,
        (e->>'per_unit_price_amount')::numeric AS per_unit_price_amount,
        (e->>'per_unit_price_currency')::text AS per_unit_price_currency,
        (e->>'per_unit_tax_amount')::numeric AS per_unit_tax_amount,
        (e->>'per_unit_tax_currency')::text AS per_unit_tax_currency,
        (e->>'per_unit_declared_value_amount')::numeric AS per_unit_declared_value_amount,
        (e->>'per_unit_declared_value_currency')::text AS per_unit_declared_value_currency,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM fulfillment_order_items t
    WHERE t.account_id = @account_id::text
      AND t.seller_fulfillment_order_id = @seller_fulfillment_order_id::text
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.seller_fulfillment_order_id = t.seller_fulfillment_order_id AND i.seller_fulfillment_order_item_id = t.seller_fulfillment_order_item_id)
    RETURNING 1
), written AS (
    INSERT INTO fulfillment_order_items (account_id, seller_fulfillment_order_id, seller_fulfillment_order_item_id, seller_sku, quantity, gift_message, displayable_comment, fulfillment_network_sku, order_item_disposition, cancelled_quantity, unfulfillable_quantity, estimated_ship_date, estimated_arrival_date, per_unit_price_amount, per_unit_price_currency, per_unit_tax_amount, per_unit_tax_currency, per_unit_declared_value_amount, per_unit_declared_value_currency, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.seller_fulfillment_order_item_id, input.seller_sku, input.quantity, input.gift_message, input.displayable_comment, input.fulfillment_network_sku, input.order_item_disposition, input.cancelled_quantity, input.unfulfillable_quantity, input.estimated_ship_date, input.estimated_arrival_date, input.per_unit_price_amount, input.per_unit_price_currency, input.per_unit_tax_amount, input.per_unit_tax_currency, input.per_unit_declared_value_amount, input.per_unit_declared_value_currency, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id, seller_fulfillment_order_item_id) DO UPDATE SET
    seller_sku = EXCLUDED.seller_sku,
    quantity = EXCLUDED.quantity,
    gift_message = EXCLUDED.gift_message,
    displayable_comment = EXCLUDED.displayable_comment,
    fulfillment_network_sku = EXCLUDED.fulfillment_network_sku,
    order_item_disposition = EXCLUDED.order_item_disposition,
    cancelled_quantity = EXCLUDED.cancelled_quantity,
    unfulfillable_quantity = EXCLUDED.unfulfillable_quantity,
    estimated_ship_date = EXCLUDED.estimated_ship_date,
    estimated_arrival_date = EXCLUDED.estimated_arrival_date,
    per_unit_price_amount = EXCLUDED.per_unit_price_amount,
    per_unit_price_currency = EXCLUDED.per_unit_price_currency,
    per_unit_tax_amount = EXCLUDED.per_unit_tax_amount,
    per_unit_tax_currency = EXCLUDED.per_unit_tax_currency,
    per_unit_declared_value_amount = EXCLUDED.per_unit_declared_value_amount,
    per_unit_declared_value_currency = EXCLUDED.per_unit_declared_value_currency,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_order_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ReplaceFulfillmentShipments :one
-- ReplaceFulfillmentShipments makes the stored shipments of one fulfillment
-- order equal to the batch, like ReplaceFulfillmentOrderItems.
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'amazon_shipment_id')::text AS amazon_shipment_id,
        (e->>'fulfillment_center_id')::text AS fulfillment_center_id,
        (e->>'fulfillment_shipment_status')::text AS fulfillment_shipment_status,
        (e->>'shipping_date')::timestamptz AS shipping_date,
        (e->>'estimated_arrival_date')::timestamptz AS estimated_arrival_date,
        CASE WHEN jsonb_typeof(e->'shipping_notes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e->'shipping_notes')) END AS shipping_notes,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM fulfillment_shipments t
    WHERE t.account_id = @account_id::text
      AND t.seller_fulfillment_order_id = @seller_fulfillment_order_id::text
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.seller_fulfillment_order_id = t.seller_fulfillment_order_id AND i.amazon_shipment_id = t.amazon_shipment_id)
    RETURNING 1
), written AS (
    INSERT INTO fulfillment_shipments (account_id, seller_fulfillment_order_id, amazon_shipment_id, fulfillment_center_id, fulfillment_shipment_status, shipping_date, estimated_arrival_date, shipping_notes, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.amazon_shipment_id, input.fulfillment_center_id, input.fulfillment_shipment_status, input.shipping_date, input.estimated_arrival_date, input.shipping_notes, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id, amazon_shipment_id) DO UPDATE SET
    fulfillment_center_id = EXCLUDED.fulfillment_center_id,
    fulfillment_shipment_status = EXCLUDED.fulfillment_shipment_status,
    shipping_date = EXCLUDED.shipping_date,
    estimated_arrival_date = EXCLUDED.estimated_arrival_date,
    shipping_notes = EXCLUDED.shipping_notes,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_shipments.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ReplaceFulfillmentShipmentItems :one
-- ReplaceFulfillmentShipmentItems makes the stored shipment lines of one
-- fulfillment order (all its shipments) equal to the batch. Lines are keyed
-- by their position in the shipment's list.
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'amazon_shipment_id')::text AS amazon_shipment_id,
        (e->>'ordinal')::integer AS ordinal,
        (e->>'seller_sku')::text AS seller_sku,
        (e->>'seller_fulfillment_order_item_id')::text AS seller_fulfillment_order_item_id,
        (e->>'quantity')::integer AS quantity,
        (e->>'package_number')::integer AS package_number,
        (e->>'serial_number')::text AS serial_number,
        CASE WHEN jsonb_typeof(e->'manufacturer_lot_codes') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e->'manufacturer_lot_codes')) END AS manufacturer_lot_codes,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM fulfillment_shipment_items t
    WHERE t.account_id = @account_id::text
      AND t.seller_fulfillment_order_id = @seller_fulfillment_order_id::text
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.seller_fulfillment_order_id = t.seller_fulfillment_order_id AND i.amazon_shipment_id = t.amazon_shipment_id AND i.ordinal = t.ordinal)
    RETURNING 1
), written AS (
    INSERT INTO fulfillment_shipment_items (account_id, seller_fulfillment_order_id, amazon_shipment_id, ordinal, seller_sku, seller_fulfillment_order_item_id, quantity, package_number, serial_number, manufacturer_lot_codes, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.amazon_shipment_id, input.ordinal, input.seller_sku, input.seller_fulfillment_order_item_id, input.quantity, input.package_number, input.serial_number, input.manufacturer_lot_codes, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id, amazon_shipment_id, ordinal) DO UPDATE SET
    seller_sku = EXCLUDED.seller_sku,
    seller_fulfillment_order_item_id = EXCLUDED.seller_fulfillment_order_item_id,
    quantity = EXCLUDED.quantity,
    package_number = EXCLUDED.package_number,
    serial_number = EXCLUDED.serial_number,
    manufacturer_lot_codes = EXCLUDED.manufacturer_lot_codes,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_shipment_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ReplaceFulfillmentShipmentPackages :one
-- ReplaceFulfillmentShipmentPackages makes the stored packages of one
-- fulfillment order (all its shipments) equal to the batch, like
-- ReplaceFulfillmentOrderItems. It also returns the package numbers of the
-- batch that the account had never stored before the statement (in any
-- order or shipment): the packages whose tracking must start. The batch must
-- not repeat a (shipment, package number) pair.
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'amazon_shipment_id')::text AS amazon_shipment_id,
        (e->>'package_number')::integer AS package_number,
        (e->>'carrier_code')::text AS carrier_code,
        (e->>'tracking_number')::text AS tracking_number,
        (e->>'amazon_fulfillment_tracking_number')::text AS amazon_fulfillment_tracking_number,
        (e->>'estimated_arrival_date')::timestamptz AS estimated_arrival_date,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM fulfillment_shipment_packages t
    WHERE t.account_id = @account_id::text
      AND t.seller_fulfillment_order_id = @seller_fulfillment_order_id::text
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.seller_fulfillment_order_id = t.seller_fulfillment_order_id AND i.amazon_shipment_id = t.amazon_shipment_id AND i.package_number = t.package_number)
    RETURNING 1
), written AS (
    INSERT INTO fulfillment_shipment_packages (account_id, seller_fulfillment_order_id, amazon_shipment_id, package_number, carrier_code, tracking_number, amazon_fulfillment_tracking_number, estimated_arrival_date, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.amazon_shipment_id, input.package_number, input.carrier_code, input.tracking_number, input.amazon_fulfillment_tracking_number, input.estimated_arrival_date, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id, amazon_shipment_id, package_number) DO UPDATE SET
    carrier_code = EXCLUDED.carrier_code,
    tracking_number = EXCLUDED.tracking_number,
    amazon_fulfillment_tracking_number = EXCLUDED.amazon_fulfillment_tracking_number,
    estimated_arrival_date = EXCLUDED.estimated_arrival_date,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_shipment_packages.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted,
       COALESCE((SELECT array_agg(i.package_number ORDER BY i.package_number) FROM input i
                 WHERE NOT EXISTS (SELECT 1 FROM fulfillment_shipment_packages p
                                   WHERE p.account_id = @account_id::text AND p.package_number = i.package_number)),
                '{}')::integer[] AS new_package_numbers;

-- name: ReplaceFulfillmentReturnItems :one
-- ReplaceFulfillmentReturnItems makes the stored return items of one
-- fulfillment order equal to the batch, like ReplaceFulfillmentOrderItems.
WITH input AS (
    SELECT
        (e->>'seller_fulfillment_order_id')::text AS seller_fulfillment_order_id,
        (e->>'seller_return_item_id')::text AS seller_return_item_id,
        (e->>'seller_fulfillment_order_item_id')::text AS seller_fulfillment_order_item_id,
        (e->>'amazon_shipment_id')::text AS amazon_shipment_id,
        (e->>'seller_return_reason_code')::text AS seller_return_reason_code,
        (e->>'return_comment')::text AS return_comment,
        (e->>'amazon_return_reason_code')::text AS amazon_return_reason_code,
        (e->>'status')::text AS status,
        (e->>'status_changed_date')::timestamptz AS status_changed_date,
        (e->>'return_authorization_id')::text AS return_authorization_id,
        (e->>'return_received_condition')::text AS return_received_condition,
        (e->>'fulfillment_center_id')::text AS fulfillment_center_id,
        e->'raw' AS raw
    FROM jsonb_array_elements(@rows::jsonb) AS e
), deleted AS (
    DELETE FROM fulfillment_return_items t
    WHERE t.account_id = @account_id::text
      AND t.seller_fulfillment_order_id = @seller_fulfillment_order_id::text
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.seller_fulfillment_order_id = t.seller_fulfillment_order_id AND i.seller_return_item_id = t.seller_return_item_id)
    RETURNING 1
), written AS (
    INSERT INTO fulfillment_return_items (account_id, seller_fulfillment_order_id, seller_return_item_id, seller_fulfillment_order_item_id, amazon_shipment_id, seller_return_reason_code, return_comment, amazon_return_reason_code, status, status_changed_date, return_authorization_id, return_received_condition, fulfillment_center_id, raw)
    SELECT @account_id::text, input.seller_fulfillment_order_id, input.seller_return_item_id, input.seller_fulfillment_order_item_id, input.amazon_shipment_id, input.seller_return_reason_code, input.return_comment, input.amazon_return_reason_code, input.status, input.status_changed_date, input.return_authorization_id, input.return_received_condition, input.fulfillment_center_id, input.raw
    FROM input
    ON CONFLICT (account_id, seller_fulfillment_order_id, seller_return_item_id) DO UPDATE SET
    seller_fulfillment_order_item_id = EXCLUDED.seller_fulfillment_order_item_id,
    amazon_shipment_id = EXCLUDED.amazon_shipment_id,
    seller_return_reason_code = EXCLUDED.seller_return_reason_code,
    return_comment = EXCLUDED.return_comment,
    amazon_return_reason_code = EXCLUDED.amazon_return_reason_code,
    status = EXCLUDED.status,
    status_changed_date = EXCLUDED.status_changed_date,
    return_authorization_id = EXCLUDED.return_authorization_id,
    return_received_condition = EXCLUDED.return_received_condition,
    fulfillment_center_id = EXCLUDED.fulfillment_center_id,
    raw = EXCLUDED.raw,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
    WHERE fulfillment_return_items.raw IS DISTINCT FROM EXCLUDED.raw
    RETURNING 1
)
SELECT (SELECT count(*) FROM written)::bigint AS written,
       (SELECT count(*) FROM deleted)::bigint AS deleted;

-- name: ListFulfillmentOrdersDetailBehind :many
-- ListFulfillmentOrdersDetailBehind lists orders of an account whose
-- children were never written or were written from an older status than the
-- header shows, whose header has not changed since untouched_since (its
-- detail job should have run) and whose status changed after newer_than, oldest
-- status change first: the orders a reconciliation should queue a
-- getFulfillmentOrder for.
SELECT seller_fulfillment_order_id, fulfillment_order_status, status_updated_date, detail_status_updated_date
FROM fulfillment_orders
WHERE account_id = @account_id::text
  AND detail_status_updated_date IS DISTINCT FROM status_updated_date
  AND synced_at < @untouched_since::timestamptz
  AND status_updated_date > @newer_than::timestamptz
ORDER BY status_updated_date
LIMIT @max_rows::integer;

-- name: ListPackagesWithoutTracking :many
-- ListPackagesWithoutTracking lists packages of an account that have no
-- package_tracking row, first seen before untouched_since and after
-- newer_than, by package number: packages whose tracking job was
-- lost, for a reconciliation to queue again.
SELECT DISTINCT ON (p.package_number) p.package_number, p.seller_fulfillment_order_id, p.amazon_shipment_id, p.first_seen_at
FROM fulfillment_shipment_packages p
WHERE p.account_id = @account_id::text
  AND p.first_seen_at < @untouched_since::timestamptz
  AND p.first_seen_at > @newer_than::timestamptz
  AND NOT EXISTS (SELECT 1 FROM package_tracking t WHERE t.account_id = p.account_id AND t.package_number = p.package_number)
ORDER BY p.package_number, p.first_seen_at
LIMIT @max_rows::integer;

-- name: GetFulfillmentDetailVersion :one
-- GetFulfillmentDetailVersion is the statusUpdatedDate the stored children
-- of an order were written from (NULL when never).
SELECT detail_status_updated_date FROM fulfillment_orders
WHERE account_id = @account_id AND seller_fulfillment_order_id = @seller_fulfillment_order_id;
