-- +goose Up
-- Typed enum columns speak one spelling: the model's (internal/spapi/enums.go).
-- Amazon does not keep to its own models: the FBA examples send COMPLETE where
-- the model says Complete. spsync's decoder writes the model's spelling of
-- every enum value, matched ignoring case, underscores, spaces and hyphens
-- and through the aliases enums.go lists (Cancelled for Orders' Canceled);
-- this migration re-derives the rows stored before it did, so a reader
-- filtering on order_status = 'Shipped' or current_status = 'DELIVERED'
-- sees them all. Values outside a model's list
-- are left exactly as they are (enums are open sets in practice). raw is not
-- touched: it keeps Amazon's text.
--
-- A row whose typed value changes gets a new sync_version and synced_at,
-- because ERP readers copy typed columns and read changes by sync_version.
-- Rows already in the model's spelling are not touched at all. A package
-- whose current_status changes has terminal recomputed with it
-- (store.IsTerminalTrackingStatus): a package stored as 'Delivered' was not
-- terminal, and is now. Rules that compare exact spellings
-- (store.terminalTrackingStatuses, the service_jobs_open_idx predicate and
-- ListOpenServiceJobs' NOT IN ('COMPLETED', 'CANCELLED')) use the model's
-- spelling, so they hold for the respelled rows.
--
-- The lists below are the enums.go lists with their aliases (Canceled and
-- Cancelled); TestEnumSpellingMigration checks every value of every list,
-- and the other spelling of every cancelled value, against
-- spapi.Enum.Canonical.

-- m00010_enum_key is spapi's enumKey: lower case, without surrounding
-- blanks and without '_', ' ' and '-' (COMPLETE_PARTIALLED,
-- CompletePartialled and complete-partialled are one key).
-- +goose StatementBegin
CREATE FUNCTION m00010_enum_key(v text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT translate(lower(btrim(v, E' \t\n\r\f\v')), '_ -', '')
$$;
-- +goose StatementEnd

-- m00010_keymap maps the key of each value of an enum to its spelling,
-- computed once per table below. aliases are pairs (alias, canonical) as in
-- spapi.Enum.WithAliases: spellings that differ by more than case and
-- underscores (Orders 2026-01-01 says CANCELLED where Orders v0 says
-- Canceled).
-- +goose StatementBegin
CREATE FUNCTION m00010_keymap(canonical text[], aliases text[] DEFAULT '{}') RETURNS jsonb
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_object_agg(k, v) FROM (
        SELECT m00010_enum_key(c) AS k, c AS v FROM unnest(canonical) AS c
        UNION ALL
        SELECT m00010_enum_key(aliases[i]), aliases[i + 1] FROM generate_subscripts(aliases, 1) AS i WHERE i % 2 = 1
    ) AS m
$$;
-- +goose StatementEnd

-- m00010_canonical is spapi.Enum.Canonical: the enum's spelling of v, or v
-- unchanged when it spells none of the values (NULL stays NULL).
-- +goose StatementBegin
CREATE FUNCTION m00010_canonical(v text, keymap jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(keymap ->> m00010_enum_key(v), v)
$$;
-- +goose StatementEnd

-- Each table: the enum lists (lists), every row's values in the model's
-- spelling (respelled), and one UPDATE of the rows where any of them
-- differs, so a row gets one new sync_version however many of its columns
-- change.

WITH lists AS (SELECT
        m00010_keymap(ARRAY['Pending', 'Unshipped', 'PartiallyShipped', 'Shipped', 'Canceled', 'Unfulfillable', 'InvoiceUnconfirmed', 'PendingAvailability'],
            aliases => ARRAY['Cancelled', 'Canceled']) AS order_status,
        m00010_keymap(ARRAY['MFN', 'AFN']) AS fulfillment_channel,
        m00010_keymap(ARRAY['StandardOrder', 'LongLeadTimeOrder', 'Preorder', 'BackOrder', 'SourcingOnDemandOrder']) AS order_type,
        m00010_keymap(ARRAY['COD', 'CVS', 'Other']) AS payment_method,
        m00010_keymap(ARRAY['PendingSchedule', 'PendingPickUp', 'PendingDropOff', 'LabelCanceled', 'PickedUp', 'DroppedOff', 'AtOriginFC',
            'AtDestinationFC', 'Delivered', 'RejectedByBuyer', 'Undeliverable', 'ReturningToSeller', 'ReturnedToSeller', 'Lost', 'OutForDelivery', 'Damaged']) AS easy_ship_shipment_status,
        m00010_keymap(ARRAY['NotRequired', 'NotFound', 'Processing', 'Errored', 'Accepted']) AS electronic_invoice_status,
        m00010_keymap(ARRAY['INDIVIDUAL', 'BUSINESS']) AS buyer_invoice_preference
), respelled AS (
    SELECT t.account_id, t.amazon_order_id,
        m00010_canonical(t.order_status, l.order_status) AS order_status,
        m00010_canonical(t.fulfillment_channel, l.fulfillment_channel) AS fulfillment_channel,
        m00010_canonical(t.order_type, l.order_type) AS order_type,
        m00010_canonical(t.payment_method, l.payment_method) AS payment_method,
        m00010_canonical(t.easy_ship_shipment_status, l.easy_ship_shipment_status) AS easy_ship_shipment_status,
        m00010_canonical(t.electronic_invoice_status, l.electronic_invoice_status) AS electronic_invoice_status,
        m00010_canonical(t.buyer_invoice_preference, l.buyer_invoice_preference) AS buyer_invoice_preference
    FROM orders t, lists l
)
UPDATE orders t SET
    order_status = r.order_status,
    fulfillment_channel = r.fulfillment_channel,
    order_type = r.order_type,
    payment_method = r.payment_method,
    easy_ship_shipment_status = r.easy_ship_shipment_status,
    electronic_invoice_status = r.electronic_invoice_status,
    buyer_invoice_preference = r.buyer_invoice_preference,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.amazon_order_id) = (r.account_id, r.amazon_order_id)
  AND (t.order_status, t.fulfillment_channel, t.order_type, t.payment_method, t.easy_ship_shipment_status, t.electronic_invoice_status, t.buyer_invoice_preference)
      IS DISTINCT FROM (r.order_status, r.fulfillment_channel, r.order_type, r.payment_method, r.easy_ship_shipment_status, r.electronic_invoice_status, r.buyer_invoice_preference);

WITH lists AS (SELECT
        m00010_keymap(ARRAY['IOSS', 'UOSS']) AS deemed_reseller_category
), respelled AS (
    SELECT t.account_id, t.amazon_order_id, t.order_item_id,
        m00010_canonical(t.deemed_reseller_category, l.deemed_reseller_category) AS deemed_reseller_category
    FROM order_items t, lists l
)
UPDATE order_items t SET
    deemed_reseller_category = r.deemed_reseller_category,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.amazon_order_id, t.order_item_id) = (r.account_id, r.amazon_order_id, r.order_item_id)
  AND t.deemed_reseller_category IS DISTINCT FROM r.deemed_reseller_category;

WITH lists AS (SELECT
        m00010_keymap(ARRAY['New', 'Received', 'Planning', 'Processing', 'Cancelled', 'Complete', 'CompletePartialled', 'Unfulfillable', 'Invalid'],
            aliases => ARRAY['Canceled', 'Cancelled']) AS fulfillment_order_status,
        m00010_keymap(ARRAY['Standard', 'Expedited', 'Priority', 'ScheduledDelivery']) AS shipping_speed_category,
        m00010_keymap(ARRAY['Ship', 'Hold']) AS fulfillment_action,
        m00010_keymap(ARRAY['FillOrKill', 'FillAll', 'FillAllAvailable']) AS fulfillment_policy
), respelled AS (
    SELECT t.account_id, t.seller_fulfillment_order_id,
        m00010_canonical(t.fulfillment_order_status, l.fulfillment_order_status) AS fulfillment_order_status,
        m00010_canonical(t.shipping_speed_category, l.shipping_speed_category) AS shipping_speed_category,
        m00010_canonical(t.fulfillment_action, l.fulfillment_action) AS fulfillment_action,
        m00010_canonical(t.fulfillment_policy, l.fulfillment_policy) AS fulfillment_policy
    FROM fulfillment_orders t, lists l
)
UPDATE fulfillment_orders t SET
    fulfillment_order_status = r.fulfillment_order_status,
    shipping_speed_category = r.shipping_speed_category,
    fulfillment_action = r.fulfillment_action,
    fulfillment_policy = r.fulfillment_policy,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.seller_fulfillment_order_id) = (r.account_id, r.seller_fulfillment_order_id)
  AND (t.fulfillment_order_status, t.shipping_speed_category, t.fulfillment_action, t.fulfillment_policy)
      IS DISTINCT FROM (r.fulfillment_order_status, r.shipping_speed_category, r.fulfillment_action, r.fulfillment_policy);

WITH lists AS (SELECT
        m00010_keymap(ARRAY['PENDING', 'SHIPPED', 'CANCELLED_BY_FULFILLER', 'CANCELLED_BY_SELLER']) AS fulfillment_shipment_status
), respelled AS (
    SELECT t.account_id, t.seller_fulfillment_order_id, t.amazon_shipment_id,
        m00010_canonical(t.fulfillment_shipment_status, l.fulfillment_shipment_status) AS fulfillment_shipment_status
    FROM fulfillment_shipments t, lists l
)
UPDATE fulfillment_shipments t SET
    fulfillment_shipment_status = r.fulfillment_shipment_status,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.seller_fulfillment_order_id, t.amazon_shipment_id) = (r.account_id, r.seller_fulfillment_order_id, r.amazon_shipment_id)
  AND t.fulfillment_shipment_status IS DISTINCT FROM r.fulfillment_shipment_status;

