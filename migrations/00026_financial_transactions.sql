-- +goose Up
-- The money side of every order: Finances API 2024-06-19 listTransactions
-- (issue 28). One row per transaction, its items and the flattened
-- breakdown tree of the transaction and of each item. A transaction is
-- stored under transactionId (one without it is quarantined); raw keeps the
-- transaction as Amazon sent it (the API carries no PII). Items and
-- breakdowns have no key of their own: they are replaced wholesale with
-- their transaction whenever its content changes, and carry the
-- transaction's sync_version of that write.
--
-- Deferred cash: a DEFERRED transaction is released either in place (its
-- status becomes DEFERRED_RELEASED, postedDate unchanged) or by a
-- transaction of its own that names it (deferred_transaction_id), the
-- deferred one then naming its release (release_transaction_id). Summing
-- money once: leave out the release transactions (deferred_transaction_id
-- IS NOT NULL) when summing totals; cash still deferred is status DEFERRED
-- with no release_transaction_id.
CREATE TABLE financial_transactions (
    account_id                text        NOT NULL,
    transaction_id            text        NOT NULL,
    transaction_type          text,
    transaction_status        text,
    description               text,
    posted_date               timestamptz,
    total_amount              numeric,
    total_currency            text,
    marketplace_id            text,
    selling_partner_id        text,
    account_type              text,
    order_id                  text,
    shipment_id               text,
    financial_event_group_id  text,
    settlement_id             text,
    deferred_transaction_id   text,
    release_transaction_id    text,
    related_identifiers       jsonb,
    deferral_reason           text,
    deferred_maturity_date    timestamptz,
    raw                       jsonb       NOT NULL,
    sync_version              bigint      NOT NULL DEFAULT nextval('sync_version_seq'),
    first_seen_at             timestamptz NOT NULL DEFAULT now(),
    synced_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, transaction_id)
);

CREATE INDEX financial_transactions_order_id_idx ON financial_transactions (account_id, order_id);
CREATE INDEX financial_transactions_posted_date_idx ON financial_transactions (account_id, posted_date);
CREATE INDEX financial_transactions_event_group_idx ON financial_transactions (account_id, financial_event_group_id);
CREATE INDEX financial_transactions_account_sync_version_idx ON financial_transactions (account_id, sync_version);
CREATE INDEX financial_transactions_sync_version_idx ON financial_transactions (sync_version);
-- The deferred transactions not yet released, by maturity: what a poll
-- without push re-reads (ListUnreleasedDeferredTransactions); the predicate
-- matches its WHERE clause.
CREATE INDEX financial_transactions_unreleased_idx ON financial_transactions (account_id, deferred_maturity_date)
    WHERE transaction_status = 'DEFERRED' AND release_transaction_id IS NULL;

