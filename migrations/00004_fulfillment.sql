-- +goose Up
-- Multi-Channel Fulfillment (Fulfillment Outbound 2020-07-01): fulfillment
-- orders with their items, shipments, shipment items, packages and return
-- items, and the carrier tracking of each package.
--
-- Conventions (as for orders): every key starts with account_id; typed
-- columns are the snake_case of Amazon's field; raw keeps the entity exactly
-- as Amazon sent it; sync_version (from sync_version_seq) and synced_at move
-- only when the payload changes, so
--   SELECT ... FROM <table> WHERE sync_version > $last ORDER BY sync_version
-- reads every change. Children Amazon stops listing are deleted in the same
-- transaction that writes the order's current children. Of the destination
-- address only city, district, state, postal code and country are typed; the
-- name, street lines and phone (PII) are not.

CREATE TABLE fulfillment_orders (
    account_id                             text        NOT NULL,
    seller_fulfillment_order_id            text        NOT NULL,
    marketplace_id                         text,
    displayable_order_id                   text,
    displayable_order_date                 timestamptz,
    displayable_order_comment              text,
    shipping_speed_category                text,
    delivery_window_start_date             timestamptz,
    delivery_window_end_date               timestamptz,
    destination_address_city               text,
    destination_address_district_or_county text,
    destination_address_state_or_region    text,
    destination_address_postal_code        text,
    destination_address_country_code       text,
    fulfillment_action                     text,
    fulfillment_policy                     text,
    received_date                          timestamptz NOT NULL,
    fulfillment_order_status               text        NOT NULL,
    status_updated_date                    timestamptz NOT NULL,
    return_authorizations                  jsonb,
    payment_information                    jsonb,
    detail_status_updated_date             timestamptz,
    raw                                    jsonb       NOT NULL,
    sync_version                           bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id)
);

CREATE INDEX fulfillment_orders_status_updated_date_idx ON fulfillment_orders (account_id, status_updated_date);
CREATE INDEX fulfillment_orders_received_date_idx ON fulfillment_orders (account_id, received_date);
CREATE INDEX fulfillment_orders_status_idx ON fulfillment_orders (account_id, fulfillment_order_status, status_updated_date);
CREATE INDEX fulfillment_orders_sync_version_idx ON fulfillment_orders (sync_version);
CREATE INDEX fulfillment_orders_detail_behind_idx ON fulfillment_orders (account_id, status_updated_date)
    WHERE detail_status_updated_date IS DISTINCT FROM status_updated_date;

