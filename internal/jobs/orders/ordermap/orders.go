// Package ordermap maps Amazon's order records (Orders v0 orders and items,
// Orders 2026-01-01 orders with everything inline, their PII) to the store's
// row values: the orders stream decides what a record means, internal/store
// only writes the rows (issue 26 item 4). It is a package of its own, not
// part of internal/jobs/orders, so that the store's tests can map records
// without the jobs.
package ordermap

import (
	"fmt"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Order maps an SP-API order to its row. Fields Amazon left out stay
// NULL. Of the shipping address only city, state, postal code and country
// are typed: the rest is PII.
func Order(o *spapi.Order) (store.OrderRow, error) {
	raw, err := store.RawPayload(o.Raw, o)
	if err != nil {
		return store.OrderRow{}, fmt.Errorf("order %s: %w", o.AmazonOrderId, err)
	}
	r := store.OrderRow{
		AmazonOrderID:                o.AmazonOrderId,
		SellerOrderID:                store.NullIfEmpty(o.SellerOrderId),
		PurchaseDate:                 o.PurchaseDate,
		LastUpdateDate:               o.LastUpdateDate,
		OrderStatus:                  store.NullIfEmpty(o.OrderStatus),
		APIVersion:                   "v0",
		FulfillmentChannel:           store.NullIfEmpty(o.FulfillmentChannel),
		SalesChannel:                 store.NullIfEmpty(o.SalesChannel),
		OrderChannel:                 store.NullIfEmpty(o.OrderChannel),
		ShipServiceLevel:             store.NullIfEmpty(o.ShipServiceLevel),
		ShipmentServiceLevelCategory: store.NullIfEmpty(o.ShipmentServiceLevelCategory),
		MarketplaceID:                store.NullIfEmpty(o.MarketplaceId),
		OrderType:                    store.NullIfEmpty(o.OrderType),
		NumberOfItemsShipped:         o.NumberOfItemsShipped,
		NumberOfItemsUnshipped:       o.NumberOfItemsUnshipped,
		PaymentMethod:                store.NullIfEmpty(o.PaymentMethod),
		PaymentMethodDetails:         o.PaymentMethodDetails,
		EasyShipShipmentStatus:       store.NullIfEmpty(o.EasyShipShipmentStatus),
		ElectronicInvoiceStatus:      store.NullIfEmpty(o.ElectronicInvoiceStatus),
		BuyerInvoicePreference:       store.NullIfEmpty(o.BuyerInvoicePreference),
		EarliestShipDate:             o.EarliestShipDate,
		LatestShipDate:               o.LatestShipDate,
		EarliestDeliveryDate:         o.EarliestDeliveryDate,
		LatestDeliveryDate:           o.LatestDeliveryDate,
		PromiseResponseDueDate:       o.PromiseResponseDueDate,
		IsBusinessOrder:              o.IsBusinessOrder,
		IsPrime:                      o.IsPrime,
		IsPremiumOrder:               o.IsPremiumOrder,
		IsGlobalExpressEnabled:       o.IsGlobalExpressEnabled,
		IsReplacementOrder:           o.IsReplacementOrder,
		ReplacedOrderID:              store.NullIfEmpty(o.ReplacedOrderId),
		IsEstimatedShipDateSet:       o.IsEstimatedShipDateSet,
		IsSoldByAB:                   o.IsSoldByAB,
		IsIBA:                        o.IsIBA,
		IsISPU:                       o.IsISPU,
		IsAccessPointOrder:           o.IsAccessPointOrder,
		HasRegulatedItems:            o.HasRegulatedItems,
		SellerDisplayName:            store.NullIfEmpty(o.SellerDisplayName),
		Raw:                          raw,
	}
	r.OrderTotalAmount, r.OrderTotalCurrency = store.MoneyColumns(o.OrderTotal)
	if a := o.ShippingAddress; a != nil {
		r.ShippingAddressCity = store.NullIfEmpty(a.City)
		r.ShippingAddressStateOrRegion = store.NullIfEmpty(a.StateOrRegion)
		r.ShippingAddressPostalCode = store.NullIfEmpty(a.PostalCode)
		r.ShippingAddressCountryCode = store.NullIfEmpty(a.CountryCode)
	}
	return r, nil
}

// Orders maps a page of SP-API orders to their rows.
func Orders(orders []spapi.Order) ([]store.OrderRow, error) {
	rows := make([]store.OrderRow, 0, len(orders))
	for i := range orders {
		r, err := Order(&orders[i])
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Item maps an SP-API order item of order orderID to its row.
// Amounts Amazon left out (every price of a Pending order) stay NULL.
func Item(orderID string, it *spapi.OrderItem) (store.OrderItemRow, error) {
	raw, err := store.RawPayload(it.Raw, it)
	if err != nil {
		return store.OrderItemRow{}, fmt.Errorf("order %s item %s: %w", orderID, it.OrderItemId, err)
	}
	r := store.OrderItemRow{
		AmazonOrderID:          orderID,
		OrderItemID:            it.OrderItemId,
		ASIN:                   it.ASIN,
		SellerSKU:              store.NullIfEmpty(it.SellerSKU),
		Title:                  store.NullIfEmpty(it.Title),
		QuantityOrdered:        it.QuantityOrdered,
		QuantityShipped:        it.QuantityShipped,
		IsGift:                 it.IsGift,
		ConditionID:            store.NullIfEmpty(it.ConditionId),
		ConditionSubtypeID:     store.NullIfEmpty(it.ConditionSubtypeId),
		PriceDesignation:       store.NullIfEmpty(it.PriceDesignation),
		IsTransparency:         it.IsTransparency,
		SerialNumberRequired:   it.SerialNumberRequired,
		IossNumber:             store.NullIfEmpty(it.IossNumber),
		StoreChainStoreID:      store.NullIfEmpty(it.StoreChainStoreId),
		DeemedResellerCategory: store.NullIfEmpty(it.DeemedResellerCategory),
		APIVersion:             "v0",
		Raw:                    raw,
	}
	r.ItemPriceAmount, r.ItemPriceCurrency = store.MoneyColumns(it.ItemPrice)
	r.ShippingPriceAmount, r.ShippingPriceCurrency = store.MoneyColumns(it.ShippingPrice)
	r.ItemTaxAmount, r.ItemTaxCurrency = store.MoneyColumns(it.ItemTax)
	r.ShippingTaxAmount, r.ShippingTaxCurrency = store.MoneyColumns(it.ShippingTax)
	r.ShippingDiscountAmount, r.ShippingDiscountCurrency = store.MoneyColumns(it.ShippingDiscount)
	r.ShippingDiscountTaxAmount, r.ShippingDiscountTaxCurrency = store.MoneyColumns(it.ShippingDiscountTax)
	r.PromotionDiscountAmount, r.PromotionDiscountCurrency = store.MoneyColumns(it.PromotionDiscount)
	r.PromotionDiscountTaxAmount, r.PromotionDiscountTaxCurrency = store.MoneyColumns(it.PromotionDiscountTax)
	r.CODFeeAmount, r.CODFeeCurrency = store.MoneyColumns(it.CODFee)
	r.CODFeeDiscountAmount, r.CODFeeDiscountCurrency = store.MoneyColumns(it.CODFeeDiscount)
	return r, nil
}

// Items maps the complete item list of order orderID (every page of
// getOrderItems together) to the rows store.ReplaceOrderItems writes.
func Items(orderID string, items []spapi.OrderItem) (store.OrderItems, error) {
	out := store.OrderItems{AmazonOrderID: orderID, Items: make([]store.OrderItemRow, 0, len(items))}
	for i := range items {
		r, err := Item(orderID, &items[i])
		if err != nil {
			return store.OrderItems{}, err
		}
		out.Items = append(out.Items, r)
	}
	return out, nil
}