COMMENT ON TABLE financial_transactions IS 'Financial transactions (SP-API Finances 2024-06-19 listTransactions): sales, fees, refunds, reimbursements, deferrals and their releases; one row per account and transactionId. Typed columns are snake_case of Amazon''s fields; raw is the transaction. sync_version moves only when the content changes (a status change is one): read changes with WHERE sync_version > $last ORDER BY sync_version, then the items and breakdowns of those transactions.';
COMMENT ON COLUMN financial_transactions.account_id IS 'The spsync account (selling partner + application) the transaction belongs to.';
COMMENT ON COLUMN financial_transactions.transaction_id IS 'transactionId, Amazon''s identifier of the transaction. There is no get by this id: a transaction is re-read by its order (ORDER_ID) or posted date.';
COMMENT ON COLUMN financial_transactions.transaction_type IS 'transactionType, e.g. Shipment, Refund, and whatever Amazon adds (kept as sent).';
COMMENT ON COLUMN financial_transactions.transaction_status IS 'transactionStatus: DEFERRED (cash withheld until deferred_maturity_date), RELEASED, or DEFERRED_RELEASED (was DEFERRED, released in place; posted_date unchanged). Amazon''s mixed-case spellings are stored in this spelling.';
COMMENT ON COLUMN financial_transactions.description IS 'description: the reason for the transaction, e.g. Order Payment, Refund Order.';
COMMENT ON COLUMN financial_transactions.posted_date IS 'postedDate: when the transaction was posted. A transaction may appear in the API up to 48 hours after it.';
COMMENT ON COLUMN financial_transactions.total_amount IS 'totalAmount.currencyAmount, exactly as sent (negative for money going to the buyer or to Amazon).';
COMMENT ON COLUMN financial_transactions.total_currency IS 'totalAmount.currencyCode (ISO 4217).';
COMMENT ON COLUMN financial_transactions.marketplace_id IS 'sellingPartnerMetadata.marketplaceId, else marketplaceDetails.marketplaceId.';
COMMENT ON COLUMN financial_transactions.selling_partner_id IS 'sellingPartnerMetadata.sellingPartnerId.';
COMMENT ON COLUMN financial_transactions.account_type IS 'sellingPartnerMetadata.accountType, e.g. PAYABLE or Standard Orders.';
COMMENT ON COLUMN financial_transactions.order_id IS 'The ORDER_ID related identifier; joins orders.amazon_order_id. NULL for transactions of no order (fees, transfers).';
COMMENT ON COLUMN financial_transactions.shipment_id IS 'The SHIPMENT_ID related identifier.';
COMMENT ON COLUMN financial_transactions.financial_event_group_id IS 'The FINANCIAL_EVENT_GROUP_ID related identifier: the financial event group (payout period) the transaction belongs to.';
COMMENT ON COLUMN financial_transactions.settlement_id IS 'The SETTLEMENT_ID related identifier: the settlement that groups the transaction.';
COMMENT ON COLUMN financial_transactions.deferred_transaction_id IS 'The DEFERRED_TRANSACTION_ID related identifier: on a release transaction, the deferred transaction it releases. Leave such rows out when summing money, or the deferred amount counts twice.';
COMMENT ON COLUMN financial_transactions.release_transaction_id IS 'The RELEASE_TRANSACTION_ID related identifier: on a deferred transaction, the transaction that released it. A DEFERRED row with it is released; one without it is cash not yet released.';
COMMENT ON COLUMN financial_transactions.related_identifiers IS 'relatedIdentifiers: every {relatedIdentifierName, relatedIdentifierValue} as Amazon sent them (REFUND_ID, INVOICE_ID, DISBURSEMENT_ID, TRANSFER_ID, … besides the typed ones).';
COMMENT ON COLUMN financial_transactions.deferral_reason IS 'The DeferredContext''s deferralReason, e.g. B2B (invoiced orders) or DD7 (delivery date policy).';
COMMENT ON COLUMN financial_transactions.deferred_maturity_date IS 'The DeferredContext''s maturityDate: when Amazon releases a deferred transaction. NULL when not deferred.';
COMMENT ON COLUMN financial_transactions.raw IS 'The transaction exactly as the SP-API returned it (jsonb); the API carries no PII.';
COMMENT ON COLUMN financial_transactions.sync_version IS 'From sync_version_seq; moves only when raw changes (a status change, a release identifier added). Read changes with WHERE sync_version > $last.';
COMMENT ON COLUMN financial_transactions.first_seen_at IS 'Worker state: when spsync first stored the transaction (database clock); never changes afterwards.';
COMMENT ON COLUMN financial_transactions.synced_at IS 'When this row''s content was last written.';

-- financial_transaction_items: the transaction's items, by position.
CREATE TABLE financial_transaction_items (
    account_id                text        NOT NULL,
    transaction_id            text        NOT NULL,
    item_index                integer     NOT NULL,
    description               text,
    total_amount              numeric,
    total_currency            text,
    order_adjustment_item_id  text,
    related_identifiers       jsonb,
    sku                       text,
    asin                      text,
    quantity_shipped          integer,
    fulfillment_network       text,
    contexts                  jsonb,
    raw                       jsonb       NOT NULL,
    sync_version              bigint      NOT NULL,
    PRIMARY KEY (account_id, transaction_id, item_index)
);

CREATE INDEX financial_transaction_items_sku_idx ON financial_transaction_items (account_id, sku);
CREATE INDEX financial_transaction_items_sync_version_idx ON financial_transaction_items (sync_version);