COMMENT ON TABLE fulfillment_orders IS 'Multi-Channel Fulfillment orders (SP-API Fulfillment Outbound 2020-07-01 listAllFulfillmentOrders / getFulfillmentOrder), one row per account and sellerFulfillmentOrderId. Typed columns are snake_case of Amazon''s fields; raw is the order header. sync_version moves only when the content changes: read changes with WHERE sync_version > $last ORDER BY sync_version.';
COMMENT ON COLUMN fulfillment_orders.account_id IS 'The spsync account (selling partner + application) the order belongs to.';
COMMENT ON COLUMN fulfillment_orders.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId: the seller''s id of the fulfillment order.';
COMMENT ON COLUMN fulfillment_orders.marketplace_id IS 'marketplaceId the order was placed in.';
COMMENT ON COLUMN fulfillment_orders.displayable_order_id IS 'displayableOrderId: the order id shown to the recipient (packing slip).';
COMMENT ON COLUMN fulfillment_orders.displayable_order_date IS 'displayableOrderDate: the order date shown to the recipient.';
COMMENT ON COLUMN fulfillment_orders.displayable_order_comment IS 'displayableOrderComment: text printed on the packing slip.';
COMMENT ON COLUMN fulfillment_orders.shipping_speed_category IS 'shippingSpeedCategory: Standard, Expedited, Priority or ScheduledDelivery.';
COMMENT ON COLUMN fulfillment_orders.delivery_window_start_date IS 'deliveryWindow.startDate, ScheduledDelivery orders only.';
COMMENT ON COLUMN fulfillment_orders.delivery_window_end_date IS 'deliveryWindow.endDate, ScheduledDelivery orders only.';
COMMENT ON COLUMN fulfillment_orders.destination_address_city IS 'destinationAddress.city (not PII; name, street lines and phone stay out of typed columns).';
COMMENT ON COLUMN fulfillment_orders.destination_address_district_or_county IS 'destinationAddress.districtOrCounty.';
COMMENT ON COLUMN fulfillment_orders.destination_address_state_or_region IS 'destinationAddress.stateOrRegion.';
COMMENT ON COLUMN fulfillment_orders.destination_address_postal_code IS 'destinationAddress.postalCode.';
COMMENT ON COLUMN fulfillment_orders.destination_address_country_code IS 'destinationAddress.countryCode (ISO 3166-1 alpha-2).';
COMMENT ON COLUMN fulfillment_orders.fulfillment_action IS 'fulfillmentAction: Ship or Hold.';
COMMENT ON COLUMN fulfillment_orders.fulfillment_policy IS 'fulfillmentPolicy: FillOrKill, FillAll or FillAllAvailable.';
COMMENT ON COLUMN fulfillment_orders.received_date IS 'receivedDate: when Amazon received the order.';
COMMENT ON COLUMN fulfillment_orders.fulfillment_order_status IS 'fulfillmentOrderStatus: New, Received, Planning, Processing, Cancelled, Complete, CompletePartialled, Unfulfillable or Invalid.';
COMMENT ON COLUMN fulfillment_orders.status_updated_date IS 'statusUpdatedDate: when the status last changed. Never moves backwards here: an older copy of the order does not overwrite a newer one.';
COMMENT ON COLUMN fulfillment_orders.return_authorizations IS 'returnAuthorizations of getFulfillmentOrder as Amazon sent them (jsonb array); NULL until the order''s detail was fetched.';
COMMENT ON COLUMN fulfillment_orders.payment_information IS 'paymentInformation of getFulfillmentOrder as Amazon sent it (jsonb array); NULL when Amazon sent none or the detail was not fetched yet.';
COMMENT ON COLUMN fulfillment_orders.detail_status_updated_date IS 'Worker state: the statusUpdatedDate of the getFulfillmentOrder answer the child tables were last written from. NULL = detail never fetched; different from status_updated_date = the children may be behind.';
COMMENT ON COLUMN fulfillment_orders.raw IS 'The order header (fulfillmentOrder) exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN fulfillment_orders.sync_version IS 'From sync_version_seq; moves only when the content changes. Read changes with WHERE sync_version > $last.';
COMMENT ON COLUMN fulfillment_orders.synced_at IS 'When this row''s content was last written.';

CREATE TABLE fulfillment_order_items (
    account_id                       text        NOT NULL,
    seller_fulfillment_order_id      text        NOT NULL,
    seller_fulfillment_order_item_id text        NOT NULL,
    seller_sku                       text,
    quantity                         integer     NOT NULL,
    gift_message                     text,
    displayable_comment              text,
    fulfillment_network_sku          text,
    order_item_disposition           text,
    cancelled_quantity               integer     NOT NULL,
    unfulfillable_quantity           integer     NOT NULL,
    estimated_ship_date              timestamptz,
    estimated_arrival_date           timestamptz,
    per_unit_price_amount            numeric,
    per_unit_price_currency          text,
    per_unit_tax_amount              numeric,
    per_unit_tax_currency            text,
    per_unit_declared_value_amount   numeric,
    per_unit_declared_value_currency text,
    raw                              jsonb       NOT NULL,
    sync_version                     bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id, seller_fulfillment_order_item_id)
);

