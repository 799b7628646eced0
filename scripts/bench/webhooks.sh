#!/usr/bin/env bash
# Stripe webhook throughput (docs/performance.md, "Donations"): signed
# events (new payments, refunds delivered before their payment, 30 %
# redeliveries), over HTTP from 8 senders, against the whole service on
# PostgreSQL and stripe-mock; baseline: the same senders on GET /healthz
# in the same run. The benchmark fails unless the ledger holds exactly
# one entry per money movement (a gift per payment, a refund per refund).
source "$(dirname "$0")/lib.sh"
EVENTS=${EVENTS:-3000}
ROUNDS=${ROUNDS:-3}
make -s tools >/dev/null
export HPA_TEST_DATABASE_URL="${HPA_TEST_DATABASE_URL:-$(scripts/dev-postgres.sh url postgres)}"
go test ./api -run XXX -bench WebhookThroughput -benchtime "${EVENTS}x" -count "$ROUNDS" | tee "$bench_tmp/out"
awk '/^BenchmarkWebhookThroughput/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "events/s") e[n] = $i; if ($(i+1) == "healthz/s") h[n] = $i; if ($(i+1) == "ratio") r[n] = $i }; n++ }
  END { asort(e); asort(h); asort(r); m = int((n + 1) / 2);
        printf "median of %d rounds: %.0f events/s (target >= 500), baseline GET /healthz %.0f req/s, ratio %.3f\n", n, e[m], h[m], r[m] }' "$bench_tmp/out"
