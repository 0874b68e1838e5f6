-- +goose Up
-- orders holds one row per Amazon order (Orders v0 getOrders / getOrder).
-- Typed columns are the scalars BI filters or sums on, named as the
-- snake_case of Amazon's field; raw keeps the whole payload as Amazon sent
-- it. Buyer PII (BuyerInfo, street lines of ShippingAddress) never gets a
-- typed column: only the city, state, postal code and country of the
-- shipping address do.
CREATE TABLE orders (
    account_id                       text        NOT NULL,
    amazon_order_id                  text        NOT NULL,
    seller_order_id                  text,
    purchase_date                    timestamptz NOT NULL,
    last_update_date                 timestamptz NOT NULL,
    order_status                     text        NOT NULL,
    fulfillment_channel              text,
    sales_channel                    text,
    order_channel                    text,
    ship_service_level               text,
    shipment_service_level_category  text,
    marketplace_id                   text,
    order_type                       text,
    order_total_amount               numeric,
    order_total_currency             text,
    number_of_items_shipped          integer,
    number_of_items_unshipped        integer,
    payment_method                   text,
    payment_method_details           text[],
    easy_ship_shipment_status        text,
    electronic_invoice_status        text,
    buyer_invoice_preference         text,
    earliest_ship_date               timestamptz,
    latest_ship_date                 timestamptz,
    earliest_delivery_date           timestamptz,
    latest_delivery_date             timestamptz,
    promise_response_due_date        timestamptz,
    is_business_order                boolean,
    is_prime                         boolean,
    is_premium_order                 boolean,
    is_global_express_enabled        boolean,
    is_replacement_order             boolean,
    replaced_order_id                text,
    is_estimated_ship_date_set       boolean,
    is_sold_by_ab                    boolean,
    is_iba                           boolean,
    is_ispu                          boolean,
    is_access_point_order            boolean,
    has_regulated_items              boolean,
    seller_display_name              text,
    shipping_address_city            text,
    shipping_address_state_or_region text,
    shipping_address_postal_code     text,
    shipping_address_country_code    text,
    raw                              jsonb       NOT NULL,
    sync_version                     bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, amazon_order_id)
);

CREATE INDEX orders_purchase_date_idx ON orders (account_id, purchase_date);
CREATE INDEX orders_last_update_date_idx ON orders (account_id, last_update_date);
CREATE INDEX orders_sync_version_idx ON orders (sync_version);

