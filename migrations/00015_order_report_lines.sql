-- +goose Up
-- Order history backfilled through the Reports API (worker backfill orders
-- --via reports). An order report has one line per order item, the order's
-- fields repeated on each, and no order-item-id: its lines cannot pose as
-- order_items. They get their own table; orders known only from a report are
-- rows of orders with what the report says (api_version
-- 'reports-2021-06-30'), and a row the order APIs wrote is never overwritten
-- by report data. When an order API later writes an order's items, its report
-- lines are deleted: real items replace them.

ALTER TABLE orders DROP CONSTRAINT orders_api_version_check;
ALTER TABLE orders ADD CONSTRAINT orders_api_version_check CHECK (api_version IN ('v0', '2026-01-01', 'reports-2021-06-30'));
COMMENT ON COLUMN orders.api_version IS 'Where the row comes from: v0 or 2026-01-01 (the Orders API whose answer wrote it; raw holds that payload), or reports-2021-06-30 (known only from an order report: typed columns the report carries, raw = the report line''s order fields, items in order_report_lines). An order API''s answer replaces a report row; report data never replaces an API row.';

CREATE TABLE order_report_lines (
    account_id                   text        NOT NULL,
    amazon_order_id              text        NOT NULL,
    line_no                      integer     NOT NULL,
    sku                          text,
    asin                         text,
    product_name                 text,
    item_status                  text,
    quantity                     integer,
    currency                     text,
    item_price_amount            numeric,
    item_tax_amount              numeric,
    shipping_price_amount        numeric,
    shipping_tax_amount          numeric,
    gift_wrap_price_amount       numeric,
    gift_wrap_tax_amount         numeric,
    item_promotion_discount_amount numeric,
    ship_promotion_discount_amount numeric,
    promotion_ids                text[],
    price_designation            text,
    report_id                    text        NOT NULL,
    raw                          jsonb       NOT NULL,
    sync_version                 bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, amazon_order_id, line_no)
);
CREATE INDEX order_report_lines_sync_version_idx ON order_report_lines (sync_version);
CREATE INDEX order_report_lines_sku_idx ON order_report_lines (account_id, sku);

COMMENT ON TABLE order_report_lines IS 'Item lines of order reports (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL) for orders the order APIs have not written items for: one row per line, numbered per order in a fixed order (sku, asin, status, quantity, price), so importing a window again gives the same rows. A document replaces all lines of each order it lists. Deleted when an order API writes the order''s items. Read order_lines for items and lines together.';
COMMENT ON COLUMN order_report_lines.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_report_lines.amazon_order_id IS 'amazon-order-id.';
COMMENT ON COLUMN order_report_lines.line_no IS 'The line''s number among its order''s lines, 1-based, in (sku, asin, item_status, quantity, item_price_amount, raw) order: not the line''s position in the document.';
COMMENT ON COLUMN order_report_lines.sku IS 'sku (the seller SKU).';
COMMENT ON COLUMN order_report_lines.asin IS 'asin.';
COMMENT ON COLUMN order_report_lines.product_name IS 'product-name.';
COMMENT ON COLUMN order_report_lines.item_status IS 'item-status as the report spells it (Shipped, Unshipped, Cancelled): an item can be Cancelled in a Shipped order.';
COMMENT ON COLUMN order_report_lines.quantity IS 'quantity (units ordered on the line).';
COMMENT ON COLUMN order_report_lines.currency IS 'currency of every amount of the line.';
COMMENT ON COLUMN order_report_lines.item_price_amount IS 'item-price: the line''s price for all its units, as order_items.item_price_amount. NULL when the cell is empty (a pending merchant-fulfilled item has no price).';
COMMENT ON COLUMN order_report_lines.item_tax_amount IS 'item-tax.';
COMMENT ON COLUMN order_report_lines.shipping_price_amount IS 'shipping-price.';
COMMENT ON COLUMN order_report_lines.shipping_tax_amount IS 'shipping-tax.';
COMMENT ON COLUMN order_report_lines.gift_wrap_price_amount IS 'gift-wrap-price.';
COMMENT ON COLUMN order_report_lines.gift_wrap_tax_amount IS 'gift-wrap-tax.';
COMMENT ON COLUMN order_report_lines.item_promotion_discount_amount IS 'item-promotion-discount as money off: positive, as order_items.promotion_discount_amount (reports write it negative).';
COMMENT ON COLUMN order_report_lines.ship_promotion_discount_amount IS 'ship-promotion-discount as money off (positive).';
COMMENT ON COLUMN order_report_lines.promotion_ids IS 'promotion-ids, split at commas.';
COMMENT ON COLUMN order_report_lines.price_designation IS 'price-designation (BusinessPrice).';
COMMENT ON COLUMN order_report_lines.report_id IS 'The report whose document last wrote the line.';
COMMENT ON COLUMN order_report_lines.raw IS 'Every column of the line by header name, as sent, without ship-postal-code (PII under the orders'' rule) and without the order''s own fields (in orders.raw).';
COMMENT ON COLUMN order_report_lines.sync_version IS 'From sync_version_seq; moves only when the line changes.';
COMMENT ON COLUMN order_report_lines.synced_at IS 'When this row''s content was last written.';

-- order_lines is every item line of every order, whichever source knows it:
-- the order APIs' items, or an order report's lines for orders with no API
-- items. Units and revenue by SKU over the whole history read it.
CREATE VIEW order_lines AS
SELECT i.account_id, i.amazon_order_id, 'api'::text AS source, i.order_item_id AS line_key,
       o.purchase_date, o.order_status, o.marketplace_id, o.fulfillment_channel,
       i.seller_sku AS sku, i.asin, i.title AS product_name, i.quantity_ordered AS quantity,
       i.item_price_currency AS currency, i.item_price_amount, i.item_tax_amount,
       i.shipping_price_amount, i.promotion_discount_amount
FROM order_items i
JOIN orders o ON o.account_id = i.account_id AND o.amazon_order_id = i.amazon_order_id
UNION ALL
SELECT r.account_id, r.amazon_order_id, 'report'::text, 'line:' || r.line_no,
       o.purchase_date, o.order_status, o.marketplace_id, o.fulfillment_channel,
       r.sku, r.asin, r.product_name, r.quantity,
       r.currency, r.item_price_amount, r.item_tax_amount,
       r.shipping_price_amount, r.item_promotion_discount_amount
FROM order_report_lines r
JOIN orders o ON o.account_id = r.account_id AND o.amazon_order_id = r.amazon_order_id
WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.account_id = r.account_id AND i.amazon_order_id = r.amazon_order_id);

COMMENT ON VIEW order_lines IS 'Every item line of every order: order_items (source api, line_key = order_item_id) and, for orders without API items, order_report_lines (source report, line_key = line:N), with the order''s purchase date, status, marketplace and channel. Sum quantity or item_price_amount by sku and month for history that predates the order APIs'' reach.';

-- +goose Down
DROP VIEW order_lines;
DROP TABLE order_report_lines;
DELETE FROM orders WHERE api_version = 'reports-2021-06-30';
ALTER TABLE orders DROP CONSTRAINT orders_api_version_check;
ALTER TABLE orders ADD CONSTRAINT orders_api_version_check CHECK (api_version IN ('v0', '2026-01-01'));