WITH lists AS (SELECT
        m00010_keymap(ARRAY['New', 'Processed']) AS status,
        m00010_keymap(ARRAY['Sellable', 'Defective', 'CustomerDamaged', 'CarrierDamaged', 'FulfillerDamaged']) AS return_received_condition
), respelled AS (
    SELECT t.account_id, t.seller_fulfillment_order_id, t.seller_return_item_id,
        m00010_canonical(t.status, l.status) AS status,
        m00010_canonical(t.return_received_condition, l.return_received_condition) AS return_received_condition
    FROM fulfillment_return_items t, lists l
)
UPDATE fulfillment_return_items t SET
    status = r.status,
    return_received_condition = r.return_received_condition,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.seller_fulfillment_order_id, t.seller_return_item_id) = (r.account_id, r.seller_fulfillment_order_id, r.seller_return_item_id)
  AND (t.status, t.return_received_condition)
      IS DISTINCT FROM (r.status, r.return_received_condition);

WITH lists AS (SELECT
        m00010_keymap(ARRAY['IN_TRANSIT', 'DELIVERED', 'RETURNING', 'RETURNED', 'UNDELIVERABLE', 'DELAYED', 'AVAILABLE_FOR_PICKUP',
            'CUSTOMER_ACTION', 'UNKNOWN', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPTED', 'PICKUP_SUCCESSFUL', 'PICKUP_CANCELLED',
            'PICKUP_ATTEMPTED', 'PICKUP_SCHEDULED', 'RETURN_REQUEST_ACCEPTED', 'REFUND_ISSUED', 'RETURN_RECEIVED_IN_FC']) AS current_status
), respelled AS (
    SELECT t.account_id, t.package_number,
        m00010_canonical(t.current_status, l.current_status) AS current_status
    FROM package_tracking t, lists l
)
UPDATE package_tracking t SET
    current_status = r.current_status,
    -- store.IsTerminalTrackingStatus of the respelled status.
    terminal = r.current_status IN ('DELIVERED', 'RETURNED', 'RETURN_RECEIVED_IN_FC', 'REFUND_ISSUED'),
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.package_number) = (r.account_id, r.package_number)
  AND t.current_status IS DISTINCT FROM r.current_status;