COMMENT ON TABLE orders IS 'Amazon orders (SP-API Orders v0), one row per account and AmazonOrderId. Typed columns are snake_case of Amazon''s fields; raw is the whole payload. sync_version moves only when the payload changes: read changes with WHERE sync_version > $last ORDER BY sync_version.';
COMMENT ON COLUMN orders.account_id IS 'The spsync account (selling partner + application) the order belongs to.';
COMMENT ON COLUMN orders.amazon_order_id IS 'AmazonOrderId, the 3-7-7 order number.';
COMMENT ON COLUMN orders.seller_order_id IS 'SellerOrderId: the seller''s own order id, when set.';
COMMENT ON COLUMN orders.purchase_date IS 'PurchaseDate: when the order was placed.';
COMMENT ON COLUMN orders.last_update_date IS 'LastUpdateDate: when Amazon last changed the order.';
COMMENT ON COLUMN orders.order_status IS 'OrderStatus: PendingAvailability, Pending, Unshipped, PartiallyShipped, Shipped, InvoiceUnconfirmed, Canceled or Unfulfillable.';
COMMENT ON COLUMN orders.fulfillment_channel IS 'FulfillmentChannel: AFN (fulfilled by Amazon) or MFN (by the seller).';
COMMENT ON COLUMN orders.sales_channel IS 'SalesChannel, e.g. Amazon.com.';
COMMENT ON COLUMN orders.order_channel IS 'OrderChannel, for orders placed outside the sales channel.';
COMMENT ON COLUMN orders.ship_service_level IS 'ShipServiceLevel as the buyer chose it.';
COMMENT ON COLUMN orders.shipment_service_level_category IS 'ShipmentServiceLevelCategory: Expedited, FreeEconomy, NextDay, SameDay, SecondDay, Scheduled or Standard.';
COMMENT ON COLUMN orders.marketplace_id IS 'MarketplaceId the order was placed in.';
COMMENT ON COLUMN orders.order_type IS 'OrderType, e.g. StandardOrder, Preorder, BusinessOrder.';
COMMENT ON COLUMN orders.order_total_amount IS 'OrderTotal.Amount, exact decimal. NULL while the order is Pending (Amazon sends no total): never summed as zero.';
COMMENT ON COLUMN orders.order_total_currency IS 'OrderTotal.CurrencyCode (ISO 4217). NULL when there is no total.';
COMMENT ON COLUMN orders.number_of_items_shipped IS 'NumberOfItemsShipped.';
COMMENT ON COLUMN orders.number_of_items_unshipped IS 'NumberOfItemsUnshipped.';
COMMENT ON COLUMN orders.payment_method IS 'PaymentMethod: COD, CVS or Other.';
COMMENT ON COLUMN orders.payment_method_details IS 'PaymentMethodDetails as a text array.';
COMMENT ON COLUMN orders.easy_ship_shipment_status IS 'EasyShipShipmentStatus, Easy Ship orders only.';
COMMENT ON COLUMN orders.electronic_invoice_status IS 'ElectronicInvoiceStatus, where electronic invoicing applies.';
COMMENT ON COLUMN orders.buyer_invoice_preference IS 'BuyerInvoicePreference: INDIVIDUAL or BUSINESS.';
COMMENT ON COLUMN orders.earliest_ship_date IS 'EarliestShipDate of the ship window.';
COMMENT ON COLUMN orders.latest_ship_date IS 'LatestShipDate of the ship window.';
COMMENT ON COLUMN orders.earliest_delivery_date IS 'EarliestDeliveryDate promised to the buyer.';
COMMENT ON COLUMN orders.latest_delivery_date IS 'LatestDeliveryDate promised to the buyer.';
COMMENT ON COLUMN orders.promise_response_due_date IS 'PromiseResponseDueDate, for sourcing-on-demand orders.';
COMMENT ON COLUMN orders.is_business_order IS 'IsBusinessOrder: an Amazon Business order.';
COMMENT ON COLUMN orders.is_prime IS 'IsPrime: a Prime order.';
COMMENT ON COLUMN orders.is_premium_order IS 'IsPremiumOrder: premium shipping was bought.';
COMMENT ON COLUMN orders.is_global_express_enabled IS 'IsGlobalExpressEnabled.';
COMMENT ON COLUMN orders.is_replacement_order IS 'IsReplacementOrder: replaces replaced_order_id.';
COMMENT ON COLUMN orders.replaced_order_id IS 'ReplacedOrderId: the order this one replaces.';
COMMENT ON COLUMN orders.is_estimated_ship_date_set IS 'IsEstimatedShipDateSet.';
COMMENT ON COLUMN orders.is_sold_by_ab IS 'IsSoldByAB: sold by Amazon Business.';
COMMENT ON COLUMN orders.is_iba IS 'IsIBA: sold by an Amazon retail entity.';
COMMENT ON COLUMN orders.is_ispu IS 'IsISPU: in-store pickup.';
COMMENT ON COLUMN orders.is_access_point_order IS 'IsAccessPointOrder: delivered to an Amazon Hub locker or counter.';
COMMENT ON COLUMN orders.has_regulated_items IS 'HasRegulatedItems.';
COMMENT ON COLUMN orders.seller_display_name IS 'SellerDisplayName.';
COMMENT ON COLUMN orders.shipping_address_city IS 'ShippingAddress.City (not PII; street lines stay out).';
COMMENT ON COLUMN orders.shipping_address_state_or_region IS 'ShippingAddress.StateOrRegion.';
COMMENT ON COLUMN orders.shipping_address_postal_code IS 'ShippingAddress.PostalCode.';
COMMENT ON COLUMN orders.shipping_address_country_code IS 'ShippingAddress.CountryCode (ISO 3166-1 alpha-2).';
COMMENT ON COLUMN orders.raw IS 'The order exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN orders.sync_version IS 'From sync_version_seq; moves only when raw changes. Read changes with WHERE sync_version > $last.';
COMMENT ON COLUMN orders.synced_at IS 'When this row''s content was last written.';

