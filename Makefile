# spsync — see README.md.
GO      ?= go
SQLC    := $(GO) tool -modfile=tools/go.mod sqlc
# withpg (development tooling, not shipped) runs a command with
# TEST_DATABASE_URL pointing at a Postgres server: the one you set, or a
# throwaway one it starts from the machine's binaries. It is also the only
# thing that installs PostgreSQL (as root on Debian-like machines, when the
# binaries are missing): the worker and migrate binaries only look for them.
WITHPG  := $(GO) run ./internal/devtools/withpg --
PGBINARIES := $(GO) run ./internal/devtools/withpg -binaries

.PHONY: run test check fmt vet generate generate-modelrules generated-current bench bench-freshness bench-push-rate bench-many-sellers reliability migrate build

## run: the worker on embedded defaults (local Postgres under ./.spsync, or
## under /var/lib/spsync/ when the server's user cannot reach the checkout;
## simulator without credentials). Server binaries are installed first when missing.
## SPSYNC_SIM_PUSH=true make run: the same with push notifications, through a
## local SQS server (fauxqs, Node.js >= 20) that withsqs starts for the worker.
run:
	$(PGBINARIES)
	$(GO) build -o bin/worker ./cmd/worker
	@case "$$SPSYNC_SIM_PUSH" in true|1|yes) $(GO) run ./internal/devtools/withsqs -- ./bin/worker run ;; *) ./bin/worker run ;; esac

## test: formatting, vet, generated code current, then every test with the race detector.
## withpg -tools first installs the programs some tests run (promtool, prometheus,
## chromium) when missing and root on Debian; without them those tests skip (CI=true: fail).
test: check
	$(GO) run ./internal/devtools/withpg -tools -- $(GO) test -race -count=1 -timeout 20m ./...

check: fmt vet generated-current

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## generate: regenerate sqlc code (pinned sqlc from tools/go.mod)
generate:
	$(SQLC) generate

## generate-modelrules: rewrite the simulator's request rules
## (internal/sim/modelrules_gen.go) from Amazon's models in
## ../shared/amazon-models; the simulator's tests fail while it is stale
generate-modelrules:
	$(GO) run ./internal/devtools/modelrules

generated-current:
	@$(SQLC) diff || { echo "sqlc output is stale: run 'make generate' and commit the result"; exit 1; }

## bench: every benchmark once, the backfill at the issue's size (200,000 orders,
## simulator rates x200: about 40 minutes); copy the numbers into BENCHMARKS.md.
## A quick run: make bench BENCH_ORDERS=4000 BENCH_RATE_SCALE=30
## The report backfill: a year of BENCH_REPORT_ORDERS orders at Amazon's Reports rates,
## a minute of processing per report (about 15 minutes). Push vs poll: 20 minutes of
## two sellers on the real clock, then 8 minutes past getOrder's budget
## (SPSYNC_BENCH_PUSH_MINUTES, SPSYNC_BENCH_PUSH_PAST_MINUTES; 0 skips).
BENCH_ORDERS     ?= 200000
BENCH_RATE_SCALE ?= 200
BENCH_REPORT_ORDERS ?= 100000
bench:
	SPSYNC_BENCH_ORDERS=$(BENCH_ORDERS) SPSYNC_BENCH_RATE_SCALE=$(BENCH_RATE_SCALE) SPSYNC_BENCH_REPORT_ORDERS=$(BENCH_REPORT_ORDERS) \
		$(WITHPG) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 3h ./...

## bench-many-sellers: issue 25's benchmark: MANY_SELLERS sellers (sim.SellerMix, Amazon's rates,
## sim.RealisticLatency) synced by MANY_WORKERS real workers; MANY_MINUTES of steady state after
## every account × stream has a cursor (or MANY_FIRST_TIMEOUT).
MANY_SELLERS ?= 1000
MANY_WORKERS ?= 1
MANY_MINUTES ?= 10
MANY_FIRST_TIMEOUT ?= 30m
bench-many-sellers:
	SPSYNC_BENCH_SELLERS=$(MANY_SELLERS) SPSYNC_BENCH_WORKERS=$(MANY_WORKERS) SPSYNC_BENCH_STEADY_MINUTES=$(MANY_MINUTES) \
	SPSYNC_BENCH_FIRST_TIMEOUT=$(MANY_FIRST_TIMEOUT) \
		$(WITHPG) $(GO) test -run '^$$' -bench BenchmarkManySellers -benchtime 1x -v -timeout 2h ./cmd/worker/

## bench-freshness: the orders freshness benchmark (issue 24; BENCHMARKS.md "Orders
## freshness on Amazon's budget"): one seller, poll only, Amazon's searchOrders plan, on a
## clock FRESHNESS_SCALE times faster; FRESHNESS_RATES order changes an hour in sequence,
## FRESHNESS_HOURS simulated hours each (by default 18 simulated hours, 36 real minutes),
## then FRESHNESS_BACKFILL_HOURS of a backfill beside the 900-an-hour poll (6 minutes; 0 skips).
## A quick run: make bench-freshness FRESHNESS_RATES=1800 FRESHNESS_HOURS=1 FRESHNESS_BACKFILL_HOURS=1
FRESHNESS_RATES ?= 300,900,1500,1800,2600,900
FRESHNESS_HOURS ?= 3
FRESHNESS_SCALE ?= 30
FRESHNESS_BACKFILL_HOURS ?= 3
bench-freshness:
	SPSYNC_BENCH_FRESHNESS_RATES=$(FRESHNESS_RATES) SPSYNC_BENCH_FRESHNESS_HOURS=$(FRESHNESS_HOURS) \
	SPSYNC_BENCH_FRESHNESS_SCALE=$(FRESHNESS_SCALE) SPSYNC_BENCH_FRESHNESS_BACKFILL_HOURS=$(FRESHNESS_BACKFILL_HOURS) \
		$(WITHPG) $(GO) test -run '^$$' -bench 'BenchmarkOrdersFreshness' -benchtime 1x -timeout 90m ./internal/freshness/

## bench-push-rate: push on the real clock at set order change rates (issue 24; BENCHMARKS.md
## "Push on the real clock"): each of PUSH_RATES order changes an hour for PUSH_MINUTES, then
## PUSH_SETTLE minutes with no new changes (by default 1,500 then 3,600: about 45 minutes).
PUSH_RATES   ?= 1500 3600
PUSH_MINUTES ?= 10
PUSH_SETTLE  ?= 10
bench-push-rate:
	for r in $(PUSH_RATES); do \
		SPSYNC_BENCH_PUSH_RATE=$$r SPSYNC_BENCH_PUSH_RATE_MINUTES=$(PUSH_MINUTES) SPSYNC_BENCH_PUSH_RATE_SETTLE=$(PUSH_SETTLE) \
			$(WITHPG) $(GO) test ./internal/push/ -run '^$$' -bench BenchmarkPushAtRate -benchtime 1x -v -timeout 60m || exit 1; \
	done

## reliability: the long reliability runs (>= 20 SIGKILLs, database restarts, a 3-minute fault storm); bounded by -timeout
reliability:
	SPSYNC_RELIABILITY=long $(WITHPG) $(GO) test -race -count=1 -v -timeout 30m ./internal/reliability/

build:
	$(GO) build -o bin/worker ./cmd/worker
	$(GO) build -o bin/migrate ./cmd/migrate

## migrate: apply migrations to DATABASE_URL (or the local Postgres)
migrate:
	$(GO) run ./cmd/migrate up
