package sim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/spapi/sim"
)

func TestServiceJobsPagingMatchesTruth(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		pageSize  int
		sortOrder string
	}{
		{"DefaultPageSize", 0, ""},
		{"PagesOfSeven", 7, "ASC"},
		{"PagesOfOneDescending", 1, "DESC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			ctx := context.Background()
			truth, err := b.sim.TruthServiceJobs(b.acct.ID)
			require.NoError(t, err)

			pager := b.client.GetServiceJobsPager(spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), PageSize: tt.pageSize, SortOrder: tt.sortOrder})
			var got []spapi.ServiceJob
			for page, err := range pager.All(ctx, nil) {
				require.NoError(t, err)
				require.NotNil(t, page.TotalResultSize)
				require.Equal(t, len(truth), *page.TotalResultSize)
				got = append(got, page.Jobs...)
			}
			require.Len(t, got, len(truth))
			byID := map[string]spapi.ServiceJob{}
			for k, j := range got {
				require.NotContains(t, byID, j.ServiceJobId)
				byID[j.ServiceJobId] = j
				if k > 0 && tt.sortOrder == "DESC" {
					require.False(t, j.CreateTime.After(*got[k-1].CreateTime))
				} else if k > 0 {
					require.False(t, j.CreateTime.Before(*got[k-1].CreateTime))
				}
			}
			for _, want := range truth {
				require.JSONEq(t, jsonString(t, want), string(byID[want.ServiceJobID].Raw))
			}

			res, err := b.client.GetServiceJobByServiceJobID(ctx, truth[0].ServiceJobID)
			require.NoError(t, err)
			require.JSONEq(t, jsonString(t, truth[0]), string(res.Job.Raw))
		})
	}
}

func TestServiceJobsFiltersAndValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	truth, err := b.sim.TruthServiceJobs(b.acct.ID)
	require.NoError(t, err)

	res, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), ServiceJobStatus: []string{"COMPLETED"}})
	require.NoError(t, err)
	completed := 0
	for _, j := range truth {
		if j.ServiceJobStatus == "COMPLETED" {
			completed++
		}
	}
	require.Equal(t, completed, *res.TotalResultSize)

	since := start.Add(-3 * 24 * time.Hour)
	res, err = b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), LastUpdatedAfter: since, PageSize: 20})
	require.NoError(t, err)
	require.Positive(t, *res.TotalResultSize)
	require.Less(t, *res.TotalResultSize, len(truth))

	// A page token belongs to its query: the same token with another
	// filter is refused.
	first, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), PageSize: 5})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextPageToken)
	_, err = b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), PageSize: 6, PageToken: first.NextPageToken})
	requireKind(t, err, spapi.KindInvalidInput)
	second, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct), PageSize: 5, PageToken: first.NextPageToken})
	require.NoError(t, err)
	require.NotEmpty(t, second.PreviousPageToken)

	tok := b.accessToken(t)
	for _, q := range []string{
		"",
		"?pageSize=5",
		"?marketplaceIds=ATVPDKIKX0DER&pageSize=0",
		"?marketplaceIds=ATVPDKIKX0DER&pageSize=21",
		"?marketplaceIds=ATVPDKIKX0DER&sortField=PRICE",
		"?marketplaceIds=ATVPDKIKX0DER&serviceJobStatus=DONE",
		"?marketplaceIds=ATVPDKIKX0DER&createdAfter=tomorrow",
	} {
		resp := b.get(t, tok, "/service/v1/serviceJobs"+q)
		require.Equal(t, http.StatusBadRequest, resp.status, q)
		require.Equal(t, "InvalidInput", apiErrors(t, resp.body)[0].Code)
	}
}

func TestServiceJobsProgressWithTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *sim.Options) { o.ServiceJobs = 200 })
	count := func() map[string]int {
		jobs, err := b.sim.TruthServiceJobs(b.acct.ID)
		require.NoError(t, err)
		out := map[string]int{"total": len(jobs)}
		for _, j := range jobs {
			out[j.ServiceJobStatus]++
		}
		return out
	}
	b.data.Set(start.Add(-13 * 24 * time.Hour))
	early := count()
	b.data.Set(start.Add(6 * 24 * time.Hour))
	late := count()
	require.Equal(t, 200, late["total"])
	require.Greater(t, late["total"], early["total"])
	require.Greater(t, late["COMPLETED"], early["COMPLETED"])
	require.Positive(t, late["CANCELLED"])
}