WITH lists AS (SELECT
        m00010_keymap(ARRAY['NOT_SERVICED', 'CANCELLED', 'COMPLETED', 'PENDING_SCHEDULE', 'NOT_FULFILLABLE', 'HOLD', 'PAYMENT_DECLINED'],
            aliases => ARRAY['CANCELED', 'CANCELLED']) AS service_job_status,
        m00010_keymap(ARRAY['IN_HOME', 'IN_STORE', 'ONLINE']) AS service_location_type
), respelled AS (
    SELECT t.account_id, t.service_job_id,
        m00010_canonical(t.service_job_status, l.service_job_status) AS service_job_status,
        m00010_canonical(t.service_location_type, l.service_location_type) AS service_location_type
    FROM service_jobs t, lists l
)
UPDATE service_jobs t SET
    service_job_status = r.service_job_status,
    service_location_type = r.service_location_type,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.service_job_id) = (r.account_id, r.service_job_id)
  AND (t.service_job_status, t.service_location_type)
      IS DISTINCT FROM (r.service_job_status, r.service_location_type);

WITH lists AS (SELECT
        m00010_keymap(ARRAY['ACTIVE', 'CANCELLED', 'COMPLETED'], aliases => ARRAY['CANCELED', 'CANCELLED']) AS appointment_status
), respelled AS (
    SELECT t.account_id, t.service_job_id, t.appointment_id,
        m00010_canonical(t.appointment_status, l.appointment_status) AS appointment_status
    FROM service_job_appointments t, lists l
)
UPDATE service_job_appointments t SET
    appointment_status = r.appointment_status,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.service_job_id, t.appointment_id) = (r.account_id, r.service_job_id, r.appointment_id)
  AND t.appointment_status IS DISTINCT FROM r.appointment_status;

