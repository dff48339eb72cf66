-- wrk -s wrk_figures.lua: after wrk's own summary, its exact figures as `wrk_NAME VALUE` lines
-- (latencies in microseconds, from wrk's full histogram), for tools/bench/http.sh.
done = function(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local n = summary.requests
    io.write(string.format("wrk_requests %d\n", n))
    io.write(string.format("wrk_seconds %.3f\n", seconds))
    io.write(string.format("wrk_rps %.1f\n", n / seconds))
    io.write(string.format("wrk_bytes_per_request %.0f\n", summary.bytes / math.max(n, 1)))
    io.write(string.format("wrk_p50_us %d\n", latency:percentile(50)))
    io.write(string.format("wrk_p90_us %d\n", latency:percentile(90)))
    io.write(string.format("wrk_p99_us %d\n", latency:percentile(99)))
    io.write(string.format("wrk_p999_us %d\n", latency:percentile(99.9)))
    io.write(string.format("wrk_max_us %d\n", latency.max))
    local e = summary.errors
    io.write(string.format("wrk_errors_connect %d\n", e.connect))
    io.write(string.format("wrk_errors_read %d\n", e.read))
    io.write(string.format("wrk_errors_write %d\n", e.write))
    io.write(string.format("wrk_errors_status %d\n", e.status))
    io.write(string.format("wrk_errors_timeout %d\n", e.timeout))
end