-- order_items holds the items of each order (getOrderItems, every page).
-- Items Amazon no longer lists for an order are deleted in the same
-- transaction that writes the order's current items.
CREATE TABLE order_items (
    account_id                  text        NOT NULL,
    amazon_order_id             text        NOT NULL,
    order_item_id               text        NOT NULL,
    asin                        text        NOT NULL,
    seller_sku                  text,
    title                       text,
    quantity_ordered            integer     NOT NULL,
    quantity_shipped            integer,
    item_price_amount           numeric,
    item_price_currency         text,
    shipping_price_amount       numeric,
    shipping_price_currency     text,
    item_tax_amount             numeric,
    item_tax_currency           text,
    shipping_tax_amount         numeric,
    shipping_tax_currency       text,
    shipping_discount_amount    numeric,
    shipping_discount_currency  text,
    shipping_discount_tax_amount   numeric,
    shipping_discount_tax_currency text,
    promotion_discount_amount   numeric,
    promotion_discount_currency text,
    promotion_discount_tax_amount   numeric,
    promotion_discount_tax_currency text,
    cod_fee_amount              numeric,
    cod_fee_currency            text,
    cod_fee_discount_amount     numeric,
    cod_fee_discount_currency   text,
    is_gift                     boolean,
    condition_id                text,
    condition_subtype_id        text,
    price_designation           text,
    is_transparency             boolean,
    serial_number_required      boolean,
    ioss_number                 text,
    store_chain_store_id        text,
    deemed_reseller_category    text,
    raw                         jsonb       NOT NULL,
    sync_version                bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    synced_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, amazon_order_id, order_item_id)
);

CREATE INDEX order_items_sync_version_idx ON order_items (sync_version);
CREATE INDEX order_items_seller_sku_idx ON order_items (account_id, seller_sku);

