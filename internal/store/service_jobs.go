package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Service jobs (Services v1) are stored like orders (see orders.go): one
// jsonb array per table per page, unpacked in Postgres, with rows whose raw
// payload is unchanged left untouched. A job's payload always carries all of
// its appointments and associated items, so UpsertServiceJobs writes the
// three tables together and deletes the children a job no longer lists.
//
// PII. Amazon's ServiceJob carries the buyer's name and phone (buyer) and the
// service address with the buyer's name, street lines and phone
// (serviceLocation.address). None of these gets a typed column. They are
// also removed from the stored raw payload unless the caller passes
// StoreServiceJobPII(true), which the worker does only for accounts that
// opted in to storing PII (off by default). Only the address's city,
// stateOrRegion, postalCode and countryCode are typed, like the orders
// shipping address.

// Service job statuses (serviceJobStatus), from Amazon's Services v1 model
// (seeds 000 and 001).
const (
	ServiceJobStatusNotServiced     = "NOT_SERVICED"
	ServiceJobStatusCancelled       = "CANCELLED"
	ServiceJobStatusCompleted       = "COMPLETED"
	ServiceJobStatusPendingSchedule = "PENDING_SCHEDULE"
	ServiceJobStatusNotFulfillable  = "NOT_FULFILLABLE"
	ServiceJobStatusHold            = "HOLD"
	ServiceJobStatusPaymentDeclined = "PAYMENT_DECLINED"
)

// ServiceJobOpen reports whether a job in this status can still change and
// so is refreshed: every status but COMPLETED and CANCELLED. That is
// NOT_SERVICED, PENDING_SCHEDULE, NOT_FULFILLABLE, HOLD and PAYMENT_DECLINED,
// and also a missing ("") or unknown status, because refreshing a job that
// turns out to be finished costs one call while never refreshing an open one
// loses its updates. ListOpenServiceJobs applies the same rule in SQL.
func ServiceJobOpen(status string) bool {
	return status != ServiceJobStatusCompleted && status != ServiceJobStatusCancelled
}

// appointmentOpen reports whether an appointment may still take place:
// every appointmentStatus but CANCELLED and COMPLETED (ACTIVE, or none).
func appointmentOpen(status string) bool {
	return status != "CANCELLED" && status != "COMPLETED"
}

// ServiceJobsOption tunes UpsertServiceJobs.
type ServiceJobsOption func(*serviceJobsOptions)

type serviceJobsOptions struct {
	keepPII bool
}

// StoreServiceJobPII keeps the buyer's name and phone and the service
// address's name, street lines and phone in the stored raw payload when keep
// is true. Pass the account's PII opt-in; the default removes them.
func StoreServiceJobPII(keep bool) ServiceJobsOption {
	return func(o *serviceJobsOptions) { o.keepPII = keep }
}

// serviceJobRow is one service_jobs row as UpsertServiceJobs reads it. JSON
// names are the column names.
type serviceJobRow struct {
	ServiceJobID                 string          `json:"service_job_id"`
	ServiceOrderID               *string         `json:"service_order_id"`
	MarketplaceID                *string         `json:"marketplace_id"`
	StoreID                      *string         `json:"store_id"`
	ServiceJobStatus             *string         `json:"service_job_status"`
	CreateTime                   *time.Time      `json:"create_time"`
	ScopeOfWorkASIN              *string         `json:"scope_of_work_asin"`
	ScopeOfWorkTitle             *string         `json:"scope_of_work_title"`
	ScopeOfWorkQuantity          *int            `json:"scope_of_work_quantity"`
	ScopeOfWorkRequiredSkills    []string        `json:"scope_of_work_required_skills"`
	SellerID                     *string         `json:"seller_id"`
	ServiceJobProviderID         *string         `json:"service_job_provider_id"`
	PreferredAppointmentTimes    json.RawMessage `json:"preferred_appointment_times"`
	BuyerIsPrimeMember           *bool           `json:"buyer_is_prime_member"`
	ServiceLocationType          *string         `json:"service_location_type"`
	ServiceLocationCity          *string         `json:"service_location_city"`
	ServiceLocationStateOrRegion *string         `json:"service_location_state_or_region"`
	ServiceLocationPostalCode    *string         `json:"service_location_postal_code"`
	ServiceLocationCountryCode   *string         `json:"service_location_country_code"`
	// The PII columns, filled only with StoreServiceJobPII(true).
	BuyerName                   *string         `json:"buyer_name"`
	BuyerPhone                  *string         `json:"buyer_phone"`
	ServiceLocationAddressName  *string         `json:"service_location_address_name"`
	ServiceLocationAddressLine1 *string         `json:"service_location_address_line1"`
	ServiceLocationAddressLine2 *string         `json:"service_location_address_line2"`
	ServiceLocationAddressLine3 *string         `json:"service_location_address_line3"`
	ServiceLocationAddressPhone *string         `json:"service_location_address_phone"`
	Raw                         json.RawMessage `json:"raw"`
}

