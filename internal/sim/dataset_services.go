package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// AppointmentTime is a window of a service appointment.
type AppointmentTime struct {
	StartTime         time.Time `json:"startTime"`
	DurationInMinutes int       `json:"durationInMinutes"`
}

// Technician is a person assigned to an appointment.
type Technician struct {
	TechnicianID string `json:"technicianId"`
	Name         string `json:"name"`
}

// Appointment is one appointment of a service job. A reschedule adds a new
// appointment whose RescheduledAppointmentID names the old one, and the old
// one turns CANCELLED (the schema's status enum is ACTIVE, CANCELLED,
// COMPLETED; it has no RESCHEDULED value).
type Appointment struct {
	AppointmentID            string          `json:"appointmentId"`
	AppointmentStatus        string          `json:"appointmentStatus"`
	AppointmentTime          AppointmentTime `json:"appointmentTime"`
	AssignedTechnicians      []Technician    `json:"assignedTechnicians,omitempty"`
	RescheduledAppointmentID string          `json:"rescheduledAppointmentId,omitempty"`
}

// ScopeOfWork is what the service job is about.
type ScopeOfWork struct {
	ASIN           string   `json:"asin"`
	Title          string   `json:"title"`
	Quantity       int      `json:"quantity"`
	RequiredSkills []string `json:"requiredSkills,omitempty"`
}