COMMENT ON TABLE order_items IS 'Items of Amazon orders (SP-API getOrderItems), one row per account, AmazonOrderId and OrderItemId. Items Amazon stops listing are deleted. sync_version moves only when the item''s payload changes.';
COMMENT ON COLUMN order_items.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_items.amazon_order_id IS 'AmazonOrderId of the parent order (orders.amazon_order_id).';
COMMENT ON COLUMN order_items.order_item_id IS 'OrderItemId, unique within the order.';
COMMENT ON COLUMN order_items.asin IS 'ASIN.';
COMMENT ON COLUMN order_items.seller_sku IS 'SellerSKU.';
COMMENT ON COLUMN order_items.title IS 'Title of the product.';
COMMENT ON COLUMN order_items.quantity_ordered IS 'QuantityOrdered.';
COMMENT ON COLUMN order_items.quantity_shipped IS 'QuantityShipped.';
COMMENT ON COLUMN order_items.item_price_amount IS 'ItemPrice.Amount: price of the line (quantity included). NULL while the order is Pending.';
COMMENT ON COLUMN order_items.item_price_currency IS 'ItemPrice.CurrencyCode.';
COMMENT ON COLUMN order_items.shipping_price_amount IS 'ShippingPrice.Amount.';
COMMENT ON COLUMN order_items.shipping_price_currency IS 'ShippingPrice.CurrencyCode.';
COMMENT ON COLUMN order_items.item_tax_amount IS 'ItemTax.Amount.';
COMMENT ON COLUMN order_items.item_tax_currency IS 'ItemTax.CurrencyCode.';
COMMENT ON COLUMN order_items.shipping_tax_amount IS 'ShippingTax.Amount.';
COMMENT ON COLUMN order_items.shipping_tax_currency IS 'ShippingTax.CurrencyCode.';
COMMENT ON COLUMN order_items.shipping_discount_amount IS 'ShippingDiscount.Amount.';
COMMENT ON COLUMN order_items.shipping_discount_currency IS 'ShippingDiscount.CurrencyCode.';
COMMENT ON COLUMN order_items.shipping_discount_tax_amount IS 'ShippingDiscountTax.Amount.';
COMMENT ON COLUMN order_items.shipping_discount_tax_currency IS 'ShippingDiscountTax.CurrencyCode.';
COMMENT ON COLUMN order_items.promotion_discount_amount IS 'PromotionDiscount.Amount.';
COMMENT ON COLUMN order_items.promotion_discount_currency IS 'PromotionDiscount.CurrencyCode.';
COMMENT ON COLUMN order_items.promotion_discount_tax_amount IS 'PromotionDiscountTax.Amount.';
COMMENT ON COLUMN order_items.promotion_discount_tax_currency IS 'PromotionDiscountTax.CurrencyCode.';
COMMENT ON COLUMN order_items.cod_fee_amount IS 'CODFee.Amount (cash on delivery).';
COMMENT ON COLUMN order_items.cod_fee_currency IS 'CODFee.CurrencyCode.';
COMMENT ON COLUMN order_items.cod_fee_discount_amount IS 'CODFeeDiscount.Amount.';
COMMENT ON COLUMN order_items.cod_fee_discount_currency IS 'CODFeeDiscount.CurrencyCode.';
COMMENT ON COLUMN order_items.is_gift IS 'IsGift.';
COMMENT ON COLUMN order_items.condition_id IS 'ConditionId: New, Used, Collectible, Refurbished, Club.';
COMMENT ON COLUMN order_items.condition_subtype_id IS 'ConditionSubtypeId.';
COMMENT ON COLUMN order_items.price_designation IS 'PriceDesignation, e.g. BusinessPrice.';
COMMENT ON COLUMN order_items.is_transparency IS 'IsTransparency.';
COMMENT ON COLUMN order_items.serial_number_required IS 'SerialNumberRequired.';
COMMENT ON COLUMN order_items.ioss_number IS 'IossNumber (EU import one-stop shop).';
COMMENT ON COLUMN order_items.store_chain_store_id IS 'StoreChainStoreId.';
COMMENT ON COLUMN order_items.deemed_reseller_category IS 'DeemedResellerCategory: IOSS or UOSS.';
COMMENT ON COLUMN order_items.raw IS 'The item exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN order_items.sync_version IS 'From sync_version_seq; moves only when raw changes.';
COMMENT ON COLUMN order_items.synced_at IS 'When this row''s content was last written.';

-- orders_poll_progress is the orders poller's place in a window that spans
-- several pages. Each page commits with its rows and the NextToken of the
-- following page, so a poll that is killed or snoozed resumes where it
-- stopped; the row is deleted when the window's last page commits together
-- with the cursor.
CREATE TABLE orders_poll_progress (
    account_id          text        NOT NULL,
    scope               text        NOT NULL,
    last_updated_after  timestamptz NOT NULL,
    last_updated_before timestamptz NOT NULL,
    next_token          text        NOT NULL,
    pages               integer     NOT NULL DEFAULT 0,
    rows_written        bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, scope)
);

COMMENT ON TABLE orders_poll_progress IS 'Worker state: the orders poll window in progress per account and marketplace set (scope), with the paging token of its next page. Empty when no window is half done.';

-- +goose Down
DROP TABLE orders_poll_progress;
DROP TABLE order_items;
DROP TABLE orders;
