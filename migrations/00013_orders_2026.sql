-- +goose Up
-- Orders API 2026-01-01 writes the same orders and order_items rows as
-- Orders v0, with the same meaning in every column both can fill (the README
-- maps each column to its v0 field and its 2026 path). What is new gets typed
-- homes: which API wrote a row, the seller's proceeds (not v0's total),
-- programs, merchant-fulfilled packages, EasyShip shipments and proceeds
-- breakdowns. raw holds the payload of the API that wrote the row.

ALTER TABLE orders
    ADD COLUMN api_version        text NOT NULL DEFAULT 'v0' CHECK (api_version IN ('v0', '2026-01-01')),
    ADD COLUMN proceeds_amount    numeric,
    ADD COLUMN proceeds_currency  text,
    ADD COLUMN programs           text[],
    ADD COLUMN easyship_shipment_ids text[];
-- An order Amazon sends without its fulfillment dataset has no status from
-- that answer: a stored order keeps its status, a new one has none (NULL).
ALTER TABLE orders ALTER COLUMN order_status DROP NOT NULL;

COMMENT ON COLUMN orders.api_version IS 'The Orders API whose answer wrote the row: v0 or 2026-01-01. raw holds that answer''s payload.';
COMMENT ON COLUMN orders.proceeds_amount IS 'proceeds.grandTotal (2026-01-01): what the seller receives, delivery tips included. Not order_total_amount, which keeps v0''s meaning (the order''s charges without tips). NULL from v0 and while Pending.';
COMMENT ON COLUMN orders.proceeds_currency IS 'proceeds.grandTotal.currencyCode.';
COMMENT ON COLUMN orders.programs IS 'programs (2026-01-01): PRIME, AMAZON_BUSINESS, PREMIUM, PREORDER, IN_STORE_PICK_UP, AMAZON_EASY_SHIP, … NULL from v0 (its IsPrime, IsBusinessOrder, … flags are typed as before).';
COMMENT ON COLUMN orders.easyship_shipment_ids IS 'fulfillmentOrders[].fulfillmentOrderId (2026-01-01): EasyShip shipment ids, not Multi-Channel Fulfillment order ids.';
COMMENT ON COLUMN orders.order_status IS 'OrderStatus in Orders v0''s spelling: PendingAvailability, Pending, Unshipped, PartiallyShipped, Shipped, InvoiceUnconfirmed, Canceled or Unfulfillable (2026-01-01 fulfillment.fulfillmentStatus mapped: CANCELLED is Canceled). NULL only for an order Amazon sent without its fulfillment dataset before any status was stored.';

ALTER TABLE order_items
    ADD COLUMN api_version             text NOT NULL DEFAULT 'v0' CHECK (api_version IN ('v0', '2026-01-01')),
    ADD COLUMN unit_price_amount       numeric,
    ADD COLUMN unit_price_currency     text,
    ADD COLUMN proceeds_total_amount   numeric,
    ADD COLUMN proceeds_total_currency text,
    ADD COLUMN programs                text[];

COMMENT ON COLUMN order_items.api_version IS 'The Orders API whose answer wrote the row: v0 (getOrderItems) or 2026-01-01 (items inline).';
COMMENT ON COLUMN order_items.unit_price_amount IS 'product.price.unitPrice (2026-01-01): the price of one unit. item_price_amount is the line (all units), as in v0.';
COMMENT ON COLUMN order_items.unit_price_currency IS 'product.price.unitPrice.currencyCode.';
COMMENT ON COLUMN order_items.proceeds_total_amount IS 'proceeds.proceedsTotal (2026-01-01): what the seller receives for the line.';
COMMENT ON COLUMN order_items.proceeds_total_currency IS 'proceeds.proceedsTotal.currencyCode.';
COMMENT ON COLUMN order_items.programs IS 'programs of the item (2026-01-01): TRANSPARENCY, SUBSCRIBE_AND_SAVE.';

-- order_packages are the packages of merchant-fulfilled orders (2026-01-01
-- packages[], includedData PACKAGES), with the items each holds.
CREATE TABLE order_packages (
    account_id           text        NOT NULL,
    amazon_order_id      text        NOT NULL,
    package_reference_id text        NOT NULL,
    carrier              text,
    tracking_number      text,
    shipping_service     text,
    package_status       text,
    detailed_status      text,
    ship_time            timestamptz,
    created_time         timestamptz,
    raw                  jsonb       NOT NULL,
    sync_version         bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, amazon_order_id, package_reference_id)
);
CREATE INDEX order_packages_sync_version_idx ON order_packages (sync_version);
CREATE INDEX order_packages_tracking_number_idx ON order_packages (account_id, tracking_number);

