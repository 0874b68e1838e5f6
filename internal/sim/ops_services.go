package sim

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"
)

// serviceJobStatuses are the serviceJobStatus values getServiceJobs accepts.
var serviceJobStatuses = []string{"NOT_SERVICED", "CANCELLED", "COMPLETED", "PENDING_SCHEDULE", "NOT_FULFILLABLE", "HOLD", "PAYMENT_DECLINED"}

// serviceJobsPage is the getServiceJobs payload. Amazon's model names the
// list "jobs" (spapi-facts.md says "serviceJobs"; the client reads both).
type serviceJobsPage struct {
	TotalResultSize   int          `json:"totalResultSize"`
	NextPageToken     string       `json:"nextPageToken,omitempty"`
	PreviousPageToken string       `json:"previousPageToken,omitempty"`
	Jobs              []ServiceJob `json:"jobs"`
}

// msgInvalidInputServices is the message of the Services API's 400 in
// Amazon's example (getServiceJobs/2-400.json).
const msgInvalidInputServices = "Invalid Input"

// maxServiceJobsMarketplaces is getServiceJobs' limit on marketplaceIds:
// services.json declares the parameter with maxItems 1, so an account that
// sells in several marketplaces asks once per marketplace.
const maxServiceJobsMarketplaces = 1

// serviceJobsBindingSkip are the parameters a page token is not tied to.
var serviceJobsBindingSkip = map[string]bool{"pageToken": true}

// getServiceJobs plays GET /service/v1/serviceJobs. Unlike Orders, the
// Services API expects every filter again with pageToken, so the token is
// tied to the whole query and only carries the snapshot time and offset.
func (s *Sim) getServiceJobs(c *call) (any, *failure) {
	q := c.r.URL.Query()
	markets := listParam(q, "marketplaceIds")
	if len(markets) == 0 {
		return nil, invalidDetail("Missing required parameter marketplaceIds.")
	}
	if len(markets) > maxServiceJobsMarketplaces {
		return nil, invalidWith(msgInvalidInputServices, "marketplaceIds accepts at most %d item, got %d.", maxServiceJobsMarketplaces, len(markets))
	}
	size, fail := intParam(q, "pageSize", 20, 1, 20)
	if fail != nil {
		return nil, fail
	}
	statuses, fail := enumParam(q, "serviceJobStatus", serviceJobStatuses)
	if fail != nil {
		return nil, fail
	}
	sortField := cmp.Or(q.Get("sortField"), "JOB_DATE")
	if sortField != "JOB_DATE" && sortField != "JOB_STATUS" {
		return nil, invalidDetail("sortField must be JOB_DATE or JOB_STATUS, got %q.", sortField)
	}
	sortOrder := cmp.Or(q.Get("sortOrder"), "ASC")
	if sortOrder != "ASC" && sortOrder != "DESC" {
		return nil, invalidDetail("sortOrder must be ASC or DESC, got %q.", sortOrder)
	}
	var times [6]time.Time
	var set [6]bool
	for k, key := range []string{"createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore", "scheduleStartDate", "scheduleEndDate"} {
		if times[k], set[k], fail = timeParam(q, key); fail != nil {
			return nil, fail
		}
	}
	switch {
	case set[0] && set[1] && times[1].Before(times[0]):
		return nil, invalidDetail("createdBefore must be at or after createdAfter.")
	case set[2] && set[3] && times[3].Before(times[2]):
		return nil, invalidDetail("lastUpdatedBefore must be at or after lastUpdatedAfter.")
	case set[4] && set[5] && times[5].Before(times[4]):
		return nil, invalidDetail("scheduleEndDate must be at or after scheduleStartDate.")
	}

	binding := serviceJobsBinding(q)
	st := pageState{Account: c.account, Op: OpGetServiceJobs, Binding: binding, Snap: c.now}
	if tok := q.Get("pageToken"); tok != "" {
		var err error
		if st, err = s.decodePage(tok, c.account, OpGetServiceJobs, binding); err != nil {
			return nil, s.pageFailure("pageToken", err)
		}
	}

	d := c.data
	js := d.jobs
	orderIDs := listParam(q, "serviceOrderIds")
	asins := listParam(q, "asins")
	skills := listParam(q, "requiredSkills")
	stores := listParam(q, "storeIds")
	in := func(k int, t time.Time) bool {
		lo, hi := 2*k, 2*k+1
		return (!set[lo] || !t.Before(times[lo])) && (!set[hi] || !t.After(times[hi]))
	}
	var match []ServiceJob
	for i := range js.tl.ids {
		updated, n := js.tl.lastUpdate(i, st.Snap)
		if n == 0 || !slices.Contains(markets, js.market[i]) {
			continue
		}
		times0, _ := js.tl.events(i)
		if !in(0, unix(times0[0])) || !in(1, unix(updated)) {
			continue
		}
		job := d.renderServiceJob(i, n)
		switch {
		case len(statuses) > 0 && !slices.Contains(statuses, job.ServiceJobStatus),
			len(orderIDs) > 0 && !slices.Contains(orderIDs, job.ServiceOrderID),
			len(asins) > 0 && !slices.Contains(asins, job.ScopeOfWork.ASIN),
			len(stores) > 0 && !slices.Contains(stores, job.StoreID),
			len(skills) > 0 && !slices.ContainsFunc(job.ScopeOfWork.RequiredSkills, func(s string) bool { return slices.Contains(skills, s) }):
			continue
		}
		if set[4] || set[5] {
			if len(job.Appointments) == 0 || !in(2, job.Appointments[len(job.Appointments)-1].AppointmentTime.StartTime) {
				continue
			}
		}
		match = append(match, job)
	}
	slices.SortFunc(match, func(a, b ServiceJob) int {
		var c int
		if sortField == "JOB_STATUS" {
			c = strings.Compare(a.ServiceJobStatus, b.ServiceJobStatus)
		}
		if c == 0 {
			c = a.CreateTime.Compare(b.CreateTime)
		}
		if c == 0 {
			c = strings.Compare(a.ServiceJobID, b.ServiceJobID)
		}
		if sortOrder == "DESC" {
			c = -c
		}
		return c
	})

	off := min(st.Offset, len(match))
	end := min(off+size, len(match))
	page := serviceJobsPage{TotalResultSize: len(match), Jobs: append([]ServiceJob{}, match[off:end]...)}
	if end < len(match) {
		next := st
		next.Offset = end
		page.NextPageToken = s.encodePage(next)
	}
	if off > 0 {
		prev := st
		prev.Offset = max(0, off-size)
		page.PreviousPageToken = s.encodePage(prev)
	}
	return page, nil
}

// serviceJobsBinding is the canonical form of a getServiceJobs query
// without its page token, which a page token must match.
func serviceJobsBinding(q url.Values) string {
	keep := url.Values{}
	for k, v := range q {
		if !serviceJobsBindingSkip[k] {
			keep[k] = v
		}
	}
	return keep.Encode()
}

// getServiceJobByID plays GET /service/v1/serviceJobs/{serviceJobId}: the
// job as it stands now.
func (s *Sim) getServiceJobByID(c *call) (any, *failure) {
	id := c.r.PathValue("serviceJobId")
	idx, found := c.data.jobs.tl.byID[id]
	n := 0
	if found {
		n = c.data.jobs.tl.applied(int(idx), c.now)
	}
	if n == 0 {
		f := notFound("The requested service job was not found.")
		f.err.Details = "serviceJobId " + id
		return nil, f
	}
	c.entity = id
	return c.data.renderServiceJob(int(idx), n), nil
}
