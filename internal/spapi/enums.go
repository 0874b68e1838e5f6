package spapi

import "strings"

// Enum is the value list of one Amazon enum, in the spelling of the model spsync was written
// against (Orders v0, Fulfillment Outbound 2020-07-01, Services v1). Amazon does not keep to
// its own spelling: the FBA examples send COMPLETE where the model says Complete, older ones
// REQUIRED for Required. Typed columns therefore hold the model's spelling, matched ignoring
// case and underscores, and raw keeps Amazon's text. Enums are open sets in practice (values
// appear before the model lists them), so a value outside the list is kept verbatim and
// reported, never dropped.
type Enum struct {
	// Name is the field as it appears in the model, for warnings and metrics.
	Name   string
	values []string
	byKey  map[string]string
}

// NewEnum returns the enum name with values in their canonical spelling.
func NewEnum(name string, values ...string) *Enum {
	e := &Enum{Name: name, values: values, byKey: make(map[string]string, len(values))}
	for _, v := range values {
		e.byKey[enumKey(v)] = v
	}
	return e
}

// WithAliases adds spellings of a value that differ by more than case and underscores, as
// pairs (alias, canonical). Orders 2026-01-01 says CANCELLED where Orders v0 says Canceled;
// a BI query for Canceled must find both.
func (e *Enum) WithAliases(pairs ...string) *Enum {
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, ok := e.byKey[enumKey(pairs[i+1])]; !ok {
			panic("spapi: alias of unknown enum value " + pairs[i+1])
		}
		e.byKey[enumKey(pairs[i])] = pairs[i+1]
	}
	return e
}

// Values returns the canonical spellings, in the model's order.
func (e *Enum) Values() []string { return append([]string(nil), e.values...) }

// Canonical returns the model's spelling of v and true, or v unchanged and false when v is
// not one of the enum's values in any spelling. The empty string is returned as is, with
// true: absent is not an unknown value.
func (e *Enum) Canonical(v string) (string, bool) {
	if v == "" {
		return v, true
	}
	if c, ok := e.byKey[enumKey(v)]; ok {
		return c, true
	}
	return v, false
}