CREATE INDEX fulfillment_order_items_sync_version_idx ON fulfillment_order_items (sync_version);
CREATE INDEX fulfillment_order_items_seller_sku_idx ON fulfillment_order_items (account_id, seller_sku);

COMMENT ON TABLE fulfillment_order_items IS 'Items of fulfillment orders (getFulfillmentOrder fulfillmentOrderItems), one row per account, sellerFulfillmentOrderId and sellerFulfillmentOrderItemId. Items Amazon stops listing are deleted. sync_version moves only when the item''s payload changes.';
COMMENT ON COLUMN fulfillment_order_items.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN fulfillment_order_items.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId of the parent order (fulfillment_orders).';
COMMENT ON COLUMN fulfillment_order_items.seller_fulfillment_order_item_id IS 'sellerFulfillmentOrderItemId, unique within the order.';
COMMENT ON COLUMN fulfillment_order_items.seller_sku IS 'sellerSku.';
COMMENT ON COLUMN fulfillment_order_items.quantity IS 'quantity ordered.';
COMMENT ON COLUMN fulfillment_order_items.gift_message IS 'giftMessage.';
COMMENT ON COLUMN fulfillment_order_items.displayable_comment IS 'displayableComment: item comment shown to the recipient.';
COMMENT ON COLUMN fulfillment_order_items.fulfillment_network_sku IS 'fulfillmentNetworkSku (FNSKU).';
COMMENT ON COLUMN fulfillment_order_items.order_item_disposition IS 'orderItemDisposition, e.g. Sellable or Unsellable.';
COMMENT ON COLUMN fulfillment_order_items.cancelled_quantity IS 'cancelledQuantity.';
COMMENT ON COLUMN fulfillment_order_items.unfulfillable_quantity IS 'unfulfillableQuantity.';
COMMENT ON COLUMN fulfillment_order_items.estimated_ship_date IS 'estimatedShipDate.';
COMMENT ON COLUMN fulfillment_order_items.estimated_arrival_date IS 'estimatedArrivalDate.';
COMMENT ON COLUMN fulfillment_order_items.per_unit_price_amount IS 'perUnitPrice amount, exact decimal. NULL when Amazon sent no price (never zero by default).';
COMMENT ON COLUMN fulfillment_order_items.per_unit_price_currency IS 'perUnitPrice.currencyCode (ISO 4217).';
COMMENT ON COLUMN fulfillment_order_items.per_unit_tax_amount IS 'perUnitTax amount, exact decimal.';
COMMENT ON COLUMN fulfillment_order_items.per_unit_tax_currency IS 'perUnitTax.currencyCode.';
COMMENT ON COLUMN fulfillment_order_items.per_unit_declared_value_amount IS 'perUnitDeclaredValue amount, exact decimal.';
COMMENT ON COLUMN fulfillment_order_items.per_unit_declared_value_currency IS 'perUnitDeclaredValue.currencyCode.';
COMMENT ON COLUMN fulfillment_order_items.raw IS 'The item exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN fulfillment_order_items.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN fulfillment_order_items.synced_at IS 'When this row''s content was last written.';

CREATE TABLE fulfillment_shipments (
    account_id                  text        NOT NULL,
    seller_fulfillment_order_id text        NOT NULL,
    amazon_shipment_id          text        NOT NULL,
    fulfillment_center_id       text,
    fulfillment_shipment_status text,
    shipping_date               timestamptz,
    estimated_arrival_date      timestamptz,
    shipping_notes              text[],
    raw                         jsonb       NOT NULL,
    sync_version                bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id, amazon_shipment_id)
);

CREATE INDEX fulfillment_shipments_sync_version_idx ON fulfillment_shipments (sync_version);
CREATE INDEX fulfillment_shipments_shipping_date_idx ON fulfillment_shipments (account_id, shipping_date);
CREATE INDEX fulfillment_shipments_amazon_shipment_id_idx ON fulfillment_shipments (account_id, amazon_shipment_id);

