package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// Service jobs (Services v1) are stored like orders (see orders.go): one
// jsonb array per table per page, unpacked in Postgres, with rows whose raw
// payload is unchanged left untouched. A job's payload always carries all of
// its appointments and associated items, so UpsertServiceJobs writes the
// three tables together and deletes the children a job no longer lists.
// The rows come mapped from Amazon's ServiceJob by the service jobs stream
// (internal/jobs/servicejobs), which applies the PII opt-in; the store only
// writes them. Which fields of a raw payload are PII is spapi's
// (spapi.StripServiceJobPII), shared with quarantine.

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

// ServiceJobsOption tunes QuarantineRecords of service jobs.
type ServiceJobsOption func(*serviceJobsOptions)

type serviceJobsOptions struct {
	keepPII bool
}

// StoreServiceJobPII keeps the buyer's name and phone and the service
// address's name, street lines and phone in a quarantined raw payload when
// keep is true. Pass the account's PII opt-in; the default removes them.
func StoreServiceJobPII(keep bool) ServiceJobsOption {
	return func(o *serviceJobsOptions) { o.keepPII = keep }
}

// ServiceJobRow is one service_jobs row as UpsertServiceJobs reads it. JSON
// names are the column names.
type ServiceJobRow struct {
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
	// The PII columns, filled only for accounts that opted in to PII.
	BuyerName                   *string         `json:"buyer_name"`
	BuyerPhone                  *string         `json:"buyer_phone"`
	ServiceLocationAddressName  *string         `json:"service_location_address_name"`
	ServiceLocationAddressLine1 *string         `json:"service_location_address_line1"`
	ServiceLocationAddressLine2 *string         `json:"service_location_address_line2"`
	ServiceLocationAddressLine3 *string         `json:"service_location_address_line3"`
	ServiceLocationAddressPhone *string         `json:"service_location_address_phone"`
	Raw                         json.RawMessage `json:"raw"`
}

// ServiceJobAppointmentRow is one service_job_appointments row.
type ServiceJobAppointmentRow struct {
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

// ServiceJobItemRow is one service_job_items row.
type ServiceJobItemRow struct {
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

// ServiceJobRows is a job mapped to its rows in the three tables.
type ServiceJobRows struct {
	Job          ServiceJobRow
	Appointments []ServiceJobAppointmentRow
	Items        []ServiceJobItemRow
	// NextAppointment is the earliest start of an appointment that is
	// neither cancelled nor completed, reported back in ServiceJobChange.
	NextAppointment *time.Time
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
// last copy wins. It returns the jobs it wrote, new or changed.
func UpsertServiceJobs(ctx context.Context, db DBTX, accountID string, jobs []ServiceJobRows) ([]ServiceJobChange, error) {
	changes, _, err := UpsertServiceJobsCounted(ctx, db, accountID, jobs)
	return changes, err
}

// UpsertServiceJobsCounted is UpsertServiceJobs that also reports how many
// appointment and item rows were written and deleted.
func UpsertServiceJobsCounted(ctx context.Context, db DBTX, accountID string, jobs []ServiceJobRows) ([]ServiceJobChange, ServiceJobsResult, error) {
	var res ServiceJobsResult
	if len(jobs) == 0 {
		return nil, res, nil
	}
	mapped := dedupe(slices.Clone(jobs), func(r *ServiceJobRows) string { return r.Job.ServiceJobID }, nil)
	index := make(map[string]int, len(mapped))
	for i, m := range mapped {
		index[m.Job.ServiceJobID] = i
	}
	ids := make([]string, len(mapped))
	jobRows := make([]ServiceJobRow, len(mapped))
	appointments := []ServiceJobAppointmentRow{}
	items := []ServiceJobItemRow{}
	for i, m := range mapped {
		ids[i] = m.Job.ServiceJobID
		jobRows[i] = m.Job
		appointments = append(appointments, m.Appointments...)
		items = append(items, m.Items...)
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
			NextAppointmentTime:      mapped[index[w.ServiceJobID]].NextAppointment,
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
func ListOpenServiceJobs(ctx context.Context, db DBTX, accountID string, limit int) ([]OpenServiceJob, error) {
	return ListOpenServiceJobsIn(ctx, db, accountID, "", limit)
}

// ListOpenServiceJobsIn is ListOpenServiceJobs of one marketplace: its open
// jobs and those stored without a marketplace; every marketplace's when
// marketplaceID is "". Each marketplace's poll schedules the refreshes of
// its own jobs, so a poll never schedules a refresh for a job another
// marketplace's poll, running at the same time, has just closed.
func ListOpenServiceJobsIn(ctx context.Context, db DBTX, accountID, marketplaceID string, limit int) ([]OpenServiceJob, error) {
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
func ServiceJobStoredOpen(ctx context.Context, db DBTX, accountID, id string) (bool, error) {
	status, err := dbsqlc.New().GetServiceJobStatus(ctx, db, dbsqlc.GetServiceJobStatusParams{AccountID: accountID, ServiceJobID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read status of service job %s: %w", id, err)
	}
	return status == nil || ServiceJobOpen(*status), nil
}
