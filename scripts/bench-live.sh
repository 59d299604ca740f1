#!/usr/bin/env bash
# Live benchmark (issue: speed): the simulated Graph with 30 ms latency and Intune's throttle
# (2000 requests / 20 s), read by `audit` with the default strategy at 10,000 and 100,000 devices, with
# `--apps-via per-device` at 10,000 devices, and with `--devices-via export` (a report export job that
# the simulator completes after JOB_SECONDS) at 10,000 and 100,000 devices. Prints wall time, requests
# sent and the lower bound.
# Usage: scripts/bench-live.sh [LATENCY_MS] [JOB_SECONDS] (defaults 30 and 5). Runs on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

latency=${1:-30}
job_seconds=${2:-5}
as_of=2026-11-26T00:00:00Z
cargo build --release --locked --quiet
bin=$PWD/target/release/intune-reach
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # devices, apps strategy, devices strategy
  local devices=$1 strategy=$2 devices_via=${3:-list} log=$work/serve-$1-$2-${3:-list}.log
  "$bin" sim serve --devices "$devices" --seed 1 --as-of "$as_of" --latency-ms "$latency" \
    --throttle 2000/20 --export-job-seconds "$job_seconds" --max-seconds 900 >"$log" &
  local server=$!
  for _ in $(seq 100); do grep -q AZURE_TENANT_ID "$log" 2>/dev/null && break; sleep 0.1; done
  local url tenant
  url=$(sed -n 's/^simulated Graph listening on //p' "$log")
  tenant=$(sed -n 's/^  AZURE_TENANT_ID=//p' "$log")
  local start end
  start=$(date +%s.%N)
  AZURE_TENANT_ID=$tenant AZURE_CLIENT_ID=intune-reach-sim AZURE_CLIENT_SECRET=sim-secret \
    "$bin" audit --graph-url "$url" --login-url "$url" --apps-via "$strategy" --devices-via "$devices_via" \
    --as-of "$as_of" --out "$work/reports-$devices-$strategy-$devices_via" --format json --quiet \
    >"$work/summary.json"
  end=$(date +%s.%N)
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  # The same tenant as a snapshot, to count the pages each operatingSystem shard reads in sequence.
  "$bin" sim snapshot --devices "$devices" --seed 1 --as-of "$as_of" --out "$work/truth.json"
  python3 - "$work/summary.json" "$work/truth.json" "$devices" "$strategy/$devices_via" "$latency" \
    "$(echo "$end - $start" | bc -l)" <<'PY'
import json, math, sys
summary, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
devices, strategy, latency, wall = int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
t = summary["source"]["telemetry"]
phases = ", ".join(f'{p["name"]} {p["seconds"]:.2f} s/{p["requests"]} req' for p in t["phases"])
shards = ["ios", "ipados", "android", "windows", "macos", "linux", "chromeos"]
counts = {s: 0 for s in shards}
for d in truth["managedDevices"]:
    os_ = (d.get("operatingSystem") or "").lower()
    if os_ in counts:
        counts[os_] += 1
pages = {s: max(1, math.ceil(n / 1000)) for s, n in counts.items()}
# The issue's bound: sequential pages x latency / shards.
bound = sum(pages.values()) * latency / 1000 / len(shards)
# Devices no `eq` shard reaches (unknown, empty or missing operatingSystem) force one unfiltered listing.
rest = len(truth["managedDevices"]) - sum(counts.values())
single = math.ceil(devices / 1000) * latency / 1000
print(f"{devices:>7} devices  {strategy:<20} wall {wall:7.2f} s  requests {t['requests']:>5}  "
      f"throttled {t['throttled']:>3}  bound {bound:4.2f} s (sharded) / {single:4.2f} s (one listing; "
      f"{rest} devices outside the shards)  [{phases}]")
PY
}

echo "machine: $(nproc) cores; simulated Graph latency ${latency} ms, throttle 2000/20 s, export jobs ${job_seconds} s"
run 10000 detected-apps
run 100000 detected-apps
run 10000 per-device
run 10000 detected-apps export
run 100000 detected-apps export
