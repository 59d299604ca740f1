#!/usr/bin/env bash
# Offline benchmark (the largest tenants): writes an N-device simulated snapshot three ways (plain JSON
# of the selected properties, every managedDevice property with --full-objects, and zstd), then times
# `audit --snapshot` writing every report on each, RUNS times (default 3), with /usr/bin/time: the
# median wall time and the largest peak RSS. `jq '.managedDevices | length'` on the plain file is the
# yardstick. Usage: scripts/bench-offline.sh [DEVICES] (default 1000000); RUNS=5 for more runs.
set -euo pipefail
cd "$(dirname "$0")/.."

devices=${1:-1000000}
runs=${RUNS:-3}
as_of=2026-11-26T00:00:00Z
dir=bench-data
plain=$dir/snapshot-$devices.json
full=$dir/snapshot-$devices-full.json
zst=$dir/snapshot-$devices.json.zst
mkdir -p "$dir"

cargo build --release --locked --quiet
bin=target/release/intune-reach

# Runs a command once under /usr/bin/time; prints "WALL_SECONDS RSS_KB".
timed() {
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null
  cat "$log"; rm -f "$log"
}

# label, runs, command...: the median wall time and the largest peak RSS of the runs.
measure() {
  local label=$1 n=$2; shift 2
  local results=()
  for _ in $(seq "$n"); do results+=("$(timed "$@")"); done
  printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
label, n = sys.argv[1], int(sys.argv[2])
rows = [line.split() for line in sys.stdin if line.strip()]
walls = sorted(float(w) for w, _ in rows)
rss = max(int(r) for _, r in rows) / 1024
print(f"{label:<44} wall median {statistics.median(walls):6.2f} s (min {walls[0]:.2f}, max {walls[-1]:.2f}, {n} runs)   peak RSS {rss:7.1f} MiB")
' "$label" "$n"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
sim=("$bin" sim snapshot --devices "$devices" --seed 1 --as-of "$as_of")
measure "sim snapshot ($devices devices)" 1 "${sim[@]}" --out "$plain"
measure "sim snapshot --full-objects" 1 "${sim[@]}" --full-objects --out "$full"
measure "sim snapshot --out .json.zst" 1 "${sim[@]}" --out "$zst"
echo "sizes: plain $(du -h "$plain" | cut -f1), full objects $(du -h "$full" | cut -f1), zstd $(du -h "$zst" | cut -f1)"

audit=("$bin" audit --as-of "$as_of" --out "$dir/reports" --quiet --snapshot)
measure "audit --snapshot (every report)" "$runs" "${audit[@]}" "$plain"
wc -l "$dir/reports/devices.csv" "$dir/reports/users.csv" | head -2
measure "audit --snapshot, full objects" "$runs" "${audit[@]}" "$full"
measure "audit --snapshot .json.zst" "$runs" "${audit[@]}" "$zst"
if command -v jq >/dev/null; then
  measure "jq '.managedDevices | length'" 1 jq '.managedDevices | length' "$plain"
fi
