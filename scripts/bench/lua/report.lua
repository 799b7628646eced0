-- Prints the figures the bench scripts parse: requests, non-2xx
-- responses, socket errors and latency percentiles (ms).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d non2xx=%d socket_errors=%d p50=%.3f p95=%.3f p99=%.3f rps=%.1f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
