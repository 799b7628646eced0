# The HPA API. `make run` serves it; `make test` tests it. Both find or
# start PostgreSQL through scripts/dev-postgres.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS      := $(CURDIR)/.tools/bin
SQLC       := $(TOOLS)/sqlc
STATICCHECK := $(TOOLS)/staticcheck
STRIPE_MOCK := $(TOOLS)/stripe-mock
OASDIFF    := $(TOOLS)/oasdiff
SQLC_VERSION := v1.31.1
STATICCHECK_VERSION := v0.8.2
STRIPE_MOCK_VERSION := v0.203.0
OASDIFF_VERSION := v1.39.0
# The last released contract; clients built against it must keep working.
RELEASED_SPEC := openapi/released/1.0.0.yaml
REDOCLY    := npx --yes @redocly/cli@2.77.0
export GOTOOLCHAIN := local

.PHONY: help run test fuzz-short fuzz-visits faults faults-short bench cluster-test lint fmt generate openapi tools ci build clean cli-tools contract-compat ts-client

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## migrate, seed and serve on http://localhost:8080 (docs at /docs)
	@export HPA_DATABASE_URL="$$(scripts/dev-postgres.sh url)" && \
	export HPA_LOG_FORMAT="$${HPA_LOG_FORMAT:-text}" HPA_ACCESS_LOG="$${HPA_ACCESS_LOG:-all}" && \
	echo "HPA API on $${HPA_PUBLIC_BASE_URL:-http://localhost:8080} (docs: /docs), database $${HPA_DATABASE_URL%%\?*}" && \
	go run ./cmd/hpa serve

test: $(STRIPE_MOCK) cli-tools ## run every test against a real PostgreSQL (installs stripe-mock first)
	@export HPA_TEST_DATABASE_URL="$${HPA_TEST_DATABASE_URL:-$$(scripts/dev-postgres.sh url postgres)}" && \
	go test -count=1 -race -timeout 30m ./...

# Native Go fuzz targets for the decoders of untrusted input, as
# package:Target (`go test -fuzz` takes one target per run). Their seed
# corpora (testdata/fuzz/<Target>) also run as ordinary tests in `make test`.
# The visit targets (api/visits_fuzz_test.go) collect what they accept into
# a real database, so these runs need PostgreSQL as the tests do.
FUZZ_VISITS := \
	./api:FuzzEventBeaconBody \
	./api:FuzzEventBatchBody \
	./api:FuzzStatsQueryBody
