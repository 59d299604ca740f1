#!/usr/bin/env bash
# Offline benchmark (issue: speed and memory): writes an N-device simulated snapshot, then measures
# `audit --snapshot` (all three report files) and `jq '.managedDevices | length'` on the same file
# with /usr/bin/time -v. Usage: scripts/bench-offline.sh [DEVICES] (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."

devices=${1:-1000000}
as_of=2026-11-26T00:00:00Z
dir=bench-data
snapshot=$dir/snapshot-$devices.json
mkdir -p "$dir"

cargo build --release --locked --quiet
bin=target/release/intune-reach

measure() { # label, command...
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log"
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  printf '%-34s wall %10s   peak RSS %8.1f MiB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
  rm -f "$log"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
measure "sim snapshot ($devices devices)" "$bin" sim snapshot --devices "$devices" --seed 1 --as-of "$as_of" --out "$snapshot"
echo "snapshot size: $(du -h "$snapshot" | cut -f1)"
measure "audit --snapshot (3 reports)" "$bin" audit --snapshot "$snapshot" --as-of "$as_of" --out "$dir/reports" --quiet
measure "jq '.managedDevices | length'" jq '.managedDevices | length' "$snapshot"
wc -l "$dir/reports/devices.csv" "$dir/reports/users.csv" | head -2