// serviceJobAppointmentRow is one service_job_appointments row.
type serviceJobAppointmentRow struct {
	ServiceJobID             string          `json:"service_job_id"`
	AppointmentID            string          `json:"appointment_id"`
	AppointmentStatus        *string         `json:"appointment_status"`
	StartTime                *time.Time      `json:"start_time"`
	DurationInMinutes        *int            `json:"duration_in_minutes"`
	AssignedTechnicianIDs    []string        `json:"assigned_technician_ids"`
	AssignedTechnicians      json.RawMessage `json:"assigned_technicians"`
	RescheduledAppointmentID *string         `json:"rescheduled_appointment_id"`
	PoaType                  *string         `json:"poa_type"`
	PoaUploadTime            *time.Time      `json:"poa_upload_time"`
	PoaUploadingTechnician   *string         `json:"poa_uploading_technician"`
	PoaStartTime             *time.Time      `json:"poa_start_time"`
	PoaDurationInMinutes     *int            `json:"poa_duration_in_minutes"`
	PoaTechnicians           json.RawMessage `json:"poa_technicians"`
	Raw                      json.RawMessage `json:"raw"`
}

// serviceJobItemRow is one service_job_items row.
type serviceJobItemRow struct {
	ServiceJobID                      string          `json:"service_job_id"`
	ItemIndex                         int             `json:"item_index"`
	ASIN                              *string         `json:"asin"`
	Title                             *string         `json:"title"`
	Quantity                          *int            `json:"quantity"`
	OrderID                           *string         `json:"order_id"`
	ItemStatus                        *string         `json:"item_status"`
	BrandName                         *string         `json:"brand_name"`
	ItemDeliveryEstimatedDeliveryDate *time.Time      `json:"item_delivery_estimated_delivery_date"`
	ItemDeliveryPromiseStartTime      *time.Time      `json:"item_delivery_promise_start_time"`
	ItemDeliveryPromiseEndTime        *time.Time      `json:"item_delivery_promise_end_time"`
	Raw                               json.RawMessage `json:"raw"`
}

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

// serviceJobRows is a job mapped to its rows in the three tables.
type serviceJobRows struct {
	job          serviceJobRow
	appointments []serviceJobAppointmentRow
	items        []serviceJobItemRow
	// nextAppointment is the earliest start of an appointment that is
	// neither cancelled nor completed.
	nextAppointment *time.Time
}