// ServiceBuyer is the buyer of a service; name and phone are PII.
type ServiceBuyer struct {
	BuyerID       string `json:"buyerId"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	IsPrimeMember bool   `json:"isPrimeMember"`
}

// ServiceAddress is the (PII) address of a service location.
type ServiceAddress struct {
	Name          string `json:"name"`
	AddressLine1  string `json:"addressLine1"`
	City          string `json:"city"`
	StateOrRegion string `json:"stateOrRegion"`
	PostalCode    string `json:"postalCode"`
	CountryCode   string `json:"countryCode"`
	Phone         string `json:"phone,omitempty"`
}

// ServiceLocation is where the service happens.
type ServiceLocation struct {
	ServiceLocationType string         `json:"serviceLocationType"`
	Address             ServiceAddress `json:"address"`
}

// AssociatedItem is the product order a service job belongs to.
type AssociatedItem struct {
	ASIN       string `json:"asin"`
	Title      string `json:"title"`
	Quantity   int    `json:"quantity"`
	OrderID    string `json:"orderId"`
	ItemStatus string `json:"itemStatus"`
	BrandName  string `json:"brandName"`
}

// SellerRef and ProviderRef identify the seller and provider of a job.
type SellerRef struct {
	SellerID string `json:"sellerId"`
}

// ProviderRef identifies the service provider of a job.
type ProviderRef struct {
	ServiceJobProviderID string `json:"serviceJobProviderId"`
}

// ServiceJob is a Services v1 service job (seeds 000/001).
type ServiceJob struct {
	CreateTime                time.Time         `json:"createTime"`
	ServiceJobID              string            `json:"serviceJobId"`
	ServiceJobStatus          string            `json:"serviceJobStatus"`
	ScopeOfWork               ScopeOfWork       `json:"scopeOfWork"`
	Seller                    SellerRef         `json:"seller"`
	ServiceJobProvider        ProviderRef       `json:"serviceJobProvider"`
	PreferredAppointmentTimes []AppointmentTime `json:"preferredAppointmentTimes,omitempty"`
	Appointments              []Appointment     `json:"appointments,omitempty"`
	ServiceOrderID            string            `json:"serviceOrderId"`
	MarketplaceID             string            `json:"marketplaceId"`
	StoreID                   string            `json:"storeId"`
	Buyer                     ServiceBuyer      `json:"buyer"`
	AssociatedItems           []AssociatedItem  `json:"associatedItems,omitempty"`
	ServiceLocation           ServiceLocation   `json:"serviceLocation"`
}

// Service job timeline events.
const (
	sjCreated uint8 = iota
	sjScheduled
	sjRescheduled
	sjCompleted
	sjCancelled
)

type serviceSet struct {
	tl     *timeline
	market []string
}

// serviceTimeline draws a job's events and appointment starts. It is run
// again with the same stream when rendering, so nothing else needs storing.
func serviceTimeline(d *accountData, r *rand.Rand) (times []int64, kinds []uint8, appts []int64) {
	c := d.creationTime(r)
	times, kinds = []int64{c}, []uint8{sjCreated}
	sched := c + between(r, 10*time.Minute, 6*time.Hour)
	start := sched + between(r, 24*time.Hour, 96*time.Hour)
	start -= start % 1800
	times, kinds, appts = append(times, sched), append(kinds, sjScheduled), []int64{start}
	if chance(r, 0.25) {
		re := sched + between(r, 2*time.Hour, 20*time.Hour)
		start = start + between(r, 24*time.Hour, 72*time.Hour)
		start -= start % 1800
		times, kinds, appts = append(times, re), append(kinds, sjRescheduled), append(appts, start)
	}
	if chance(r, 0.08) {
		times, kinds = append(times, start-between(r, time.Hour, 12*time.Hour)), append(kinds, sjCancelled)
	} else {
		times, kinds = append(times, start+7200), append(kinds, sjCompleted)
	}
	return times, kinds, appts
}

func buildServices(d *accountData) *serviceSet {
	n := d.size.ServiceJobs
	set := &serviceSet{tl: newTimeline(n), market: make([]string, n)}
	for i := 0; i < n; i++ {
		r := newRand(d.base, "sj", i)
		id := fmt.Sprintf("%d", 4_000_000_000+int64(d.acctNo)*10_000_000+int64(i)*7+int64(r.IntN(7)))
		set.market[i] = d.marketplace(r)
		times, kinds, _ := serviceTimeline(d, r)
		set.tl.add(id, times, kinds)
	}
	set.tl.index()
	return set
}

var techNames = []string{"Alex Rivera", "Sam Chen", "Jordan Lee", "Priya Patel", "Diego Flores"}
var buyerNames = []string{"Jane Doe", "John Smith", "Maria Garcia", "Wei Zhang", "Olivia Brown"}

// renderServiceJob builds job i after n applied events.
func (d *accountData) renderServiceJob(i, n int) ServiceJob {
	s := d.jobs
	r := newRand(d.base, "sj", i)
	_ = r.IntN(7)
	_ = d.marketplace(r)
	times, kinds, appts := serviceTimeline(d, r)
	dr := newRand(d.base, "sj-detail", i)
	m := market(s.market[i])
	c := m.cities[dr.IntN(len(m.cities))]
	p := d.catalog[dr.IntN(len(d.catalog))]
	buyer := buyerNames[dr.IntN(len(buyerNames))]
	job := ServiceJob{
		CreateTime:         unix(times[0]),
		ServiceJobID:       s.tl.ids[i],
		ServiceJobStatus:   "PENDING_SCHEDULE",
		ScopeOfWork:        ScopeOfWork{ASIN: p.asin, Title: "Installation of " + p.title, Quantity: 1, RequiredSkills: []string{"INSTALLATION"}},
		Seller:             SellerRef{d.acct.SellerID},
		ServiceJobProvider: ProviderRef{"SP" + randString(dr, alnum, 10)},
		PreferredAppointmentTimes: []AppointmentTime{
			{StartTime: unix(appts[0]), DurationInMinutes: 120},
		},
		ServiceOrderID: fmt.Sprintf("%03d-%07d-%07d", 111+dr.IntN(4), dr.IntN(10_000_000), dr.IntN(10_000_000)),
		MarketplaceID:  s.market[i],
		StoreID:        "STORE-" + randString(dr, alnum, 6),
		Buyer: ServiceBuyer{
			BuyerID: "B" + randString(dr, alnum, 12), Name: buyer,
			Phone: fmt.Sprintf("+1 206-555-%04d", dr.IntN(10000)), IsPrimeMember: chance(dr, 0.5),
		},
		ServiceLocation: ServiceLocation{ServiceLocationType: "IN_HOME", Address: ServiceAddress{
			Name: buyer, AddressLine1: fmt.Sprintf("%d Oak Ave", 1+dr.IntN(9000)),
			City: c.city, StateOrRegion: c.state, PostalCode: c.postal, CountryCode: m.country,
		}},
	}
	job.AssociatedItems = []AssociatedItem{{ASIN: p.asin, Title: p.title, Quantity: 1, OrderID: job.ServiceOrderID, ItemStatus: "ACTIVE", BrandName: "SimBrand"}}
	tech := Technician{TechnicianID: "T" + randString(dr, alnum, 8), Name: techNames[dr.IntN(len(techNames))]}
	apptID := func(k int) string { return fmt.Sprintf("%s-A%d", job.ServiceJobID, k+1) }
	for _, k := range kinds[:n] {
		switch k {
		case sjScheduled:
			job.ServiceJobStatus = "NOT_SERVICED"
			job.Appointments = []Appointment{{AppointmentID: apptID(0), AppointmentStatus: "ACTIVE", AppointmentTime: AppointmentTime{unix(appts[0]), 120}, AssignedTechnicians: []Technician{tech}}}
		case sjRescheduled:
			job.Appointments[0].AppointmentStatus = "CANCELLED"
			job.Appointments = append(job.Appointments, Appointment{AppointmentID: apptID(1), AppointmentStatus: "ACTIVE", AppointmentTime: AppointmentTime{unix(appts[1]), 120}, AssignedTechnicians: []Technician{tech}, RescheduledAppointmentID: apptID(0)})
		case sjCompleted:
			job.ServiceJobStatus = "COMPLETED"
			job.Appointments[len(job.Appointments)-1].AppointmentStatus = "COMPLETED"
		case sjCancelled:
			job.ServiceJobStatus = "CANCELLED"
			job.Appointments[len(job.Appointments)-1].AppointmentStatus = "CANCELLED"
		}
	}
	return job
}
