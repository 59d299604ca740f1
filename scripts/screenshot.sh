#!/usr/bin/env bash
# Regenerates docs/report.png: the demo tenant's report.html (2,000 devices, seed 42, a fixed clock,
# compared with an earlier audit so that the changes show), as headless Chromium draws it.
# Usage: scripts/screenshot.sh [WIDTH HEIGHT] (default 1280 2400). Needs Chromium (Debian: chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

width=${1:-1280}
height=${2:-2400}
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet
bin=$PWD/target/release/intune-reach
shot=$PWD/docs/report.png
cd "$work"
# The week before: recent-check-in at warn only from this week on, so some users regressed.
"$bin" audit --demo --as-of 2026-11-19T00:00:00Z --level recent-check-in=allow --out last-week --quiet
"$bin" audit --demo --as-of 2026-11-26T00:00:00Z --previous last-week --out reports --quiet

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --force-color-profile=srgb \
  --virtual-time-budget=5000 --window-size="$width,$height" \
  --screenshot="$shot" "file://$work/reports/report.html" 2>/dev/null
echo "wrote docs/report.png (${width}x${height})"