COMMENT ON TABLE fulfillment_shipments IS 'Shipments of fulfillment orders (getFulfillmentOrder fulfillmentShipments), one row per account, sellerFulfillmentOrderId and amazonShipmentId. Their items and packages are in fulfillment_shipment_items and fulfillment_shipment_packages. Shipments Amazon stops listing are deleted.';
COMMENT ON COLUMN fulfillment_shipments.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN fulfillment_shipments.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId of the parent order.';
COMMENT ON COLUMN fulfillment_shipments.amazon_shipment_id IS 'amazonShipmentId.';
COMMENT ON COLUMN fulfillment_shipments.fulfillment_center_id IS 'fulfillmentCenterId the shipment leaves from.';
COMMENT ON COLUMN fulfillment_shipments.fulfillment_shipment_status IS 'fulfillmentShipmentStatus: PENDING, SHIPPED, CANCELLED_BY_FULFILLER or CANCELLED_BY_SELLER.';
COMMENT ON COLUMN fulfillment_shipments.shipping_date IS 'shippingDate: when the shipment left; NULL while PENDING.';
COMMENT ON COLUMN fulfillment_shipments.estimated_arrival_date IS 'estimatedArrivalDate.';
COMMENT ON COLUMN fulfillment_shipments.shipping_notes IS 'shippingNotes as a text array.';
COMMENT ON COLUMN fulfillment_shipments.raw IS 'The shipment exactly as the SP-API returned it, its item and package arrays included (jsonb).';
COMMENT ON COLUMN fulfillment_shipments.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN fulfillment_shipments.synced_at IS 'When this row''s content was last written.';

CREATE TABLE fulfillment_shipment_items (
    account_id                       text        NOT NULL,
    seller_fulfillment_order_id      text        NOT NULL,
    amazon_shipment_id               text        NOT NULL,
    ordinal                          integer     NOT NULL,
    seller_sku                       text,
    seller_fulfillment_order_item_id text,
    quantity                         integer     NOT NULL,
    package_number                   integer,
    serial_number                    text,
    manufacturer_lot_codes           text[],
    raw                              jsonb       NOT NULL,
    sync_version                     bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id, amazon_shipment_id, ordinal)
);

CREATE INDEX fulfillment_shipment_items_sync_version_idx ON fulfillment_shipment_items (sync_version);
CREATE INDEX fulfillment_shipment_items_package_number_idx ON fulfillment_shipment_items (account_id, package_number);

COMMENT ON TABLE fulfillment_shipment_items IS 'Items of fulfillment shipments (fulfillmentShipmentItem), one row per account, order, amazonShipmentId and position. Amazon gives these lines no id of their own (one item may be split over packages or listed per serial number), so the key is the line''s position in Amazon''s list. Lines Amazon stops listing are deleted.';
COMMENT ON COLUMN fulfillment_shipment_items.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN fulfillment_shipment_items.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId of the parent order.';
COMMENT ON COLUMN fulfillment_shipment_items.amazon_shipment_id IS 'amazonShipmentId of the parent shipment (fulfillment_shipments).';
COMMENT ON COLUMN fulfillment_shipment_items.ordinal IS 'Position of the line in the shipment''s fulfillmentShipmentItem array, from 1.';
COMMENT ON COLUMN fulfillment_shipment_items.seller_sku IS 'sellerSku.';
COMMENT ON COLUMN fulfillment_shipment_items.seller_fulfillment_order_item_id IS 'sellerFulfillmentOrderItemId: the order item (fulfillment_order_items) this quantity belongs to.';
COMMENT ON COLUMN fulfillment_shipment_items.quantity IS 'quantity in this shipment (and package).';
COMMENT ON COLUMN fulfillment_shipment_items.package_number IS 'packageNumber of the package holding it (fulfillment_shipment_packages); NULL before the shipment is packed.';
COMMENT ON COLUMN fulfillment_shipment_items.serial_number IS 'serialNumber, for serialized items.';
COMMENT ON COLUMN fulfillment_shipment_items.manufacturer_lot_codes IS 'manufacturerLotCodes as a text array.';
COMMENT ON COLUMN fulfillment_shipment_items.raw IS 'The line exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN fulfillment_shipment_items.sync_version IS 'From sync_version_seq; moves only when raw or the position changes.';
COMMENT ON COLUMN fulfillment_shipment_items.synced_at IS 'When this row''s content was last written.';

