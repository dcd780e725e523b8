#!/usr/bin/env bash
# Wall time and peak memory of `dpf generate` at district, city and province scale.
# Usage: benchmarks/generate.sh [holders ...]   (default: 14608 150000 1000000)
# Output goes to benchmarks/data/ (git-ignored); the figures are printed as a Markdown row.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/data
for holders in "${@:-14608 150000 1000000}"; do
  for n in $holders; do
    out="benchmarks/data/landing_$n"
    rm -rf "$out"
    log="benchmarks/data/generate_$n.log"
    /usr/bin/time -v uv run dpf generate --out "$out" --holders "$n" >"$log" 2>&1
    wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
    rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
    rows=$(grep -o 'Generated [0-9]* files, [0-9,]* rows' "$log" | awk '{print $4}')
    size=$(du -sh "$out" | cut -f1)
    echo "| $n | $rows | $size | $wall | $((rss / 1024)) MB |"
  done
done
