package servicejobs

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// The mapping of Amazon's ServiceJob (Services v1) to the rows of
// service_jobs, service_job_appointments and service_job_items lives with
// the stream, so that the store only writes rows (store.UpsertServiceJobs).
//
// PII. Amazon's ServiceJob carries the buyer's name and phone (buyer) and the
// service address with the buyer's name, street lines and phone
// (serviceLocation.address). They fill the PII columns and stay in the raw
// payload only when keepPII is true, which the worker passes for accounts
// that opted in to storing PII (off by default). Only the address's city,
// stateOrRegion, postalCode and countryCode are typed without the opt-in,
// like the orders shipping address. The fields removed from raw are
// spapi's (spapi.StripServiceJobPII), which the store's quarantine shares.

// serviceAddress is the non-PII part of serviceLocation.address.
type serviceAddress struct {
	City          string `json:"city"`
	StateOrRegion string `json:"stateOrRegion"`
	PostalCode    string `json:"postalCode"`
	CountryCode   string `json:"countryCode"`
}

// serviceBuyer is buyer; Name and Phone are PII.
type serviceBuyer struct {
	IsPrimeMember *bool  `json:"isPrimeMember"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	PhoneNumber   string `json:"phoneNumber"`
}

// serviceAddressPII is the personal part of serviceLocation.address.
type serviceAddressPII struct {
	Name         string `json:"name"`
	AddressLine1 string `json:"addressLine1"`
	AddressLine2 string `json:"addressLine2"`
	AddressLine3 string `json:"addressLine3"`
	Phone        string `json:"phone"`
	PhoneNumber  string `json:"phoneNumber"`
}

// proofOfAppointment is Appointment.poa.
type proofOfAppointment struct {
	AppointmentTime     *spapi.AppointmentTime `json:"appointmentTime"`
	Technicians         json.RawMessage        `json:"technicians"`
	UploadingTechnician string                 `json:"uploadingTechnician"`
	UploadTime          *time.Time             `json:"uploadTime"`
	PoaType             string                 `json:"poaType"`
}

// itemDelivery is AssociatedItem.itemDelivery.
type itemDelivery struct {
	EstimatedDeliveryDate *time.Time `json:"estimatedDeliveryDate"`
	ItemDeliveryPromise   *struct {
		StartTime *time.Time `json:"startTime"`
		EndTime   *time.Time `json:"endTime"`
	} `json:"itemDeliveryPromise"`
}

// appointmentOpen reports whether an appointment may still take place:
// every appointmentStatus but CANCELLED and COMPLETED (ACTIVE, or none).
func appointmentOpen(status string) bool {
	return status != "CANCELLED" && status != "COMPLETED"
}

// MapServiceJobs maps a page of service jobs to the rows
// store.UpsertServiceJobs writes, the PII kept only when keepPII is true
// (the account's opt-in).
func MapServiceJobs(jobs []spapi.ServiceJob, keepPII bool) ([]store.ServiceJobRows, error) {
	out := make([]store.ServiceJobRows, 0, len(jobs))
	for i := range jobs {
		r, err := mapServiceJob(&jobs[i], keepPII)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// mapServiceJob maps an SP-API service job to its rows. Fields Amazon
// left out stay NULL. Appointments without an appointmentId cannot be keyed
// and are left out of service_job_appointments (the job's raw keeps them);
// a repeated appointmentId keeps its last copy.
func mapServiceJob(j *spapi.ServiceJob, keepPII bool) (store.ServiceJobRows, error) {
	fail := func(what string, err error) (store.ServiceJobRows, error) {
		return store.ServiceJobRows{}, fmt.Errorf("service job %s: %s: %w", j.ServiceJobId, what, err)
	}
	raw, err := store.RawPayload(j.Raw, j)
	if err != nil {
		return fail("raw", err)
	}
	if !keepPII {
		if raw, err = spapi.StripServiceJobPII(raw); err != nil {
			return fail("remove PII", err)
		}
	}
	r := store.ServiceJobRow{
		ServiceJobID:     j.ServiceJobId,
		ServiceOrderID:   store.NullIfEmpty(j.ServiceOrderId),
		MarketplaceID:    store.NullIfEmpty(j.MarketplaceId),
		StoreID:          store.NullIfEmpty(j.StoreId),
		ServiceJobStatus: store.NullIfEmpty(j.ServiceJobStatus),
		CreateTime:       j.CreateTime,
		Raw:              raw,
	}
	if s := j.ScopeOfWork; s != nil {
		r.ScopeOfWorkASIN = store.NullIfEmpty(s.ASIN)
		r.ScopeOfWorkTitle = store.NullIfEmpty(s.Title)
		r.ScopeOfWorkQuantity = s.Quantity
		r.ScopeOfWorkRequiredSkills = s.RequiredSkills
	}
	if j.Seller != nil {
		r.SellerID = store.NullIfEmpty(j.Seller.SellerId)
	}
	if j.ServiceJobProvider != nil {
		r.ServiceJobProviderID = store.NullIfEmpty(j.ServiceJobProvider.ServiceJobProviderId)
	}
	if len(j.PreferredAppointmentTimes) > 0 {
		if r.PreferredAppointmentTimes, err = json.Marshal(j.PreferredAppointmentTimes); err != nil {
			return fail("preferredAppointmentTimes", err)
		}
	}
	if isJSONObject(j.Buyer) {
		var b serviceBuyer
		if err := json.Unmarshal(j.Buyer, &b); err != nil {
			return fail("buyer", err)
		}
		r.BuyerIsPrimeMember = b.IsPrimeMember
		if keepPII {
			r.BuyerName = store.NullIfEmpty(b.Name)
			r.BuyerPhone = store.NullIfEmpty(cmp.Or(b.Phone, b.PhoneNumber))
		}
	}
	if l := j.ServiceLocation; l != nil {
		r.ServiceLocationType = store.NullIfEmpty(l.ServiceLocationType)
		if isJSONObject(l.Address) {
			var a serviceAddress
			if err := json.Unmarshal(l.Address, &a); err != nil {
				return fail("serviceLocation.address", err)
			}
			r.ServiceLocationCity = store.NullIfEmpty(a.City)
			r.ServiceLocationStateOrRegion = store.NullIfEmpty(a.StateOrRegion)
			r.ServiceLocationPostalCode = store.NullIfEmpty(a.PostalCode)
			r.ServiceLocationCountryCode = store.NullIfEmpty(a.CountryCode)
			if keepPII {
				var p serviceAddressPII
				if err := json.Unmarshal(l.Address, &p); err != nil {
					return fail("serviceLocation.address", err)
				}
				r.ServiceLocationAddressName = store.NullIfEmpty(p.Name)
				r.ServiceLocationAddressLine1 = store.NullIfEmpty(p.AddressLine1)
				r.ServiceLocationAddressLine2 = store.NullIfEmpty(p.AddressLine2)
				r.ServiceLocationAddressLine3 = store.NullIfEmpty(p.AddressLine3)
				r.ServiceLocationAddressPhone = store.NullIfEmpty(cmp.Or(p.Phone, p.PhoneNumber))
			}
		}
	}
	out := store.ServiceJobRows{Job: r}

	// One row per appointmentId, where the id first appears, holding its
	// last copy: one statement cannot write a key twice.
	at := map[string]int{}
	for i := range j.Appointments {
		a := &j.Appointments[i]
		if a.AppointmentId == "" {
			continue
		}
		ar, err := mapAppointment(j.ServiceJobId, a)
		if err != nil {
			return fail("appointment "+a.AppointmentId, err)
		}
		if k, dup := at[ar.AppointmentID]; dup {
			out.Appointments[k] = ar
			continue
		}
		at[ar.AppointmentID] = len(out.Appointments)
		out.Appointments = append(out.Appointments, ar)
	}
	for _, ar := range out.Appointments {
		status := ""
		if ar.AppointmentStatus != nil {
			status = *ar.AppointmentStatus
		}
		if ar.StartTime != nil && appointmentOpen(status) && (out.NextAppointment == nil || ar.StartTime.Before(*out.NextAppointment)) {
			out.NextAppointment = ar.StartTime
		}
	}

	for i := range j.AssociatedItems {
		ir, err := mapAssociatedItem(j.ServiceJobId, i, &j.AssociatedItems[i])
		if err != nil {
			return fail(fmt.Sprintf("associated item %d", i), err)
		}
		out.Items = append(out.Items, ir)
	}
	return out, nil
}

func mapAppointment(jobID string, a *spapi.Appointment) (store.ServiceJobAppointmentRow, error) {
	raw, err := store.RawPayload(a.Raw, a)
	if err != nil {
		return store.ServiceJobAppointmentRow{}, err
	}
	r := store.ServiceJobAppointmentRow{
		ServiceJobID:             jobID,
		AppointmentID:            a.AppointmentId,
		AppointmentStatus:        store.NullIfEmpty(a.AppointmentStatus),
		RescheduledAppointmentID: store.NullIfEmpty(a.RescheduledAppointmentId),
		Raw:                      raw,
	}
	r.StartTime, r.DurationInMinutes = appointmentTime(a.AppointmentTime)
	if len(a.AssignedTechnicians) > 0 {
		r.AssignedTechnicianIDs = make([]string, 0, len(a.AssignedTechnicians))
		for _, t := range a.AssignedTechnicians {
			if t.TechnicianId != "" {
				r.AssignedTechnicianIDs = append(r.AssignedTechnicianIDs, t.TechnicianId)
			}
		}
		if r.AssignedTechnicians, err = json.Marshal(a.AssignedTechnicians); err != nil {
			return store.ServiceJobAppointmentRow{}, fmt.Errorf("assignedTechnicians: %w", err)
		}
	}
	if isJSONObject(a.Poa) {
		var p proofOfAppointment
		if err := json.Unmarshal(a.Poa, &p); err != nil {
			return store.ServiceJobAppointmentRow{}, fmt.Errorf("poa: %w", err)
		}
		r.PoaType = store.NullIfEmpty(p.PoaType)
		r.PoaUploadTime = p.UploadTime
		r.PoaUploadingTechnician = store.NullIfEmpty(p.UploadingTechnician)
		r.PoaStartTime, r.PoaDurationInMinutes = appointmentTime(p.AppointmentTime)
		if isJSONArray(p.Technicians) {
			r.PoaTechnicians = p.Technicians
		}
	}
	return r, nil
}

func mapAssociatedItem(jobID string, index int, it *spapi.AssociatedItem) (store.ServiceJobItemRow, error) {
	raw, err := store.RawPayload(it.Raw, it)
	if err != nil {
		return store.ServiceJobItemRow{}, err
	}
	r := store.ServiceJobItemRow{
		ServiceJobID: jobID,
		ItemIndex:    index,
		ASIN:         store.NullIfEmpty(it.ASIN),
		Title:        store.NullIfEmpty(it.Title),
		Quantity:     it.Quantity,
		OrderID:      store.NullIfEmpty(it.OrderId),
		ItemStatus:   store.NullIfEmpty(it.ItemStatus),
		BrandName:    store.NullIfEmpty(it.BrandName),
		Raw:          raw,
	}
	if isJSONObject(it.ItemDelivery) {
		var d itemDelivery
		if err := json.Unmarshal(it.ItemDelivery, &d); err != nil {
			return store.ServiceJobItemRow{}, fmt.Errorf("itemDelivery: %w", err)
		}
		r.ItemDeliveryEstimatedDeliveryDate = d.EstimatedDeliveryDate
		if p := d.ItemDeliveryPromise; p != nil {
			r.ItemDeliveryPromiseStartTime = p.StartTime
			r.ItemDeliveryPromiseEndTime = p.EndTime
		}
	}
	return r, nil
}

// appointmentTime splits an AppointmentTime into its columns; a missing
// window or start time is NULL, never the zero time.
func appointmentTime(t *spapi.AppointmentTime) (*time.Time, *int) {
	if t == nil {
		return nil, nil
	}
	var start *time.Time
	if !t.StartTime.IsZero() {
		s := t.StartTime
		start = &s
	}
	d := t.DurationInMinutes
	return start, &d
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func isJSONArray(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '['
}