CREATE TABLE fulfillment_shipment_packages (
    account_id                         text        NOT NULL,
    seller_fulfillment_order_id        text        NOT NULL,
    amazon_shipment_id                 text        NOT NULL,
    package_number                     integer     NOT NULL,
    carrier_code                       text,
    tracking_number                    text,
    amazon_fulfillment_tracking_number text,
    estimated_arrival_date             timestamptz,
    first_seen_at                      timestamptz NOT NULL DEFAULT now(),
    raw                                jsonb       NOT NULL,
    sync_version                       bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id, amazon_shipment_id, package_number)
);

CREATE INDEX fulfillment_shipment_packages_sync_version_idx ON fulfillment_shipment_packages (sync_version);
CREATE INDEX fulfillment_shipment_packages_package_number_idx ON fulfillment_shipment_packages (account_id, package_number);
CREATE INDEX fulfillment_shipment_packages_tracking_number_idx ON fulfillment_shipment_packages (account_id, tracking_number);

COMMENT ON TABLE fulfillment_shipment_packages IS 'Packages of fulfillment shipments (fulfillmentShipmentPackage), one row per account, order, amazonShipmentId and packageNumber. package_number is the key of package_tracking. Packages Amazon stops listing are deleted.';
COMMENT ON COLUMN fulfillment_shipment_packages.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN fulfillment_shipment_packages.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId of the parent order.';
COMMENT ON COLUMN fulfillment_shipment_packages.amazon_shipment_id IS 'amazonShipmentId of the parent shipment.';
COMMENT ON COLUMN fulfillment_shipment_packages.package_number IS 'packageNumber: Amazon''s package id, the argument of getPackageTrackingDetails (package_tracking.package_number).';
COMMENT ON COLUMN fulfillment_shipment_packages.carrier_code IS 'carrierCode, e.g. UPS, USPS, AMZN_US.';
COMMENT ON COLUMN fulfillment_shipment_packages.tracking_number IS 'trackingNumber of the carrier.';
COMMENT ON COLUMN fulfillment_shipment_packages.amazon_fulfillment_tracking_number IS 'amazonFulfillmentTrackingNumber, when Amazon sends one.';
COMMENT ON COLUMN fulfillment_shipment_packages.estimated_arrival_date IS 'estimatedArrivalDate.';
COMMENT ON COLUMN fulfillment_shipment_packages.first_seen_at IS 'Worker state: when spsync first stored the package (database clock); never changes afterwards.';
COMMENT ON COLUMN fulfillment_shipment_packages.raw IS 'The package exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN fulfillment_shipment_packages.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN fulfillment_shipment_packages.synced_at IS 'When this row''s content was last written.';

CREATE TABLE fulfillment_return_items (
    account_id                       text        NOT NULL,
    seller_fulfillment_order_id      text        NOT NULL,
    seller_return_item_id            text        NOT NULL,
    seller_fulfillment_order_item_id text,
    amazon_shipment_id               text,
    seller_return_reason_code        text,
    return_comment                   text,
    amazon_return_reason_code        text,
    status                           text,
    status_changed_date              timestamptz,
    return_authorization_id          text,
    return_received_condition        text,
    fulfillment_center_id            text,
    raw                              jsonb       NOT NULL,
    sync_version                     bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, seller_fulfillment_order_id, seller_return_item_id)
);