COMMENT ON TABLE financial_transaction_items IS 'Items of financial transactions (transaction.items), one row per account, transactionId and position. Replaced wholesale with their transaction when its content changes.';
COMMENT ON COLUMN financial_transaction_items.account_id IS 'The spsync account the transaction belongs to.';
COMMENT ON COLUMN financial_transaction_items.transaction_id IS 'transactionId of the parent (financial_transactions.transaction_id).';
COMMENT ON COLUMN financial_transaction_items.item_index IS 'Position of the item in items, from 0 (Amazon gives items no identifier).';
COMMENT ON COLUMN financial_transaction_items.description IS 'description, e.g. the product title.';
COMMENT ON COLUMN financial_transaction_items.total_amount IS 'totalAmount.currencyAmount of the item, exactly as sent.';
COMMENT ON COLUMN financial_transaction_items.total_currency IS 'totalAmount.currencyCode.';
COMMENT ON COLUMN financial_transaction_items.order_adjustment_item_id IS 'The ORDER_ADJUSTMENT_ITEM_ID item related identifier (refunds, guarantee claims, chargebacks).';
COMMENT ON COLUMN financial_transaction_items.related_identifiers IS 'relatedIdentifiers of the item: every {itemRelatedIdentifierName, itemRelatedIdentifierValue} as sent (COUPON_ID, REMOVAL_SHIPMENT_ITEM_ID, TRANSACTION_ID, …).';
COMMENT ON COLUMN financial_transaction_items.sku IS 'The ProductContext''s sku (the seller''s SKU).';
COMMENT ON COLUMN financial_transaction_items.asin IS 'The ProductContext''s asin.';
COMMENT ON COLUMN financial_transaction_items.quantity_shipped IS 'The ProductContext''s quantityShipped.';
COMMENT ON COLUMN financial_transaction_items.fulfillment_network IS 'The ProductContext''s fulfillmentNetwork: AFN or MFN.';
COMMENT ON COLUMN financial_transaction_items.contexts IS 'contexts of the item as Amazon sent them (ProductContext and any other).';
COMMENT ON COLUMN financial_transaction_items.raw IS 'The item exactly as the SP-API returned it (jsonb).';
COMMENT ON COLUMN financial_transaction_items.sync_version IS 'The transaction''s sync_version when the item was written: items are replaced with their transaction.';

-- financial_transaction_breakdowns: every node of the breakdown trees, the
-- transaction's own (item_index -1) and each item's, keyed by its path.
CREATE TABLE financial_transaction_breakdowns (
    account_id      text        NOT NULL,
    transaction_id  text        NOT NULL,
    item_index      integer     NOT NULL,
    path            text[]      NOT NULL,
    depth           integer     NOT NULL,
    breakdown_type  text,
    amount          numeric,
    currency        text,
    sync_version    bigint      NOT NULL,
    PRIMARY KEY (account_id, transaction_id, item_index, path)
);

CREATE INDEX financial_transaction_breakdowns_type_idx ON financial_transaction_breakdowns (account_id, breakdown_type);
CREATE INDEX financial_transaction_breakdowns_sync_version_idx ON financial_transaction_breakdowns (sync_version);

COMMENT ON TABLE financial_transaction_breakdowns IS 'Breakdowns of financial transactions (breakdowns, nested), flattened: one row per node of the tree with the path of breakdownTypes from its root. A parent''s amount is the sum of its children''s, so sum one level (depth = 0, or the leaves) to avoid counting twice. Replaced wholesale with their transaction when its content changes.';
COMMENT ON COLUMN financial_transaction_breakdowns.account_id IS 'The spsync account the transaction belongs to.';
COMMENT ON COLUMN financial_transaction_breakdowns.transaction_id IS 'transactionId of the transaction (financial_transactions.transaction_id).';
COMMENT ON COLUMN financial_transaction_breakdowns.item_index IS '-1 for the transaction''s own breakdowns, else the item''s position (financial_transaction_items.item_index).';
COMMENT ON COLUMN financial_transaction_breakdowns.path IS 'The breakdownType of each node from the root to this one, e.g. {Expenses,AmazonFees,Commission}. A node whose type an earlier sibling already has (or that has none) gets #n appended, n its 1-based position among its siblings of that type ({Sales,Promotion#2}): Amazon does not promise siblings differ in type, and the path is the key.';
COMMENT ON COLUMN financial_transaction_breakdowns.depth IS 'Nesting depth: 0 for a root, cardinality(path) - 1.';
COMMENT ON COLUMN financial_transaction_breakdowns.breakdown_type IS 'breakdownType of the node as sent (the path''s last element without a #n suffix), e.g. ProductCharges, Commission, Tax.';
COMMENT ON COLUMN financial_transaction_breakdowns.amount IS 'breakdownAmount.currencyAmount, exactly as sent.';
COMMENT ON COLUMN financial_transaction_breakdowns.currency IS 'breakdownAmount.currencyCode.';
COMMENT ON COLUMN financial_transaction_breakdowns.sync_version IS 'The transaction''s sync_version when the row was written: breakdowns are replaced with their transaction.';

-- +goose Down
DROP TABLE financial_transaction_breakdowns;
DROP TABLE financial_transaction_items;
DROP TABLE financial_transactions;
