package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
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

			// One marketplace per call (maxItems 1): the marketplaces'
			// pages together are the truth, each job listed once, under
			// its own marketplace.
			byID := map[string]spapi.ServiceJob{}
			for _, market := range marketplaces(b.acct) {
				pager := b.client.GetServiceJobsPager(spapi.GetServiceJobsRequest{MarketplaceIDs: []string{market}, PageSize: tt.pageSize, SortOrder: tt.sortOrder})
				var got []spapi.ServiceJob
				for page, err := range pager.All(ctx, nil) {
					require.NoError(t, err)
					require.NotNil(t, page.TotalResultSize)
					require.Equal(t, len(inMarket(truth, market)), *page.TotalResultSize, market)
					got = append(got, page.Jobs...)
				}
				require.Len(t, got, len(inMarket(truth, market)), market)
				for k, j := range got {
					require.NotContains(t, byID, j.ServiceJobId)
					byID[j.ServiceJobId] = j
					if k > 0 && tt.sortOrder == "DESC" {
						require.False(t, j.CreateTime.After(*got[k-1].CreateTime))
					} else if k > 0 {
						require.False(t, j.CreateTime.Before(*got[k-1].CreateTime))
					}
				}
			}
			require.Len(t, byID, len(truth))
			for _, want := range truth {
				require.JSONEq(t, jsonString(t, want), string(byID[want.ServiceJobID].Raw))
			}

			res, err := b.client.GetServiceJobByServiceJobID(ctx, truth[0].ServiceJobID)
			require.NoError(t, err)
			require.JSONEq(t, jsonString(t, truth[0]), string(res.Job.Raw))
		})
	}
}

// inMarket is the jobs of jobs in marketplace market.
func inMarket(jobs []sim.ServiceJob, market string) []sim.ServiceJob {
	var out []sim.ServiceJob
	for _, j := range jobs {
		if j.MarketplaceID == market {
			out = append(out, j)
		}
	}
	return out
}

// TestServiceJobsOneMarketplacePerCall: services.json declares
// getServiceJobs' marketplaceIds with maxItems 1. The simulator refuses a
// second marketplace as Amazon does (400 InvalidInput in Amazon's error
// shape), and serves each marketplace its own jobs: the account's jobs are
// spread over all its marketplaces.
func TestServiceJobsOneMarketplacePerCall(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	truth, err := b.sim.TruthServiceJobs(b.acct.ID)
	require.NoError(t, err)
	require.Len(t, marketplaces(b.acct), 3)

	tok := b.accessToken(t)
	tests := []struct {
		name    string
		query   string
		wantErr bool
	}{
		{"OneMarketplace", "?marketplaceIds=" + sim.MarketplaceCA, false},
		{"TwoInOneList", "?marketplaceIds=" + sim.MarketplaceUS + "," + sim.MarketplaceCA, true},
		{"ThreeInOneList", "?marketplaceIds=" + strings.Join(marketplaces(b.acct), ","), true},
		{"RepeatedKey", "?marketplaceIds=" + sim.MarketplaceUS + "&marketplaceIds=" + sim.MarketplaceMX, true},
	}
	for _, tt := range tests {
		resp := b.get(t, tok, "/service/v1/serviceJobs"+tt.query)
		if !tt.wantErr {
			require.Equal(t, http.StatusOK, resp.status, tt.name)
			continue
		}
		require.Equal(t, http.StatusBadRequest, resp.status, tt.name)
		var body map[string][]map[string]any
		require.NoError(t, json.Unmarshal([]byte(resp.body), &body), tt.name)
		require.Len(t, body["errors"], 1, tt.name)
		e := body["errors"][0]
		require.Equal(t, "InvalidInput", e["code"], tt.name)
		require.NotEmpty(t, e["message"], tt.name)
		require.Contains(t, e["details"], "marketplaceIds", tt.name)
	}
	_, err = b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)})
	requireKind(t, err, spapi.KindInvalidInput)

	for _, market := range marketplaces(b.acct) {
		want := inMarket(truth, market)
		require.NotEmpty(t, want, "the truth spreads jobs over every marketplace (%s)", market)
		res, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: []string{market}})
		require.NoError(t, err)
		require.Equal(t, len(want), *res.TotalResultSize, market)
		for _, j := range res.Jobs {
			require.Equal(t, market, decodeRaw[sim.ServiceJob](t, j.Raw).MarketplaceID)
		}
	}
}

func TestServiceJobsFiltersAndValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	truth, err := b.sim.TruthServiceJobs(b.acct.ID)
	require.NoError(t, err)

	res, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1], ServiceJobStatus: []string{"COMPLETED"}})
	require.NoError(t, err)
	completed := 0
	for _, j := range inMarket(truth, marketplaces(b.acct)[0]) {
		if j.ServiceJobStatus == "COMPLETED" {
			completed++
		}
	}
	require.Equal(t, completed, *res.TotalResultSize)

	since := start.Add(-3 * 24 * time.Hour)
	res, err = b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1], LastUpdatedAfter: since, PageSize: 20})
	require.NoError(t, err)
	require.Positive(t, *res.TotalResultSize)
	require.Less(t, *res.TotalResultSize, len(inMarket(truth, marketplaces(b.acct)[0])))

	// A page token belongs to its query: the same token with another
	// filter is refused.
	first, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1], PageSize: 5})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextPageToken)
	_, err = b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1], PageSize: 6, PageToken: first.NextPageToken})
	requireKind(t, err, spapi.KindInvalidInput)
	second, err := b.client.GetServiceJobs(ctx, spapi.GetServiceJobsRequest{MarketplaceIDs: marketplaces(b.acct)[:1], PageSize: 5, PageToken: first.NextPageToken})
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