CREATE INDEX fulfillment_return_items_sync_version_idx ON fulfillment_return_items (sync_version);
CREATE INDEX fulfillment_return_items_status_changed_date_idx ON fulfillment_return_items (account_id, status_changed_date);

COMMENT ON TABLE fulfillment_return_items IS 'Items returned against fulfillment orders (getFulfillmentOrder returnItems), one row per account, order and sellerReturnItemId. Return items Amazon stops listing are deleted.';
COMMENT ON COLUMN fulfillment_return_items.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN fulfillment_return_items.seller_fulfillment_order_id IS 'sellerFulfillmentOrderId of the parent order.';
COMMENT ON COLUMN fulfillment_return_items.seller_return_item_id IS 'sellerReturnItemId.';
COMMENT ON COLUMN fulfillment_return_items.seller_fulfillment_order_item_id IS 'sellerFulfillmentOrderItemId of the returned order item.';
COMMENT ON COLUMN fulfillment_return_items.amazon_shipment_id IS 'amazonShipmentId the item was shipped in.';
COMMENT ON COLUMN fulfillment_return_items.seller_return_reason_code IS 'sellerReturnReasonCode.';
COMMENT ON COLUMN fulfillment_return_items.return_comment IS 'returnComment.';
COMMENT ON COLUMN fulfillment_return_items.amazon_return_reason_code IS 'amazonReturnReasonCode.';
COMMENT ON COLUMN fulfillment_return_items.status IS 'status of the return: New or Processed.';
COMMENT ON COLUMN fulfillment_return_items.status_changed_date IS 'statusChangedDate.';
COMMENT ON COLUMN fulfillment_return_items.return_authorization_id IS 'returnAuthorizationId (see fulfillment_orders.return_authorizations).';
COMMENT ON COLUMN fulfillment_return_items.return_received_condition IS 'returnReceivedCondition: Sellable, Defective, CustomerDamaged, CarrierDamaged or FulfillerDamaged.';
COMMENT ON COLUMN fulfillment_return_items.fulfillment_center_id IS 'fulfillmentCenterId that received the return.';
COMMENT ON COLUMN fulfillment_return_items.raw IS 'The return item exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN fulfillment_return_items.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN fulfillment_return_items.synced_at IS 'When this row''s content was last written.';

-- package_tracking holds the latest getPackageTrackingDetails answer per
-- package. terminal marks the statuses after which the worker stops
-- refreshing (store.IsTerminalTrackingStatus documents the set).
CREATE TABLE package_tracking (
    account_id                 text        NOT NULL,
    package_number             integer     NOT NULL,
    tracking_number            text,
    customer_tracking_link     text,
    carrier_code               text,
    carrier_phone_number       text,
    carrier_url                text,
    ship_date                  timestamptz,
    estimated_arrival_date     timestamptz,
    ship_to_address_city       text,
    ship_to_address_state      text,
    ship_to_address_country    text,
    current_status             text,
    current_status_description text,
    signed_for_by              text,
    additional_location_info   text,
    terminal                   boolean     NOT NULL,
    first_seen_at              timestamptz NOT NULL DEFAULT now(),
    raw                        jsonb       NOT NULL,
    sync_version               bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, package_number)
);

CREATE INDEX package_tracking_sync_version_idx ON package_tracking (sync_version);
CREATE INDEX package_tracking_current_status_idx ON package_tracking (account_id, current_status);
CREATE INDEX package_tracking_tracking_number_idx ON package_tracking (account_id, tracking_number);
CREATE INDEX package_tracking_open_idx ON package_tracking (account_id, first_seen_at) WHERE NOT terminal;

