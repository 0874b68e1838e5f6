package spapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// ServiceJob is a Services v1 service job. Buyer and the service location's address are PII
// and stay raw.
type ServiceJob struct {
	CreateTime                *time.Time          `json:"createTime,omitempty"`
	ServiceJobId              string              `json:"serviceJobId"`
	ServiceJobStatus          string              `json:"serviceJobStatus,omitempty" enum:"serviceJobStatus"`
	ScopeOfWork               *ScopeOfWork        `json:"scopeOfWork,omitempty"`
	Seller                    *ServiceSeller      `json:"seller,omitempty"`
	ServiceJobProvider        *ServiceJobProvider `json:"serviceJobProvider,omitempty"`
	PreferredAppointmentTimes []AppointmentTime   `json:"preferredAppointmentTimes,omitempty"`
	Appointments              []Appointment       `json:"appointments,omitempty"`
	ServiceOrderId            string              `json:"serviceOrderId,omitempty"`
	MarketplaceId             string              `json:"marketplaceId,omitempty"`
	StoreId                   string              `json:"storeId,omitempty"`
	Buyer                     json.RawMessage     `json:"buyer,omitempty"`
	AssociatedItems           []AssociatedItem    `json:"associatedItems,omitempty"`
	ServiceLocation           *ServiceLocation    `json:"serviceLocation,omitempty"`
	// Raw is the job exactly as Amazon sent it, for the raw jsonb column.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// UnmarshalJSON decodes the job tolerantly (see decode.go) and keeps its raw JSON.
func (j *ServiceJob) UnmarshalJSON(b []byte) error { return decodeRecord(b, j) }

// missing: the model marks serviceJobId optional, but a sync stores a job under it. The
// sandbox answers getServiceJobByServiceJobId with {"payload":{}}, a job without one.
func (j *ServiceJob) missing() (string, []string) {
	if j.ServiceJobId == "" {
		return "", []string{"serviceJobId"}
	}
	return j.ServiceJobId, nil
}

// ScopeOfWork is what the service job is for.
type ScopeOfWork struct {
	ASIN           string   `json:"asin,omitempty"`
	Title          string   `json:"title,omitempty"`
	Quantity       *int     `json:"quantity,omitempty"`
	RequiredSkills []string `json:"requiredSkills,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ScopeOfWork) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ServiceSeller identifies the seller of a service job.
type ServiceSeller struct {
	SellerId string `json:"sellerId,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ServiceSeller) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// ServiceJobProvider identifies who performs a service job.
type ServiceJobProvider struct {
	ServiceJobProviderId string `json:"serviceJobProviderId,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ServiceJobProvider) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// AppointmentTime is a time window.
type AppointmentTime struct {
	StartTime         time.Time `json:"startTime"`
	DurationInMinutes int       `json:"durationInMinutes"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *AppointmentTime) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// Appointment is one appointment of a service job.
type Appointment struct {
	AppointmentId            string           `json:"appointmentId,omitempty"`
	AppointmentStatus        string           `json:"appointmentStatus,omitempty" enum:"appointmentStatus"`
	AppointmentTime          *AppointmentTime `json:"appointmentTime,omitempty"`
	AssignedTechnicians      []Technician     `json:"assignedTechnicians,omitempty"`
	RescheduledAppointmentId string           `json:"rescheduledAppointmentId,omitempty"`
	Poa                      json.RawMessage  `json:"poa,omitempty"`
	Raw                      json.RawMessage  `json:"-"`
}

// UnmarshalJSON decodes the appointment tolerantly and keeps its raw JSON.
func (a *Appointment) UnmarshalJSON(b []byte) error { return decodeRecord(b, a) }

// missing: an appointment is stored under its appointmentId.
func (a *Appointment) missing() (string, []string) {
	if a.AppointmentId == "" {
		return "", []string{"appointmentId"}
	}
	return a.AppointmentId, nil
}

// Technician is a technician assigned to an appointment.
type Technician struct {
	TechnicianId string `json:"technicianId,omitempty"`
	Name         string `json:"name,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *Technician) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// AssociatedItem is an item bought together with the service.
type AssociatedItem struct {
	ASIN         string          `json:"asin,omitempty"`
	Title        string          `json:"title,omitempty"`
	Quantity     *int            `json:"quantity,omitempty"`
	OrderId      string          `json:"orderId,omitempty"`
	ItemStatus   string          `json:"itemStatus,omitempty" enum:"itemStatus"`
	BrandName    string          `json:"brandName,omitempty"`
	ItemDelivery json.RawMessage `json:"itemDelivery,omitempty"`
	Raw          json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the item tolerantly and keeps its raw JSON.
func (it *AssociatedItem) UnmarshalJSON(b []byte) error { return decodeRecord(b, it) }

// ServiceLocation is where the service happens; Address is PII and its spelling differs
// between Amazon's pages (phone or phoneNumber), so it stays raw.
type ServiceLocation struct {
	ServiceLocationType string          `json:"serviceLocationType,omitempty" enum:"serviceLocationType"`
	Address             json.RawMessage `json:"address,omitempty"`
}

// UnmarshalJSON decodes tolerantly (see decode.go).
func (x *ServiceLocation) UnmarshalJSON(b []byte) error { return decodeRecord(b, x) }

// GetServiceJobsRequest is the query of getServiceJobs. MarketplaceIDs is required. Unlike
// Orders, Services expects every filter again with the pageToken, so all fields are sent
// on every page.
type GetServiceJobsRequest struct {
	MarketplaceIDs    []string
	ServiceOrderIDs   []string
	ServiceJobStatus  []string
	PageToken         string
	PageSize          int
	SortField         string
	SortOrder         string
	CreatedAfter      time.Time
	CreatedBefore     time.Time
	LastUpdatedAfter  time.Time
	LastUpdatedBefore time.Time
	ScheduleStartDate time.Time
	ScheduleEndDate   time.Time
	ASINs             []string
	RequiredSkills    []string
	StoreIDs          []string
}

func (r GetServiceJobsRequest) query() (url.Values, error) {
	if len(r.MarketplaceIDs) == 0 {
		return nil, invalidInput(OpGetServiceJobs, "marketplaceIds is required")
	}
	if r.PageSize < 0 || r.PageSize > 20 {
		return nil, invalidInput(OpGetServiceJobs, "pageSize must be 1 to 20, got %d", r.PageSize)
	}
	q := url.Values{}
	setList(q, "marketplaceIds", r.MarketplaceIDs)
	setList(q, "serviceOrderIds", r.ServiceOrderIDs)
	setList(q, "serviceJobStatus", r.ServiceJobStatus)
	setString(q, "pageToken", r.PageToken)
	if r.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(r.PageSize))
	}
	setString(q, "sortField", r.SortField)
	setString(q, "sortOrder", r.SortOrder)
	setTime(q, "createdAfter", r.CreatedAfter)
	setTime(q, "createdBefore", r.CreatedBefore)
	setTime(q, "lastUpdatedAfter", r.LastUpdatedAfter)
	setTime(q, "lastUpdatedBefore", r.LastUpdatedBefore)
	setTime(q, "scheduleStartDate", r.ScheduleStartDate)
	setTime(q, "scheduleEndDate", r.ScheduleEndDate)
	setList(q, "asins", r.ASINs)
	setList(q, "requiredSkills", r.RequiredSkills)
	setList(q, "storeIds", r.StoreIDs)
	return q, nil
}

// GetServiceJobsResult is one getServiceJobs page. Amazon's model names the list "jobs";
// spsync's facts sheet says "serviceJobs", so both are read (and "jobs" is written).
type GetServiceJobsResult struct {
	TotalResultSize   *int         `json:"totalResultSize,omitempty"`
	NextPageToken     string       `json:"nextPageToken,omitempty"`
	PreviousPageToken string       `json:"previousPageToken,omitempty"`
	Jobs              []ServiceJob `json:"jobs" alt:"serviceJobs" spapi:"records"`
	// Quarantined are the page's jobs that lack a key and were left out of Jobs.
	Quarantined []Quarantined   `json:"-"`
	Warnings    []DecodeWarning `json:"-"`
	Meta        ResponseMeta    `json:"-"`
}

// GetServiceJobs fetches one page of service jobs. Use GetServiceJobsPager to walk every
// page.
func (c *Client) GetServiceJobs(ctx context.Context, req GetServiceJobsRequest) (*GetServiceJobsResult, error) {
	q, err := req.query()
	if err != nil {
		return nil, err
	}
	var res GetServiceJobsResult
	meta, err := c.get(ctx, OpGetServiceJobs, "/service/v1/serviceJobs", q, &res)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}

// GetServiceJobsPager returns a pager over every page of req, starting at req.PageToken when
// it is set.
func (c *Client) GetServiceJobsPager(req GetServiceJobsRequest) *Pager[*GetServiceJobsResult] {
	return newPager(OpGetServiceJobs, req.PageToken, func(ctx context.Context, token string) (*GetServiceJobsResult, string, error) {
		r := req
		r.PageToken = token
		res, err := c.GetServiceJobs(ctx, r)
		if err != nil {
			return nil, "", err
		}
		return res, res.NextPageToken, nil
	})
}

// GetServiceJobResult is the answer of getServiceJobByServiceJobId.
type GetServiceJobResult struct {
	Job  ServiceJob
	Meta ResponseMeta
}

// GetServiceJobByServiceJobID fetches one service job.
func (c *Client) GetServiceJobByServiceJobID(ctx context.Context, serviceJobID string) (*GetServiceJobResult, error) {
	if serviceJobID == "" || len(serviceJobID) > 100 {
		return nil, invalidInput(OpGetServiceJobByServiceJobID, "serviceJobId must be 1 to 100 characters")
	}
	var res GetServiceJobResult
	meta, err := c.get(ctx, OpGetServiceJobByServiceJobID, "/service/v1/serviceJobs/"+pathSegment(serviceJobID), nil, &res.Job)
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	return &res, nil
}