FUZZ_TARGETS := \
	./api:FuzzDecodeCursor \
	./internal/donations:FuzzWebhook \
	./internal/members:FuzzImportCSV \
	$(FUZZ_VISITS)
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report its own deadline as a failure on a busy machine (golang/go#75804,
# fixed in Go 1.27), a flake with no crashing input.
FUZZTIME ?= 2000x

fuzz-short: ## run each fuzz target FUZZTIME times (default 2000x; CI keeps the total near 30 s)
	@export HPA_TEST_DATABASE_URL="$${HPA_TEST_DATABASE_URL:-$$(scripts/dev-postgres.sh url postgres)}" && \
	for target in $(FUZZ_TARGETS); do pkg=$${target%%:*}; name=$${target##*:}; \
	  echo "fuzz $$name in $$pkg, $(FUZZTIME)"; \
	  go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

fuzz-visits: ## run only the visit fuzz targets (beacons, batches, stats queries)
	@$(MAKE) --no-print-directory fuzz-short FUZZ_TARGETS='$(FUZZ_VISITS)'

# The reliability suite (scripts/faults, docs/reliability.md): the real
# service under load while PostgreSQL restarts or hangs and the service is
# stopped or killed, on a throwaway cluster of its own; then a check, from
# the database, that nothing acknowledged was lost or written twice.
faults-short: $(STRIPE_MOCK) ## reliability suite, each fault once (CI, about a minute)
	scripts/faults/run.sh short

faults: $(STRIPE_MOCK) ## reliability suite, full form; its table goes to bin/faults-report.md
	@mkdir -p bin && HPA_FAULTS_REPORT=$(CURDIR)/bin/faults-report.md scripts/faults/run.sh full

# The documentation tests run their curl and jq examples as written.
cli-tools:
	@for tool in curl jq; do command -v $$tool >/dev/null || { echo "installing $$tool"; \
	  (apt-get install -y -qq $$tool || sudo apt-get install -y -qq $$tool) >/dev/null; }; done

bench: ## run the benchmarks in scripts/bench (see docs/performance.md)
	scripts/bench/run.sh

cluster-test: ## three instances, a streaming replica and HAProxy under load with rolling restarts (docs/operations.md)
	scripts/cluster-test.sh $(CLUSTER_SECONDS)

build: ## build bin/hpa
	go build -o bin/hpa ./cmd/hpa

generate: $(SQLC) ## regenerate sqlc code and the OpenAPI contract
	$(SQLC) generate
	$(MAKE) openapi

openapi: ## write openapi/openapi.yaml from the code
	go run ./cmd/hpa openapi -o openapi/openapi.yaml

fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

lint: $(SQLC) $(STATICCHECK) ## gofmt, go vet, staticcheck, sqlc diff/vet, spec lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(SQLC) diff
	@server="$$(scripts/dev-postgres.sh url postgres)"; server="$${server%/postgres*}"; \
	  vetdb="hpa_sqlc_vet_$$(printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)"; \
	  psql -X -q "$$server/postgres?sslmode=disable" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $$vetdb" -c "CREATE DATABASE $$vetdb" && \
	  HPA_DATABASE_URL="$$server/$$vetdb?sslmode=disable" go run ./cmd/hpa migrate up >/dev/null && \
	  SQLC_DATABASE_URL="$$server/$$vetdb?sslmode=disable" $(SQLC) vet && echo "sqlc vet: ok"
	$(REDOCLY) lint --format=summary openapi/openapi.yaml

# A change that breaks clients of the released contract fails unless
# info.version moves to a new major version (then add the new release
# under openapi/released/ and point RELEASED_SPEC at it).
# openapi/oasdiff-levels.txt lowers one check: a response enum gaining a
# value (a new problem code) is allowed in a minor version, as Stripe adds
# them; the contract tells clients how to treat a value they do not know.
contract-compat: $(OASDIFF) ## fail on breaking changes since the released contract (oasdiff)
	$(OASDIFF) breaking $(RELEASED_SPEC) openapi/openapi.yaml --fail-on MISSING-VERSION-BUMP --severity-levels openapi/oasdiff-levels.txt

# The typed TypeScript client (openapi/typescript: openapi-typescript +
# openapi-fetch, versions pinned in its package-lock.json) generated from
# the contract, and the website's journeys run through it against a live
# server with its own database, stripe-mock and an SMTP sink.
ts-client: $(STRIPE_MOCK) ## generate the TypeScript client, compile it (tsc --strict), run the golden path live
	HPA_STRIPE_MOCK=$(STRIPE_MOCK) scripts/ts-golden-path.sh

tools: $(SQLC) $(STATICCHECK) $(STRIPE_MOCK) $(OASDIFF) ## install pinned tools into .tools/bin

$(SQLC):
	GOBIN=$(TOOLS) go install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)

$(STATICCHECK):
	GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(OASDIFF):
	GOBIN=$(TOOLS) go install github.com/oasdiff/oasdiff@$(OASDIFF_VERSION)

# Stripe's API mock; the donations tests start it (internal/stripemock).
$(STRIPE_MOCK):
	GOBIN=$(TOOLS) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

ci: lint contract-compat ts-client test fuzz-short faults-short ## what .ci/run does

clean: ## stop the throwaway database and remove build output
	scripts/dev-postgres.sh stop
	rm -rf bin
