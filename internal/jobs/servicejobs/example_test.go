package servicejobs_test

import (
	"encoding/json"
	"fmt"

	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

// The account's poll has the args of every release (no marketplace): it
// queues one poll per marketplace, because getServiceJobs takes one
// marketplace per call.
func ExamplePollArgs() {
	for _, args := range []servicejobs.PollArgs{
		{AccountID: "acct"},
		{AccountID: "acct", MarketplaceID: "A2EUQ1WTGCTBG2"},
	} {
		b, err := json.Marshal(args)
		if err != nil {
			panic(err)
		}
		fmt.Println(args.Kind(), string(b))
	}
	// Output:
	// service_jobs_poll {"account_id":"acct"}
	// service_jobs_poll {"account_id":"acct","marketplace_id":"A2EUQ1WTGCTBG2"}
}