// newServiceJobRows maps an SP-API service job to its rows. Fields Amazon
// left out stay NULL. Appointments without an appointmentId cannot be keyed
// and are left out of service_job_appointments (the job's raw keeps them);
// a repeated appointmentId keeps its last copy.
func newServiceJobRows(j *spapi.ServiceJob, keepPII bool) (serviceJobRows, error) {
	fail := func(what string, err error) (serviceJobRows, error) {
		return serviceJobRows{}, fmt.Errorf("service job %s: %s: %w", j.ServiceJobId, what, err)
	}
	raw, err := orderRaw(j.Raw, j)
	if err != nil {
		return fail("raw", err)
	}
	if !keepPII {
		if raw, err = redactServiceJobPII(raw); err != nil {
			return fail("remove PII", err)
		}
	}
	r := serviceJobRow{
		ServiceJobID:     j.ServiceJobId,
		ServiceOrderID:   orderText(j.ServiceOrderId),
		MarketplaceID:    orderText(j.MarketplaceId),
		StoreID:          orderText(j.StoreId),
		ServiceJobStatus: orderText(j.ServiceJobStatus),
		CreateTime:       j.CreateTime,
		Raw:              raw,
	}
	if s := j.ScopeOfWork; s != nil {
		r.ScopeOfWorkASIN = orderText(s.ASIN)
		r.ScopeOfWorkTitle = orderText(s.Title)
		r.ScopeOfWorkQuantity = s.Quantity
		r.ScopeOfWorkRequiredSkills = s.RequiredSkills
	}
	if j.Seller != nil {
		r.SellerID = orderText(j.Seller.SellerId)
	}
	if j.ServiceJobProvider != nil {
		r.ServiceJobProviderID = orderText(j.ServiceJobProvider.ServiceJobProviderId)
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
			r.BuyerName = orderText(b.Name)
			r.BuyerPhone = orderText(cmp.Or(b.Phone, b.PhoneNumber))
		}
	}
	if l := j.ServiceLocation; l != nil {
		r.ServiceLocationType = orderText(l.ServiceLocationType)
		if isJSONObject(l.Address) {
			var a serviceAddress
			if err := json.Unmarshal(l.Address, &a); err != nil {
				return fail("serviceLocation.address", err)
			}
			r.ServiceLocationCity = orderText(a.City)
			r.ServiceLocationStateOrRegion = orderText(a.StateOrRegion)
			r.ServiceLocationPostalCode = orderText(a.PostalCode)
			r.ServiceLocationCountryCode = orderText(a.CountryCode)
			if keepPII {
				var p serviceAddressPII
				if err := json.Unmarshal(l.Address, &p); err != nil {
					return fail("serviceLocation.address", err)
				}
				r.ServiceLocationAddressName = orderText(p.Name)
				r.ServiceLocationAddressLine1 = orderText(p.AddressLine1)
				r.ServiceLocationAddressLine2 = orderText(p.AddressLine2)
				r.ServiceLocationAddressLine3 = orderText(p.AddressLine3)
				r.ServiceLocationAddressPhone = orderText(cmp.Or(p.Phone, p.PhoneNumber))
			}
		}
	}
	out := serviceJobRows{job: r}

	for i := range j.Appointments {
		a := &j.Appointments[i]
		if a.AppointmentId == "" {
			continue
		}
		ar, err := newServiceJobAppointmentRow(j.ServiceJobId, a)
		if err != nil {
			return fail("appointment "+a.AppointmentId, err)
		}
		out.appointments = append(out.appointments, ar)
	}
	out.appointments = dedupe(out.appointments, func(r *serviceJobAppointmentRow) string { return r.AppointmentID }, nil)
	for _, ar := range out.appointments {
		status := ""
		if ar.AppointmentStatus != nil {
			status = *ar.AppointmentStatus
		}
		if ar.StartTime != nil && appointmentOpen(status) && (out.nextAppointment == nil || ar.StartTime.Before(*out.nextAppointment)) {
			out.nextAppointment = ar.StartTime
		}
	}

	for i := range j.AssociatedItems {
		ir, err := newServiceJobItemRow(j.ServiceJobId, i, &j.AssociatedItems[i])
		if err != nil {
			return fail(fmt.Sprintf("associated item %d", i), err)
		}
		out.items = append(out.items, ir)
	}
	return out, nil
}

