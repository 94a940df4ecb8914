#!/usr/bin/env bash
# Whole-process figures on the 100,000-client demo data (the criterion
# benches in benches/ give the in-process ones). Prints medians of 5 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/rapport
db=target/bench-data/demo-100k
if [ ! -f "$db/conf" ]; then
  echo "generating $db (about a minute)…"
  /usr/bin/time -f "demo --clients 100000: %e s, peak %M KB" "$bin" --db "$db" demo --clients 100000 --today 2026-11-22
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() {
  local label=$1; shift
  local t
  t=$(for _ in 1 2 3 4 5; do /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; done | median)
  printf '%-44s %6s s\n' "$label" "$t"
}
run "open the store (export managers)" "$bin" --db "$db" export managers
run "rapport classes (100k clients)" "$bin" --db "$db" classes --as-of 2026-11-22
run "rapport classes --summary" "$bin" --db "$db" classes --as-of 2026-11-22 --summary
run "rapport today --manager amartin" "$bin" --db "$db" today --manager amartin --as-of 2026-11-22
run "rapport today --all" "$bin" --db "$db" today --all --as-of 2026-11-22
run "rapport report managers (one year)" "$bin" --db "$db" report managers --from 2025-11-23 --to 2026-11-22
run "rapport report funnel (one year)" "$bin" --db "$db" report funnel --from 2025-11-23 --to 2026-11-22

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --db "$db" export settlements > "$tmp/all.csv"
head -n 100001 "$tmp/all.csv" > "$tmp/100k.csv"
for kind in managers segments products portrait clients; do "$bin" --db "$db" export "$kind" > "$tmp/$kind.csv"; done
import_into() {
  local name=$1 file=$2
  rm -rf "$tmp/imp"
  for kind in managers segments products portrait clients; do "$bin" --db "$tmp/imp" import "$kind" "$tmp/$kind.csv" >/dev/null; done
  /usr/bin/time -f "$name: %e s, peak %M KB" "$bin" --db "$tmp/imp" import settlements "$file" >/dev/null
}
import_into "import 100,000 settlement rows" "$tmp/100k.csv"
import_into "import $(($(wc -l < "$tmp/all.csv") - 1)) settlement rows" "$tmp/all.csv"
