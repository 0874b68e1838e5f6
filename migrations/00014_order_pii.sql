-- +goose Up
-- order_pii holds the buyer and recipient data of Orders 2026-01-01 that
-- spsync strips from orders.raw and order_items.raw (internal/spapi/pii.go).
-- It is written only when the operator opts in (SPSYNC_ORDERS_STORE_PII=true)
-- and is kept apart from orders so that it can be granted, dumped and
-- purged on its own: Amazon's Data Protection Policy allows PII no longer
-- than 30 days after delivery, so each row is deleted SPSYNC_PII_RETENTION
-- (default 30 days) after its order was first seen shipped, cancelled or
-- unfulfillable. There is no foreign key to orders: the two are written by
-- separate statements, and the purge, not a cascade, is what removes PII.

CREATE TABLE order_pii (
    account_id                  text        NOT NULL,
    amazon_order_id             text        NOT NULL,
    buyer_name                  text,
    buyer_email                 text,
    buyer_company_name          text,
    buyer_purchase_order_number text,
    recipient_name              text,
    recipient_company_name      text,
    address_line1               text,
    address_line2               text,
    address_line3               text,
    postal_code                 text,
    phone                       text,
    extended_fields             jsonb,
    delivery_instructions       jsonb,
    items                       jsonb,
    closed_at                   timestamptz,
    delete_after                timestamptz,
    stored_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, amazon_order_id),
    -- A row gets its deletion date when, and only when, its order closes.
    CHECK ((closed_at IS NULL) = (delete_after IS NULL))
);
-- The purge deletes by delete_after and looks for open rows (NULL) to close
-- from orders.
CREATE INDEX order_pii_delete_after_idx ON order_pii (delete_after);

COMMENT ON TABLE order_pii IS 'Buyer and recipient PII of Orders 2026-01-01 orders, one row per account and order, written only when SPSYNC_ORDERS_STORE_PII=true (orders.raw never holds it). A field Amazon did not send in a later answer keeps its stored value. Rows are deleted at delete_after: SPSYNC_PII_RETENTION (default 30 days) after the order closed (Amazon''s Data Protection Policy).';
COMMENT ON COLUMN order_pii.account_id IS 'The spsync account the order belongs to.';
COMMENT ON COLUMN order_pii.amazon_order_id IS 'The order (orders.amazon_order_id).';
COMMENT ON COLUMN order_pii.buyer_name IS 'buyer.buyerName (includedData BUYER).';
COMMENT ON COLUMN order_pii.buyer_email IS 'buyer.buyerEmail: Amazon''s anonymized relay address (merchant-fulfilled orders only).';
COMMENT ON COLUMN order_pii.buyer_company_name IS 'buyer.buyerCompanyName (business orders).';
COMMENT ON COLUMN order_pii.buyer_purchase_order_number IS 'buyer.buyerPurchaseOrderNumber: the PO number the buyer entered at checkout.';
COMMENT ON COLUMN order_pii.recipient_name IS 'recipient.deliveryAddress.name (includedData RECIPIENT).';
COMMENT ON COLUMN order_pii.recipient_company_name IS 'recipient.deliveryAddress.companyName.';
COMMENT ON COLUMN order_pii.address_line1 IS 'recipient.deliveryAddress.addressLine1. City, state and country are not PII and are in orders.shipping_address_*.';
COMMENT ON COLUMN order_pii.address_line2 IS 'recipient.deliveryAddress.addressLine2.';
COMMENT ON COLUMN order_pii.address_line3 IS 'recipient.deliveryAddress.addressLine3.';
COMMENT ON COLUMN order_pii.postal_code IS 'recipient.deliveryAddress.postalCode.';
COMMENT ON COLUMN order_pii.phone IS 'recipient.deliveryAddress.phone (Amazon suppresses it for FBA and for shipped merchant-fulfilled orders).';
COMMENT ON COLUMN order_pii.extended_fields IS 'recipient.deliveryAddress.extendedFields as Amazon sent it (streetName, streetNumber, complement, neighborhood; Brazil only).';
COMMENT ON COLUMN order_pii.delivery_instructions IS 'The buyer''s free text from recipient.deliveryPreference: {"address_instruction": addressInstruction, "drop_off_location": dropOffLocation}, keys present only when sent. Buyers write names and door codes here.';
COMMENT ON COLUMN order_pii.items IS 'Per-item PII by orderItemId: {"<orderItemId>": {"gift_message": fulfillment.packing.giftOption.giftMessage, "customized_url": product.customization.customizedUrl}}; only items with either, keys present only when sent.';
COMMENT ON COLUMN order_pii.closed_at IS 'lastUpdatedTime of the first answer that showed the order SHIPPED, CANCELLED or UNFULFILLABLE (the earliest such sighting is kept); orders.last_update_date when the close was seen only in orders (Orders v0). NULL while the order is open.';
COMMENT ON COLUMN order_pii.delete_after IS 'closed_at plus SPSYNC_PII_RETENTION: when the purge deletes the row. NULL while the order is open (never purged).';
COMMENT ON COLUMN order_pii.stored_at IS 'When the row was first written.';
COMMENT ON COLUMN order_pii.updated_at IS 'When the row''s content last changed.';

-- +goose Down
DROP TABLE order_pii;