func newServiceJobAppointmentRow(jobID string, a *spapi.Appointment) (serviceJobAppointmentRow, error) {
	raw, err := orderRaw(a.Raw, a)
	if err != nil {
		return serviceJobAppointmentRow{}, err
	}
	r := serviceJobAppointmentRow{
		ServiceJobID:             jobID,
		AppointmentID:            a.AppointmentId,
		AppointmentStatus:        orderText(a.AppointmentStatus),
		RescheduledAppointmentID: orderText(a.RescheduledAppointmentId),
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
			return serviceJobAppointmentRow{}, fmt.Errorf("assignedTechnicians: %w", err)
		}
	}
	if isJSONObject(a.Poa) {
		var p proofOfAppointment
		if err := json.Unmarshal(a.Poa, &p); err != nil {
			return serviceJobAppointmentRow{}, fmt.Errorf("poa: %w", err)
		}
		r.PoaType = orderText(p.PoaType)
		r.PoaUploadTime = p.UploadTime
		r.PoaUploadingTechnician = orderText(p.UploadingTechnician)
		r.PoaStartTime, r.PoaDurationInMinutes = appointmentTime(p.AppointmentTime)
		if isJSONArray(p.Technicians) {
			r.PoaTechnicians = p.Technicians
		}
	}
	return r, nil
}

