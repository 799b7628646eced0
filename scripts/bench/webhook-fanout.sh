#!/usr/bin/env bash
# Outgoing webhooks (docs/performance.md, "Outgoing webhooks"): EVENTS
# events (10,000) for an organisation with 20 endpoints, one answering
# after SLOW (200 ms) and one always failing, delivered by the whole
# service on PostgreSQL to receivers on this machine. Reports the healthy
# endpoints' deliveries/s and signups/s (POST /v1/partner/members) before
# the events and while they are delivered, in the same run: the baseline.
source "$(dirname "$0")/lib.sh"
EVENTS=${EVENTS:-10000}
ROUNDS=${ROUNDS:-1}
export HPA_TEST_DATABASE_URL="${HPA_TEST_DATABASE_URL:-$(scripts/dev-postgres.sh url postgres)}"
BENCH_EVENTS=$EVENTS BENCH_SLOW=${SLOW:-200ms} go test ./api -run XXX -bench WebhookFanout -benchtime 1x -count "$ROUNDS" -timeout 60m | tee "$bench_tmp/out"
awk '/^BenchmarkWebhookFanout/ { for (i = 1; i <= NF; i++) {
      if ($(i+1) == "healthy-deliveries/s") d = $i; if ($(i+1) == "signups/s-before") sb = $i
      if ($(i+1) == "signups/s-during") sd = $i; if ($(i+1) == "slow-endpoint/s") s = $i }
    printf "healthy deliveries/s %.0f (target >= 500); slow endpoint %.1f/s; signups/s %.0f before, %.0f while delivering (ratio %.2f)\n", d, s, sb, sd, sd / sb }' "$bench_tmp/out"
