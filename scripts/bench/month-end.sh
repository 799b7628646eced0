#!/usr/bin/env bash
# Month-end report over 100,000 gifts (docs/performance.md, "Donations:
# month-end report"): a month of 100,000 gifts with a fee each and a
# refund for one in ten (210,000 ledger entries) in a fresh test database;
# baseline: a plain count of the same month's entries in the same run.
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
export HPA_TEST_DATABASE_URL="${HPA_TEST_DATABASE_URL:-$(scripts/dev-postgres.sh url postgres)}"
go test ./internal/donations -run XXX -bench MonthEndReport -benchtime "${ROUNDS}x" -count 1 | tee "$bench_tmp/out"
awk '/^BenchmarkMonthEndReport/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "report-ms") r = $i; if ($(i+1) == "count-ms") c = $i; if ($(i+1) == "ratio") q = $i } }
  END { printf "month-end report %.0f ms (target < 1000), baseline count %.0f ms, ratio %.2f\n", r, c, q }' "$bench_tmp/out"