func newServiceJobItemRow(jobID string, index int, it *spapi.AssociatedItem) (serviceJobItemRow, error) {
	raw, err := orderRaw(it.Raw, it)
	if err != nil {
		return serviceJobItemRow{}, err
	}
	r := serviceJobItemRow{
		ServiceJobID: jobID,
		ItemIndex:    index,
		ASIN:         orderText(it.ASIN),
		Title:        orderText(it.Title),
		Quantity:     it.Quantity,
		OrderID:      orderText(it.OrderId),
		ItemStatus:   orderText(it.ItemStatus),
		BrandName:    orderText(it.BrandName),
		Raw:          raw,
	}
	if isJSONObject(it.ItemDelivery) {
		var d itemDelivery
		if err := json.Unmarshal(it.ItemDelivery, &d); err != nil {
			return serviceJobItemRow{}, fmt.Errorf("itemDelivery: %w", err)
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

// servicePIIFields are removed from the stored raw payload unless the
// account opted in to PII: buyer.name and buyer.phone, and the name, street
// lines and phone of serviceLocation.address (Amazon's pages spell the
// phone both phone and phoneNumber).
var servicePIIFields = map[string][]string{
	"buyer":   {"name", "phone", "phoneNumber"},
	"address": {"name", "addressLine1", "addressLine2", "addressLine3", "phone", "phoneNumber"},
}

// redactServiceJobPII returns raw without the servicePIIFields. A payload
// with none of them is returned unchanged.
func redactServiceJobPII(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as sent
	var job map[string]any
	if err := dec.Decode(&job); err != nil {
		return nil, err
	}
	removed := false
	drop := func(obj any, fields []string) {
		m, ok := obj.(map[string]any)
		if !ok {
			return
		}
		for _, f := range fields {
			if _, ok := m[f]; ok {
				delete(m, f)
				removed = true
			}
		}
	}
	drop(job["buyer"], servicePIIFields["buyer"])
	if loc, ok := job["serviceLocation"].(map[string]any); ok {
		drop(loc["address"], servicePIIFields["address"])
	}
	if !removed {
		return raw, nil
	}
	return json.Marshal(job)
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func isJSONArray(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '['
}

// ServiceJobChange is a service job UpsertServiceJobs wrote: new, or with a
// changed payload (its appointments or items included).
type ServiceJobChange struct {
	ServiceJobID string
	// ServiceJobStatus is the status written, "" when Amazon sent none.
	ServiceJobStatus string
	// PreviousServiceJobStatus is the stored status before the write, nil
	// for a new job or one stored without a status.
	PreviousServiceJobStatus *string
	// New is true when the job was not stored before.
	New bool
	// Open is ServiceJobOpen(ServiceJobStatus): the job may still change
	// and should be refreshed.
	Open bool
	// NextAppointmentTime is the earliest start of the job's appointments
	// that are neither CANCELLED nor COMPLETED, nil when there is none; a
	// refresh schedule tightens as it approaches.
	NextAppointmentTime *time.Time
}

// ServiceJobsResult counts what UpsertServiceJobs did to the child tables.
type ServiceJobsResult struct {
	AppointmentsWritten, AppointmentsDeleted int64
	ItemsWritten, ItemsDeleted               int64
}

// UpsertServiceJobs writes service jobs of one account with their
// appointments and associated items, one statement per table, on db (a
// transaction, so the caller's cursor and follow-up jobs commit with the
// rows). Rows whose payload is unchanged are not touched; appointments and
// items a job no longer lists are deleted. When the batch repeats a job, its
// last copy wins. PII is removed from raw unless StoreServiceJobPII(true)
// is passed. It returns the jobs it wrote, new or changed.
func UpsertServiceJobs(ctx context.Context, db dbsqlc.DBTX, accountID string, jobs []spapi.ServiceJob, opts ...ServiceJobsOption) ([]ServiceJobChange, error) {
	changes, _, err := UpsertServiceJobsCounted(ctx, db, accountID, jobs, opts...)
	return changes, err
}

// UpsertServiceJobsCounted is UpsertServiceJobs that also reports how many
// appointment and item rows were written and deleted.
func UpsertServiceJobsCounted(ctx context.Context, db dbsqlc.DBTX, accountID string, jobs []spapi.ServiceJob, opts ...ServiceJobsOption) ([]ServiceJobChange, ServiceJobsResult, error) {
	var res ServiceJobsResult
	if len(jobs) == 0 {
		return nil, res, nil
	}
	var o serviceJobsOptions
	for _, opt := range opts {
		opt(&o)
	}
	mapped := make([]serviceJobRows, 0, len(jobs))
	for i := range jobs {
		r, err := newServiceJobRows(&jobs[i], o.keepPII)
		if err != nil {
			return nil, res, err
		}
		mapped = append(mapped, r)
	}
	mapped = dedupe(mapped, func(r *serviceJobRows) string { return r.job.ServiceJobID }, nil)
	index := make(map[string]int, len(mapped))
	for i, m := range mapped {
		index[m.job.ServiceJobID] = i
	}
	ids := make([]string, len(mapped))
	jobRows := make([]serviceJobRow, len(mapped))
	appointments := []serviceJobAppointmentRow{}
	items := []serviceJobItemRow{}
	for i, m := range mapped {
		ids[i] = m.job.ServiceJobID
		jobRows[i] = m.job
		appointments = append(appointments, m.appointments...)
		items = append(items, m.items...)
	}

	q := dbsqlc.New()
	payload, err := json.Marshal(jobRows)
	if err != nil {
		return nil, res, fmt.Errorf("encode %d service jobs: %w", len(jobRows), err)
	}
	written, err := q.UpsertServiceJobs(ctx, db, dbsqlc.UpsertServiceJobsParams{Rows: payload, AccountID: accountID})
	if err != nil {
		return nil, res, fmt.Errorf("upsert %d service jobs of account %s: %w", len(jobRows), accountID, err)
	}

	if payload, err = json.Marshal(appointments); err != nil {
		return nil, res, fmt.Errorf("encode %d service job appointments: %w", len(appointments), err)
	}
	ar, err := q.ReplaceServiceJobAppointments(ctx, db, dbsqlc.ReplaceServiceJobAppointmentsParams{Rows: payload, AccountID: accountID, ServiceJobIds: ids})
	if err != nil {
		return nil, res, fmt.Errorf("replace appointments of %d service jobs of account %s: %w", len(ids), accountID, err)
	}
	if payload, err = json.Marshal(items); err != nil {
		return nil, res, fmt.Errorf("encode %d service job items: %w", len(items), err)
	}
	ir, err := q.ReplaceServiceJobItems(ctx, db, dbsqlc.ReplaceServiceJobItemsParams{Rows: payload, AccountID: accountID, ServiceJobIds: ids})
	if err != nil {
		return nil, res, fmt.Errorf("replace items of %d service jobs of account %s: %w", len(ids), accountID, err)
	}
	res = ServiceJobsResult{AppointmentsWritten: ar.Written, AppointmentsDeleted: ar.Deleted, ItemsWritten: ir.Written, ItemsDeleted: ir.Deleted}

	out := make([]ServiceJobChange, len(written))
	for i, w := range written {
		status := ""
		if w.ServiceJobStatus != nil {
			status = *w.ServiceJobStatus
		}
		out[i] = ServiceJobChange{
			ServiceJobID:             w.ServiceJobID,
			ServiceJobStatus:         status,
			PreviousServiceJobStatus: w.PreviousServiceJobStatus,
			New:                      !w.Existed,
			Open:                     ServiceJobOpen(status),
			NextAppointmentTime:      mapped[index[w.ServiceJobID]].nextAppointment,
		}
	}
	slices.SortFunc(out, func(a, b ServiceJobChange) int { return index[a.ServiceJobID] - index[b.ServiceJobID] })
	return out, res, nil
}

// OpenServiceJob is a stored job that is still open (see ServiceJobOpen).
type OpenServiceJob struct {
	ServiceJobID string
	// ServiceJobStatus is "" when Amazon sent none.
	ServiceJobStatus string
	CreateTime       *time.Time
	// SyncedAt is when the job's row last changed.
	SyncedAt time.Time
	// NextAppointmentTime is the earliest start of the job's appointments
	// that are neither CANCELLED nor COMPLETED, nil when there is none.
	NextAppointmentTime *time.Time
}

// ListOpenServiceJobs returns up to limit open jobs of the account (every
// status but COMPLETED and CANCELLED, see ServiceJobOpen), the most urgent
// first: by NextAppointmentTime, jobs without one last, then by id.
func ListOpenServiceJobs(ctx context.Context, db dbsqlc.DBTX, accountID string, limit int) ([]OpenServiceJob, error) {
	return ListOpenServiceJobsIn(ctx, db, accountID, "", limit)
}

// ListOpenServiceJobsIn is ListOpenServiceJobs of one marketplace: its open
// jobs and those stored without a marketplace; every marketplace's when
// marketplaceID is "". Each marketplace's poll schedules the refreshes of
// its own jobs, so a poll never schedules a refresh for a job another
// marketplace's poll, running at the same time, has just closed.
func ListOpenServiceJobsIn(ctx context.Context, db dbsqlc.DBTX, accountID, marketplaceID string, limit int) ([]OpenServiceJob, error) {
	if limit <= 0 {
		return nil, nil
	}
	params := dbsqlc.ListOpenServiceJobsParams{AccountID: accountID, MaxRows: int32(min(limit, math.MaxInt32))}
	if marketplaceID != "" {
		params.MarketplaceID = &marketplaceID
	}
	rows, err := dbsqlc.New().ListOpenServiceJobs(ctx, db, params)
	if err != nil {
		return nil, fmt.Errorf("list open service jobs of account %s: %w", accountID, err)
	}
	out := make([]OpenServiceJob, len(rows))
	for i, r := range rows {
		out[i] = OpenServiceJob{ServiceJobID: r.ServiceJobID, CreateTime: r.CreateTime, SyncedAt: r.SyncedAt, NextAppointmentTime: r.NextAppointmentTime}
		if r.ServiceJobStatus != nil {
			out[i].ServiceJobStatus = *r.ServiceJobStatus
		}
	}
	return out, nil
}

// ServiceJobStoredOpen reports whether the job is stored and open (a job
// without a status counts as open).
func ServiceJobStoredOpen(ctx context.Context, db dbsqlc.DBTX, accountID, id string) (bool, error) {
	status, err := dbsqlc.New().GetServiceJobStatus(ctx, db, dbsqlc.GetServiceJobStatusParams{AccountID: accountID, ServiceJobID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read status of service job %s: %w", id, err)
	}
	return status == nil || ServiceJobOpen(*status), nil
}