COMMENT ON TABLE package_tracking IS 'Carrier tracking of fulfillment packages (SP-API getPackageTrackingDetails), one row per account and packageNumber (fulfillment_shipment_packages.package_number). Events are in package_tracking_events. sync_version moves only when the payload changes.';
COMMENT ON COLUMN package_tracking.account_id IS 'The spsync account the package belongs to.';
COMMENT ON COLUMN package_tracking.package_number IS 'packageNumber (fulfillment_shipment_packages.package_number).';
COMMENT ON COLUMN package_tracking.tracking_number IS 'trackingNumber of the carrier.';
COMMENT ON COLUMN package_tracking.customer_tracking_link IS 'customerTrackingLink: the swiship.com page where the recipient tracks the package.';
COMMENT ON COLUMN package_tracking.carrier_code IS 'carrierCode.';
COMMENT ON COLUMN package_tracking.carrier_phone_number IS 'carrierPhoneNumber (the carrier''s, not the recipient''s).';
COMMENT ON COLUMN package_tracking.carrier_url IS 'carrierURL: the carrier''s web site.';
COMMENT ON COLUMN package_tracking.ship_date IS 'shipDate.';
COMMENT ON COLUMN package_tracking.estimated_arrival_date IS 'estimatedArrivalDate.';
COMMENT ON COLUMN package_tracking.ship_to_address_city IS 'shipToAddress.city.';
COMMENT ON COLUMN package_tracking.ship_to_address_state IS 'shipToAddress.state.';
COMMENT ON COLUMN package_tracking.ship_to_address_country IS 'shipToAddress.country.';
COMMENT ON COLUMN package_tracking.current_status IS 'currentStatus: IN_TRANSIT, DELIVERED, RETURNING, RETURNED, UNDELIVERABLE, DELAYED, AVAILABLE_FOR_PICKUP, CUSTOMER_ACTION, UNKNOWN, OUT_FOR_DELIVERY, DELIVERY_ATTEMPTED, PICKUP_SUCCESSFUL, PICKUP_CANCELLED, PICKUP_ATTEMPTED, PICKUP_SCHEDULED, RETURN_REQUEST_ACCEPTED, REFUND_ISSUED or RETURN_RECEIVED_IN_FC.';
COMMENT ON COLUMN package_tracking.current_status_description IS 'currentStatusDescription.';
COMMENT ON COLUMN package_tracking.signed_for_by IS 'signedForBy: who signed for the delivery.';
COMMENT ON COLUMN package_tracking.additional_location_info IS 'additionalLocationInfo: where the package was left, e.g. FRONT_DOOR, MAILBOX, NEIGHBOR.';
COMMENT ON COLUMN package_tracking.terminal IS 'Worker state: true when current_status is final (DELIVERED, RETURNED, RETURN_RECEIVED_IN_FC, REFUND_ISSUED) and the package is no longer refreshed. UNDELIVERABLE is not final: such packages go on to RETURNING and RETURNED.';
COMMENT ON COLUMN package_tracking.first_seen_at IS 'Worker state: when spsync first stored tracking for the package (database clock); never changes afterwards.';
COMMENT ON COLUMN package_tracking.raw IS 'The tracking details exactly as the SP-API returned them, events included (jsonb).';
COMMENT ON COLUMN package_tracking.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN package_tracking.synced_at IS 'When this row''s content was last written.';

CREATE TABLE package_tracking_events (
    account_id        text        NOT NULL,
    package_number    integer     NOT NULL,
    event_date        timestamptz NOT NULL,
    event_code        text        NOT NULL,
    ordinal           integer     NOT NULL,
    event_description text,
    city              text,
    state             text,
    country           text,
    raw               jsonb       NOT NULL,
    sync_version      bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, package_number, event_date, event_code)
);

CREATE INDEX package_tracking_events_sync_version_idx ON package_tracking_events (sync_version);
CREATE INDEX package_tracking_events_event_date_idx ON package_tracking_events (account_id, event_date);