WITH lists AS (SELECT
        m00010_keymap(ARRAY['ACTIVE', 'CANCELLED', 'SHIPPED', 'DELIVERED']) AS item_status
), respelled AS (
    SELECT t.account_id, t.service_job_id, t.item_index,
        m00010_canonical(t.item_status, l.item_status) AS item_status
    FROM service_job_items t, lists l
)
UPDATE service_job_items t SET
    item_status = r.item_status,
    sync_version = nextval('sync_version_seq'),
    synced_at = now()
FROM respelled r
WHERE (t.account_id, t.service_job_id, t.item_index) = (r.account_id, r.service_job_id, r.item_index)
  AND t.item_status IS DISTINCT FROM r.item_status;

DROP FUNCTION m00010_canonical(text, jsonb);
DROP FUNCTION m00010_keymap(text[], text[]);
DROP FUNCTION m00010_enum_key(text);

-- The comments of enum columns say which spelling they hold.
COMMENT ON COLUMN orders.order_status IS 'OrderStatus: Pending, Unshipped, PartiallyShipped, Shipped, Canceled, Unfulfillable, InvoiceUnconfirmed or PendingAvailability, in the model''s spelling whatever case or underscores Amazon sent (a value outside the list is kept as sent); raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.fulfillment_channel IS 'FulfillmentChannel: AFN (fulfilled by Amazon) or MFN (by the seller), in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.order_type IS 'OrderType: StandardOrder, LongLeadTimeOrder, Preorder, BackOrder or SourcingOnDemandOrder, in the model''s spelling (a value outside the list is kept as sent); raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.payment_method IS 'PaymentMethod: COD, CVS or Other, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.easy_ship_shipment_status IS 'EasyShipShipmentStatus, Easy Ship orders only: PendingSchedule, PendingPickUp, PendingDropOff, LabelCanceled, PickedUp, DroppedOff, AtOriginFC, AtDestinationFC, Delivered, RejectedByBuyer, Undeliverable, ReturningToSeller, ReturnedToSeller, Lost, OutForDelivery or Damaged, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.electronic_invoice_status IS 'ElectronicInvoiceStatus, where electronic invoicing applies: NotRequired, NotFound, Processing, Errored or Accepted, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN orders.buyer_invoice_preference IS 'BuyerInvoicePreference: INDIVIDUAL or BUSINESS, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN order_items.deemed_reseller_category IS 'DeemedResellerCategory: IOSS or UOSS, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_orders.fulfillment_order_status IS 'fulfillmentOrderStatus: New, Received, Planning, Processing, Cancelled, Complete, CompletePartialled, Unfulfillable or Invalid, in the model''s spelling whatever case or underscores Amazon sent (COMPLETE is stored as Complete; a value outside the list is kept as sent); raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_orders.shipping_speed_category IS 'shippingSpeedCategory: Standard, Expedited, Priority or ScheduledDelivery, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_orders.fulfillment_action IS 'fulfillmentAction: Ship or Hold, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_orders.fulfillment_policy IS 'fulfillmentPolicy: FillOrKill, FillAll or FillAllAvailable, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_shipments.fulfillment_shipment_status IS 'fulfillmentShipmentStatus: PENDING, SHIPPED, CANCELLED_BY_FULFILLER or CANCELLED_BY_SELLER, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_return_items.status IS 'status of the return: New or Processed, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN fulfillment_return_items.return_received_condition IS 'returnReceivedCondition: Sellable, Defective, CustomerDamaged, CarrierDamaged or FulfillerDamaged, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN package_tracking.current_status IS 'currentStatus: IN_TRANSIT, DELIVERED, RETURNING, RETURNED, UNDELIVERABLE, DELAYED, AVAILABLE_FOR_PICKUP, CUSTOMER_ACTION, UNKNOWN, OUT_FOR_DELIVERY, DELIVERY_ATTEMPTED, PICKUP_SUCCESSFUL, PICKUP_CANCELLED, PICKUP_ATTEMPTED, PICKUP_SCHEDULED, RETURN_REQUEST_ACCEPTED, REFUND_ISSUED or RETURN_RECEIVED_IN_FC, in the model''s spelling whatever case Amazon sent (a value outside the list is kept as sent); raw keeps Amazon''s text.';
COMMENT ON COLUMN service_jobs.service_job_status IS 'serviceJobStatus: NOT_SERVICED, CANCELLED, COMPLETED, PENDING_SCHEDULE, NOT_FULFILLABLE, HOLD or PAYMENT_DECLINED, in the model''s spelling whatever case Amazon sent (a value outside the list is kept as sent; raw keeps Amazon''s text). Every status but COMPLETED and CANCELLED (and NULL) counts as open and is refreshed.';
COMMENT ON COLUMN service_jobs.service_location_type IS 'serviceLocation.serviceLocationType: IN_HOME, IN_STORE or ONLINE, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN service_job_appointments.appointment_status IS 'appointmentStatus: ACTIVE, CANCELLED or COMPLETED, in the model''s spelling; raw keeps Amazon''s text.';
COMMENT ON COLUMN service_job_items.item_status IS 'itemStatus: ACTIVE, CANCELLED, SHIPPED or DELIVERED, in the model''s spelling; raw keeps Amazon''s text.';

-- +goose Down
-- Nothing to undo: the values this migration respelled were Amazon's
-- spelling of the same enum value, and Amazon's text is still in raw. The
-- column comments stay, since the typed columns keep the model's spelling.
SELECT 1;