COMMENT ON TABLE order_packages IS 'Packages of merchant-fulfilled orders (Orders 2026-01-01 packages[]), one row per account, order and packageReferenceId; their items in order_package_items. Packages Amazon stops listing are deleted.';
COMMENT ON COLUMN order_packages.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_packages.amazon_order_id IS 'The order (orders.amazon_order_id).';
COMMENT ON COLUMN order_packages.package_reference_id IS 'packageReferenceId.';
COMMENT ON COLUMN order_packages.carrier IS 'carrier, e.g. UPS.';
COMMENT ON COLUMN order_packages.tracking_number IS 'trackingNumber.';
COMMENT ON COLUMN order_packages.shipping_service IS 'shippingService, e.g. UPS Ground.';
COMMENT ON COLUMN order_packages.package_status IS 'packageStatus.status: PENDING, IN_TRANSIT, SHIPPED, DELIVERED, CANCELLED or UNDELIVERABLE.';
COMMENT ON COLUMN order_packages.detailed_status IS 'packageStatus.detailedStatus.';
COMMENT ON COLUMN order_packages.ship_time IS 'shipTime.';
COMMENT ON COLUMN order_packages.created_time IS 'createdTime.';
COMMENT ON COLUMN order_packages.raw IS 'The package exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN order_packages.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN order_packages.synced_at IS 'When this row''s content was last written.';

CREATE TABLE order_package_items (
    account_id           text    NOT NULL,
    amazon_order_id      text    NOT NULL,
    package_reference_id text    NOT NULL,
    order_item_id        text    NOT NULL,
    quantity             integer NOT NULL,
    PRIMARY KEY (account_id, amazon_order_id, package_reference_id, order_item_id)
);
COMMENT ON TABLE order_package_items IS 'How many units of which item each package of order_packages holds (packages[].packageItems[]).';
COMMENT ON COLUMN order_package_items.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_package_items.amazon_order_id IS 'The order.';
COMMENT ON COLUMN order_package_items.package_reference_id IS 'The package (order_packages.package_reference_id).';
COMMENT ON COLUMN order_package_items.order_item_id IS 'The item (order_items.order_item_id).';
COMMENT ON COLUMN order_package_items.quantity IS 'Units of the item in the package.';

-- order_proceeds holds the proceeds breakdowns BI sums by type: the order's
-- (order_item_id '') and each item's.
CREATE TABLE order_proceeds (
    account_id      text    NOT NULL,
    amazon_order_id text    NOT NULL,
    order_item_id   text    NOT NULL,
    type            text    NOT NULL,
    status          text,
    amount          numeric NOT NULL,
    currency        text    NOT NULL,
    PRIMARY KEY (account_id, amazon_order_id, order_item_id, type)
);
COMMENT ON TABLE order_proceeds IS 'Proceeds breakdowns of Orders 2026-01-01 by type: the order''s (order_item_id empty: ITEM, SHIPPING, TAX, DISCOUNT, DELIVERY_TIP, … aggregated over its items) and each item''s. Amounts add up to orders.proceeds_amount and order_items.proceeds_total_amount; DISCOUNT is negative.';
COMMENT ON COLUMN order_proceeds.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_proceeds.amazon_order_id IS 'The order.';
COMMENT ON COLUMN order_proceeds.order_item_id IS 'The item, or empty for the order''s own breakdown.';
COMMENT ON COLUMN order_proceeds.type IS 'ITEM, SHIPPING, GIFT_WRAP, COD_FEE, TAX, DISCOUNT, DELIVERY_TIP or OTHER.';
COMMENT ON COLUMN order_proceeds.status IS 'PENDING or FINALIZED, for charges processed after checkout (DELIVERY_TIP).';
COMMENT ON COLUMN order_proceeds.amount IS 'subtotal.amount, exact decimal.';
COMMENT ON COLUMN order_proceeds.currency IS 'subtotal.currencyCode.';

-- +goose Down
DROP TABLE order_proceeds;
DROP TABLE order_package_items;
DROP TABLE order_packages;
ALTER TABLE order_items DROP COLUMN programs, DROP COLUMN proceeds_total_currency, DROP COLUMN proceeds_total_amount,
    DROP COLUMN unit_price_currency, DROP COLUMN unit_price_amount, DROP COLUMN api_version;
UPDATE orders SET order_status = '' WHERE order_status IS NULL;
ALTER TABLE orders ALTER COLUMN order_status SET NOT NULL;
ALTER TABLE orders DROP COLUMN easyship_shipment_ids, DROP COLUMN programs, DROP COLUMN proceeds_currency,
    DROP COLUMN proceeds_amount, DROP COLUMN api_version;