COMMENT ON TABLE package_tracking_events IS 'Carrier scans of fulfillment packages (getPackageTrackingDetails trackingEvents), one row per account, packageNumber, eventDate and eventCode (an event repeated with the same date and code is stored once). Events Amazon stops listing are deleted.';
COMMENT ON COLUMN package_tracking_events.account_id IS 'The spsync account the package belongs to.';
COMMENT ON COLUMN package_tracking_events.package_number IS 'packageNumber of the package (package_tracking).';
COMMENT ON COLUMN package_tracking_events.event_date IS 'eventDate of the scan.';
COMMENT ON COLUMN package_tracking_events.event_code IS 'eventCode, e.g. EVENT_101 (see Amazon''s EventCode list).';
COMMENT ON COLUMN package_tracking_events.ordinal IS 'Position of the event in Amazon''s trackingEvents array, from 1.';
COMMENT ON COLUMN package_tracking_events.event_description IS 'eventDescription.';
COMMENT ON COLUMN package_tracking_events.city IS 'eventAddress.city.';
COMMENT ON COLUMN package_tracking_events.state IS 'eventAddress.state.';
COMMENT ON COLUMN package_tracking_events.country IS 'eventAddress.country.';
COMMENT ON COLUMN package_tracking_events.raw IS 'The event exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN package_tracking_events.sync_version IS 'From sync_version_seq; moves only when raw or the position changes.';
COMMENT ON COLUMN package_tracking_events.synced_at IS 'When this row''s content was last written.';

-- fulfillment_poll_progress is the fulfillment orders poller's place in a
-- listAllFulfillmentOrders walk that spans several pages. Each page commits
-- with its rows and the nextToken of the following page, so a poll that is
-- killed or snoozed resumes where it stopped; the row is deleted when the
-- last page commits together with the cursor.
CREATE TABLE fulfillment_poll_progress (
    account_id                  text        NOT NULL,
    scope                       text        NOT NULL,
    query_start_date            timestamptz NOT NULL,
    started_at                  timestamptz NOT NULL,
    next_token                  text        NOT NULL,
    max_status_updated_date     timestamptz,
    pages                       integer     NOT NULL DEFAULT 0,
    rows_written                bigint      NOT NULL DEFAULT 0,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);

COMMENT ON TABLE fulfillment_poll_progress IS 'Worker state: the listAllFulfillmentOrders walk in progress per account and scope, with the queryStartDate it began from, when it began, the greatest statusUpdatedDate seen so far and the paging token of its next page. Empty when no walk is half done.';
COMMENT ON COLUMN fulfillment_poll_progress.account_id IS 'The spsync account polled.';
COMMENT ON COLUMN fulfillment_poll_progress.scope IS 'Distinguishes walks of one account, e.g. the incremental poll from a backfill.';
COMMENT ON COLUMN fulfillment_poll_progress.query_start_date IS 'queryStartDate the walk''s first page was requested with.';
COMMENT ON COLUMN fulfillment_poll_progress.started_at IS 'When the walk''s first page was requested; the cursor may advance to it (less an overlap) when the walk ends.';
COMMENT ON COLUMN fulfillment_poll_progress.next_token IS 'nextToken of the page to request next.';
COMMENT ON COLUMN fulfillment_poll_progress.max_status_updated_date IS 'Greatest statusUpdatedDate among the orders of the pages done so far.';
COMMENT ON COLUMN fulfillment_poll_progress.pages IS 'Pages done so far.';
COMMENT ON COLUMN fulfillment_poll_progress.rows_written IS 'Orders written (new or changed) so far.';
COMMENT ON COLUMN fulfillment_poll_progress.updated_at IS 'When the last page committed.';

-- +goose Down
DROP TABLE fulfillment_poll_progress;
DROP TABLE package_tracking_events;
DROP TABLE package_tracking;
DROP TABLE fulfillment_return_items;
DROP TABLE fulfillment_shipment_packages;
DROP TABLE fulfillment_shipment_items;
DROP TABLE fulfillment_shipments;
DROP TABLE fulfillment_order_items;
DROP TABLE fulfillment_orders;
