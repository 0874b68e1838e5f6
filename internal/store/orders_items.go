package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store/dbsqlc"
)

// orderItemRow is one order_items row as ReplaceOrderItems reads it. JSON
// names are the column names.
type orderItemRow struct {
	AmazonOrderID                string          `json:"amazon_order_id"`
	OrderItemID                  string          `json:"order_item_id"`
	ASIN                         string          `json:"asin"`
	SellerSKU                    *string         `json:"seller_sku,omitzero"`
	Title                        *string         `json:"title,omitzero"`
	QuantityOrdered              int             `json:"quantity_ordered"`
	QuantityShipped              *int            `json:"quantity_shipped,omitzero"`
	ItemPriceAmount              *scaledDecimal  `json:"item_price_amount,omitzero"`
	ItemPriceCurrency            *string         `json:"item_price_currency,omitzero"`
	ShippingPriceAmount          *scaledDecimal  `json:"shipping_price_amount,omitzero"`
	ShippingPriceCurrency        *string         `json:"shipping_price_currency,omitzero"`
	ItemTaxAmount                *scaledDecimal  `json:"item_tax_amount,omitzero"`
	ItemTaxCurrency              *string         `json:"item_tax_currency,omitzero"`
	ShippingTaxAmount            *scaledDecimal  `json:"shipping_tax_amount,omitzero"`
	ShippingTaxCurrency          *string         `json:"shipping_tax_currency,omitzero"`
	ShippingDiscountAmount       *scaledDecimal  `json:"shipping_discount_amount,omitzero"`
	ShippingDiscountCurrency     *string         `json:"shipping_discount_currency,omitzero"`
	ShippingDiscountTaxAmount    *scaledDecimal  `json:"shipping_discount_tax_amount,omitzero"`
	ShippingDiscountTaxCurrency  *string         `json:"shipping_discount_tax_currency,omitzero"`
	PromotionDiscountAmount      *scaledDecimal  `json:"promotion_discount_amount,omitzero"`
	PromotionDiscountCurrency    *string         `json:"promotion_discount_currency,omitzero"`
	PromotionDiscountTaxAmount   *scaledDecimal  `json:"promotion_discount_tax_amount,omitzero"`
	PromotionDiscountTaxCurrency *string         `json:"promotion_discount_tax_currency,omitzero"`
	CODFeeAmount                 *scaledDecimal  `json:"cod_fee_amount,omitzero"`
	CODFeeCurrency               *string         `json:"cod_fee_currency,omitzero"`
	CODFeeDiscountAmount         *scaledDecimal  `json:"cod_fee_discount_amount,omitzero"`
	CODFeeDiscountCurrency       *string         `json:"cod_fee_discount_currency,omitzero"`
	IsGift                       *bool           `json:"is_gift,omitzero"`
	ConditionID                  *string         `json:"condition_id,omitzero"`
	ConditionSubtypeID           *string         `json:"condition_subtype_id,omitzero"`
	PriceDesignation             *string         `json:"price_designation,omitzero"`
	IsTransparency               *bool           `json:"is_transparency,omitzero"`
	SerialNumberRequired         *bool           `json:"serial_number_required,omitzero"`
	IossNumber                   *string         `json:"ioss_number,omitzero"`
	StoreChainStoreID            *string         `json:"store_chain_store_id,omitzero"`
	DeemedResellerCategory       *string         `json:"deemed_reseller_category,omitzero"`
	Raw                          json.RawMessage `json:"raw"`
}