// enumKey folds case and drops underscores, spaces and hyphens: COMPLETE_PARTIALLED,
// CompletePartialled and complete-partialled are one key.
func enumKey(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for _, r := range strings.ToLower(strings.TrimSpace(v)) {
		if r == '_' || r == ' ' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The enums of typed columns. Each is named after the model field; the struct fields that
// carry them say so with an `enum:"…"` tag, which the tolerant decoder reads (decode.go).
var (
	// Orders v0.
	EnumOrderStatus = NewEnum("OrderStatus",
		"Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled", "Unfulfillable", "InvoiceUnconfirmed", "PendingAvailability",
	).WithAliases("Cancelled", "Canceled")
	EnumFulfillmentChannel = NewEnum("FulfillmentChannel", "MFN", "AFN")
	EnumOrderType          = NewEnum("OrderType",
		"StandardOrder", "LongLeadTimeOrder", "Preorder", "BackOrder", "SourcingOnDemandOrder")
	EnumPaymentMethod          = NewEnum("PaymentMethod", "COD", "CVS", "Other")
	EnumEasyShipShipmentStatus = NewEnum("EasyShipShipmentStatus",
		"PendingSchedule", "PendingPickUp", "PendingDropOff", "LabelCanceled", "PickedUp", "DroppedOff", "AtOriginFC",
		"AtDestinationFC", "Delivered", "RejectedByBuyer", "Undeliverable", "ReturningToSeller", "ReturnedToSeller", "Lost",
		"OutForDelivery", "Damaged")
	EnumElectronicInvoiceStatus = NewEnum("ElectronicInvoiceStatus", "NotRequired", "NotFound", "Processing", "Errored", "Accepted")
	EnumBuyerInvoicePreference  = NewEnum("BuyerInvoicePreference", "INDIVIDUAL", "BUSINESS")
	EnumDeemedResellerCategory  = NewEnum("DeemedResellerCategory", "IOSS", "UOSS")

	// Fulfillment Outbound 2020-07-01.
	EnumFulfillmentOrderStatus = NewEnum("fulfillmentOrderStatus",
		"New", "Received", "Planning", "Processing", "Cancelled", "Complete", "CompletePartialled", "Unfulfillable", "Invalid",
	).WithAliases("Canceled", "Cancelled")
	EnumShippingSpeedCategory     = NewEnum("shippingSpeedCategory", "Standard", "Expedited", "Priority", "ScheduledDelivery")
	EnumFulfillmentAction         = NewEnum("fulfillmentAction", "Ship", "Hold")
	EnumFulfillmentPolicy         = NewEnum("fulfillmentPolicy", "FillOrKill", "FillAll", "FillAllAvailable")
	EnumFulfillmentShipmentStatus = NewEnum("fulfillmentShipmentStatus",
		"PENDING", "SHIPPED", "CANCELLED_BY_FULFILLER", "CANCELLED_BY_SELLER")
	EnumReturnItemStatus    = NewEnum("returnItemStatus", "New", "Processed")
	EnumReturnItemCondition = NewEnum("returnReceivedCondition",
		"Sellable", "Defective", "CustomerDamaged", "CarrierDamaged", "FulfillerDamaged")
	EnumCurrentStatus = NewEnum("currentStatus",
		"IN_TRANSIT", "DELIVERED", "RETURNING", "RETURNED", "UNDELIVERABLE", "DELAYED", "AVAILABLE_FOR_PICKUP",
		"CUSTOMER_ACTION", "UNKNOWN", "OUT_FOR_DELIVERY", "DELIVERY_ATTEMPTED", "PICKUP_SUCCESSFUL", "PICKUP_CANCELLED",
		"PICKUP_ATTEMPTED", "PICKUP_SCHEDULED", "RETURN_REQUEST_ACCEPTED", "REFUND_ISSUED", "RETURN_RECEIVED_IN_FC")

	// Services v1.
	EnumServiceJobStatus = NewEnum("serviceJobStatus",
		"NOT_SERVICED", "CANCELLED", "COMPLETED", "PENDING_SCHEDULE", "NOT_FULFILLABLE", "HOLD", "PAYMENT_DECLINED",
	).WithAliases("CANCELED", "CANCELLED")
	EnumAppointmentStatus   = NewEnum("appointmentStatus", "ACTIVE", "CANCELLED", "COMPLETED").WithAliases("CANCELED", "CANCELLED")
	EnumItemStatus          = NewEnum("itemStatus", "ACTIVE", "CANCELLED", "SHIPPED", "DELIVERED")
	EnumServiceLocationType = NewEnum("serviceLocationType", "IN_HOME", "IN_STORE", "ONLINE")

	// Orders 2026-01-01.
	EnumFulfillmentStatus2026 = NewEnum("fulfillmentStatus2026",
		"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE",
	).WithAliases("CANCELED", "CANCELLED")
	EnumFulfilledBy       = NewEnum("fulfilledBy", "MERCHANT", "AMAZON")
	EnumPackageStatus2026 = NewEnum("packageStatus2026", "PENDING", "IN_TRANSIT", "SHIPPED", "DELIVERED", "CANCELLED", "UNDELIVERABLE")

	// Finances 2024-06-19. transactionStatus is a plain string in the model whose
	// description lists the values; Amazon's own example sends "Released".
	EnumTransactionStatus = NewEnum("transactionStatus",
		TransactionStatusDeferred, TransactionStatusReleased, TransactionStatusDeferredReleased)
	// relatedIdentifierName; TRANSACTION_UPDATE spells ORDER_ID "OrderId", the same key.
	EnumRelatedIdentifierName = NewEnum("relatedIdentifierName",
		RelatedOrderID, RelatedShipmentID, RelatedFinancialEventGroupID, RelatedRefundID, RelatedInvoiceID,
		RelatedDisbursementID, RelatedTransferID, RelatedDeferredTransactionID, RelatedReleaseTransactionID,
		RelatedSettlementID)
	EnumItemRelatedIdentifierName = NewEnum("itemRelatedIdentifierName",
		"ORDER_ADJUSTMENT_ITEM_ID", "COUPON_ID", "REMOVAL_SHIPMENT_ITEM_ID", "TRANSACTION_ID")

	// Reports 2021-06-30, in the order a report goes through them.
	EnumProcessingStatus = NewEnum("processingStatus",
		ReportInQueue, ReportInProgress, ReportDone, ReportCancelled, ReportFatal,
	).WithAliases("CANCELED", ReportCancelled)
)

// enumsByTag resolves the `enum:"…"` struct tags.
var enumsByTag = func() map[string]*Enum {
	m := map[string]*Enum{}
	for _, e := range []*Enum{
		EnumOrderStatus, EnumFulfillmentChannel, EnumOrderType, EnumPaymentMethod, EnumEasyShipShipmentStatus,
		EnumElectronicInvoiceStatus, EnumBuyerInvoicePreference, EnumDeemedResellerCategory,
		EnumFulfillmentOrderStatus, EnumShippingSpeedCategory, EnumFulfillmentAction, EnumFulfillmentPolicy,
		EnumFulfillmentShipmentStatus, EnumReturnItemStatus, EnumReturnItemCondition, EnumCurrentStatus,
		EnumServiceJobStatus, EnumAppointmentStatus, EnumItemStatus, EnumServiceLocationType,
		EnumFulfillmentStatus2026, EnumFulfilledBy, EnumPackageStatus2026, EnumProcessingStatus,
		EnumTransactionStatus, EnumRelatedIdentifierName, EnumItemRelatedIdentifierName,
	} {
		m[e.Name] = e
	}
	return m
}()