// newOrderItemRow maps an SP-API order item of order orderID to its row.
// Amounts Amazon left out (every price of a Pending order) stay NULL.
func newOrderItemRow(orderID string, it *spapi.OrderItem) (orderItemRow, error) {
	raw, err := orderRaw(it.Raw, it)
	if err != nil {
		return orderItemRow{}, fmt.Errorf("order %s item %s: %w", orderID, it.OrderItemId, err)
	}
	r := orderItemRow{
		AmazonOrderID:          orderID,
		OrderItemID:            it.OrderItemId,
		ASIN:                   it.ASIN,
		SellerSKU:              orderText(it.SellerSKU),
		Title:                  orderText(it.Title),
		QuantityOrdered:        it.QuantityOrdered,
		QuantityShipped:        it.QuantityShipped,
		IsGift:                 it.IsGift,
		ConditionID:            orderText(it.ConditionId),
		ConditionSubtypeID:     orderText(it.ConditionSubtypeId),
		PriceDesignation:       orderText(it.PriceDesignation),
		IsTransparency:         it.IsTransparency,
		SerialNumberRequired:   it.SerialNumberRequired,
		IossNumber:             orderText(it.IossNumber),
		StoreChainStoreID:      orderText(it.StoreChainStoreId),
		DeemedResellerCategory: orderText(it.DeemedResellerCategory),
		Raw:                    raw,
	}
	r.ItemPriceAmount, r.ItemPriceCurrency = scaledMoney(it.ItemPrice)
	r.ShippingPriceAmount, r.ShippingPriceCurrency = scaledMoney(it.ShippingPrice)
	r.ItemTaxAmount, r.ItemTaxCurrency = scaledMoney(it.ItemTax)
	r.ShippingTaxAmount, r.ShippingTaxCurrency = scaledMoney(it.ShippingTax)
	r.ShippingDiscountAmount, r.ShippingDiscountCurrency = scaledMoney(it.ShippingDiscount)
	r.ShippingDiscountTaxAmount, r.ShippingDiscountTaxCurrency = scaledMoney(it.ShippingDiscountTax)
	r.PromotionDiscountAmount, r.PromotionDiscountCurrency = scaledMoney(it.PromotionDiscount)
	r.PromotionDiscountTaxAmount, r.PromotionDiscountTaxCurrency = scaledMoney(it.PromotionDiscountTax)
	r.CODFeeAmount, r.CODFeeCurrency = scaledMoney(it.CODFee)
	r.CODFeeDiscountAmount, r.CODFeeDiscountCurrency = scaledMoney(it.CODFeeDiscount)
	return r, nil
}

// OrderItems is the complete item list of one order, every page of
// getOrderItems together.
type OrderItems struct {
	AmazonOrderID string
	Items         []spapi.OrderItem
}

// ItemsResult counts what ReplaceOrderItems did.
type ItemsResult struct {
	// Written is items inserted or changed.
	Written int64
	// Deleted is items the orders no longer list.
	Deleted int64
}

// ReplaceOrderItems makes the stored items of each given order equal to its
// list, in one statement on db: new and changed items are written, unchanged
// ones are not touched, and items an order no longer lists are deleted. Pass
// complete lists only: an order given with no items loses all of its stored
// items. A repeated item id within an order keeps its last copy.
func ReplaceOrderItems(ctx context.Context, db dbsqlc.DBTX, accountID string, orders []OrderItems) (ItemsResult, error) {
	if len(orders) == 0 {
		return ItemsResult{}, nil
	}
	// keep maps each order to the ids of its items, for the delete of
	// items the order no longer lists.
	keep := make(map[string][]string, len(orders))
	var rows []orderItemRow
	index := map[[2]string]int{}
	for _, o := range orders {
		ids, seen := keep[o.AmazonOrderID]
		if !seen {
			ids = []string{} // encode as [], not null: an order with no items loses them all
		}
		for i := range o.Items {
			r, err := newOrderItemRow(o.AmazonOrderID, &o.Items[i])
			if err != nil {
				return ItemsResult{}, err
			}
			key := [2]string{r.AmazonOrderID, r.OrderItemID}
			if at, dup := index[key]; dup {
				rows[at] = r
				continue
			}
			index[key] = len(rows)
			rows = append(rows, r)
			ids = append(ids, r.OrderItemID)
		}
		keep[o.AmazonOrderID] = ids
	}
	if rows == nil {
		rows = []orderItemRow{} // encode as [], not null
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return ItemsResult{}, fmt.Errorf("encode %d order items: %w", len(rows), err)
	}
	keepJSON, err := json.Marshal(keep)
	if err != nil {
		return ItemsResult{}, fmt.Errorf("encode item ids of %d orders: %w", len(keep), err)
	}
	res, err := dbsqlc.New().ReplaceOrderItems(ctx, db, dbsqlc.ReplaceOrderItemsParams{Rows: payload, AccountID: accountID, Keep: keepJSON})
	if err != nil {
		return ItemsResult{}, fmt.Errorf("replace items of %d orders of account %s: %w", len(keep), accountID, err)
	}
	return ItemsResult{Written: res.Written, Deleted: res.Deleted}, nil
}
