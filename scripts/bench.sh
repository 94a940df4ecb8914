#!/usr/bin/env bash
# Every budget of the issues, side by side, on the 100,000-client demo data
# (generated once into target/bench-data/demo-100k):
#   - in-process figures: the criterion class benches and the TUI perf test
#     (filter keystroke, bytes per move and idle, matrix moves);
#   - start-up to first frame (scripts/startup.sh);
#   - whole-process commands, medians of 5 runs with their peak memory,
#     directly and through a server;
#   - imports of 100,000 and of every (1.9 million) settlement rows;
#   - rapport today beside taskwarrior, when taskwarrior is installed.
# `--quick` skips the criterion benches and the imports.
set -euo pipefail
quick=${1:-}
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/rapport
db=target/bench-data/demo-100k
if [ ! -f "$db/conf" ]; then
  echo "generating $db (about a minute)…"
  /usr/bin/time -f "demo --clients 100000: %e s, peak %M KB" "$bin" --db "$db" demo --clients 100000 --today 2026-11-22
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
if [ "$quick" != "--quick" ]; then
  echo "== criterion: class recomputation (full, incremental, new as-of date)"
  cargo bench -q --bench classes 2>&1 | grep -E "^[a-z_/ ]+time:" || true
fi
echo "== TUI on the 100k data: filter keystroke, bytes per move and idle, matrix"
cargo test -q --release --bin rapport perf_100k -- --ignored --nocapture 2>&1 | grep -vE "^(running|test |$)|test result" || true
echo "== start-up to first frame: directly (--server never), first session (opens the database, hands it to a server after the frame), joining a server"
RAPPORT_SERVER=never bash scripts/startup.sh "$db"
echo "(issue 22 goal 3: an interface opening the data directly <= 250 MB resident, first frame <= 500 ms)"
bash scripts/join.sh "$db" - -
bash scripts/startup.sh "$db"
target/release/rapport --db "$db" serve >/dev/null 2>&1 &
server=$!
sleep 3
WARM=1 bash scripts/startup.sh "$db"
kill -TERM "$server"; wait "$server" || true
echo "== shared server: round trip and fan-out with 8 sessions (small database, then a copy of the 100k one)"
cargo test -q --release --test server round_trip -- --ignored --nocapture 2>&1 | grep "sessions"
RAPPORT_BENCH_DB="$db" cargo test -q --release --test server round_trip -- --ignored --nocapture 2>&1 | grep "sessions"
echo "== shared server: another session's change on the interface's screen"
bash scripts/live-latency.sh "$db"
echo "== whole process (median of 5, peak memory of the median run)"
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
run() {
  local label=$1; shift
  local t
  t=$(for _ in 1 2 3 4 5; do /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; done | median)
  printf '%-44s %6s s  peak %6s MB\n' "$label" "${t%% *}" "$(( ${t##* } / 1024 ))"
}
run "open the store (export managers)" "$bin" --db "$db" export managers
run "rapport classes (100k clients)" "$bin" --db "$db" classes --as-of 2026-11-22
run "rapport classes --summary" "$bin" --db "$db" classes --as-of 2026-11-22 --summary
run "rapport today --manager amartin" "$bin" --db "$db" today --manager amartin --as-of 2026-11-22
run "rapport today --all" "$bin" --db "$db" today --all --as-of 2026-11-22
run "rapport report managers (one year)" "$bin" --db "$db" report managers --from 2025-11-23 --to 2026-11-22
run "rapport report funnel (one year)" "$bin" --db "$db" report funnel --from 2025-11-23 --to 2026-11-22
echo "== through a server (issue 22 goals: log <= 30 ms and 30 MB, today --manager and classes --summary <= 60 ms; log adds calls to C000002)"
# Without today's backup, the server takes it as it starts serving: the
# first writes are made while it is written (goal: each returns <= 50 ms).
rm -f "${XDG_DATA_HOME:-$HOME/.local/share}"/rapport/backups/demo-100k-*/"$(date +%F)".jsonl
serve_out=$(mktemp)
"$bin" --db "$db" serve --print-ready > "$serve_out" 2>&1 &
server=$!
for _ in $(seq 1 120); do grep -q ready "$serve_out" && break; sleep 0.5; done
started=$(date +%s.%N)
for i in 1 2 3 4 5; do
  t0=$(date +%s%N)
  "$bin" --db "$db" log C000002 --channel call --summary "bench during backup" >/dev/null
  echo "rapport log during the day's backup ($i):      $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
for _ in $(seq 1 240); do grep -q "took the day's backup" "$serve_out" && break; sleep 0.25; done
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "the day\x27s backup, written while serving:      %.1f s after ready\n", b - a }'
grep -q "took the day's backup" "$serve_out" || { echo "the day's backup did not finish:"; cat "$serve_out"; }
run "rapport log C000002 (one command, no model)" "$bin" --db "$db" log C000002 --channel call --summary "bench"
run "rapport today --manager amartin (server computes)" "$bin" --db "$db" today --manager amartin --as-of 2026-11-22
# The server keeps the queue and brings it up to date for what a command
# changed: the same list right after a write.
for i in 1 2 3 4 5; do
  "$bin" --db "$db" log C000002 --channel call --summary "bench" >/dev/null
  t0=$(date +%s%N)
  "$bin" --db "$db" today --manager amartin --as-of 2026-11-22 >/dev/null
  echo "rapport today --manager amartin after a log ($i): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
run "rapport classes --summary (server computes)" "$bin" --db "$db" classes --summary --as-of 2026-11-22
run "rapport classes (server computes)" "$bin" --db "$db" classes --as-of 2026-11-22
run "rapport find '+33 1 83 31 57 55' (server computes)" "$bin" --db "$db" find "+33 1 83 31 57 55"
run "rapport report managers, one year (server computes)" "$bin" --db "$db" report managers --from 2025-11-23 --to 2026-11-22
run "rapport report funnel, one year (server computes)" "$bin" --db "$db" report funnel --from 2025-11-23 --to 2026-11-22
run "rapport history C000002 (server computes)" "$bin" --db "$db" history C000002
run "rapport export settlements (server computes)" "$bin" --db "$db" export settlements
# Record commands read the part of the model they name (Backend::hold).
run "rapport client edit C000002 (its part)" "$bin" --db "$db" client edit C000002 --notes "bench"
run "rapport task edit task-172 (its part)" "$bin" --db "$db" task edit task-172 --text "bench"
for i in 1 2 3; do
  "$bin" --db "$db" snooze task-172 +2 >/dev/null
  t0=$(date +%s%N)
  "$bin" --db "$db" unmark task-172 >/dev/null
  echo "rapport unmark task-172 (its part) ($i):        $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
for i in 1 2 3; do
  t0=$(date +%s%N)
  "$bin" --db "$db" client add --ref "B$i" --name "Bench Boulangerie $i" >/dev/null
  t1=$(date +%s%N)
  "$bin" --db "$db" undo >/dev/null
  echo "rapport client add (duplicates checked) / undo ($i): $(( (t1 - t0) / 1000000 )) ms / $(( ($(date +%s%N) - t1) / 1000000 )) ms"
done
run "rapport tickets (server computes)" "$bin" --db "$db" tickets
run "rapport offers --client C000002 (server computes)" "$bin" --db "$db" offers --client C000002
kill -TERM "$server"; wait "$server" || true
echo "== interfaces joining a server (issue 22 goal 2: a lead's <= 150 MB, a manager's <= 60 MB, first frame <= 300 ms)"
for managers_see in all own; do
  "$bin" --db "$db" serve --print-ready --trust-claimed-logins --managers-see "$managers_see" > "$serve_out" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do grep -q ready "$serve_out" && break; sleep 0.5; done
  echo "managers see $managers_see:"
  bash scripts/join.sh "$db" hweber amartin
  kill -TERM "$server"; wait "$server" || true
done

if command -v task >/dev/null; then
  echo "== rapport today beside taskwarrior"
  bash scripts/today-vs-taskwarrior.sh
fi
[ "$quick" = "--quick" ] && exit 0

echo "== imports (issue 22 goal for every row: <= 15 s and 1 GB; restore <= 20 s and 1 GB)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --db "$db" export settlements > "$tmp/all.csv"
head -n 100001 "$tmp/all.csv" > "$tmp/100k.csv"
for kind in managers segments products portrait clients; do "$bin" --db "$db" export "$kind" > "$tmp/$kind.csv"; done
import_into() {
  local name=$1 file=$2
  rm -rf "$tmp/imp"
  for kind in managers segments products portrait; do "$bin" --db "$tmp/imp" import "$kind" "$tmp/$kind.csv" >/dev/null; done
  # The demo's names repeat: its clients look like duplicates of each other.
  "$bin" --db "$tmp/imp" import clients --allow-duplicate "$tmp/clients.csv" >/dev/null
  /usr/bin/time -f "$name: %e s, peak %M KB" "$bin" --db "$tmp/imp" import settlements "$file" >/dev/null
}
import_into "import 100,000 settlement rows" "$tmp/100k.csv"
import_into "import $(($(wc -l < "$tmp/all.csv") - 1)) settlement rows" "$tmp/all.csv"
echo "database after that import: $(du -sh "$tmp/imp" | cut -f1) (goal <= 300 MB); the demo database: $(du -sh "$db" | cut -f1)"
echo "== backup and restore of the 100k data (goal: restore <= 20 s and 1 GB)"
/usr/bin/time -f "backup: %e s, peak %M KB" "$bin" --db "$db" --server never backup "$tmp/backup.jsonl" >/dev/null
/usr/bin/time -f "restore: %e s, peak %M KB" "$bin" --db "$tmp/restored" restore "$tmp/backup.jsonl" >/dev/null
echo "== heap of a session that opens the 100k data (system malloc, for heaptrack)"
if command -v heaptrack >/dev/null; then
  CARGO_TARGET_DIR=target/heaptrack cargo build -q --release --no-default-features --bin rapport
  heaptrack -o "$tmp/heap" target/heaptrack/release/rapport --db "$db" --server never export managers >/dev/null 2>&1
  heaptrack_print -f "$tmp/heap.zst" --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-leaks 0 2>/dev/null | grep -E "^peak (heap|RSS)"
fi

echo "== PostgreSQL (issue 23 budgets: round trip median <= 10 ms with 8 writers on 2 processes; another host's change <= 200 ms; start-up on 100k <= 2 s)"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg=$(mktemp -d /tmp/rapport-bench-pg.XXXXXX)
  eval "$(scripts/pg-cluster.sh start "$pg")"
  cargo test -q --release --test backends postgres_round_trip -- --ignored --nocapture 2>&1 | grep "^PostgreSQL"
  psql_admin() { "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/psql" "$RAPPORT_TEST_PG" -qc "$1"; }
  me=$(id -un)
  psql_admin "CREATE ROLE \"$me\" LOGIN" 2>/dev/null || true
  psql_admin "CREATE ROLE rapport_user NOLOGIN" 2>/dev/null || true
  psql_admin "CREATE DATABASE bench OWNER \"$me\""
  url="host=$pg dbname=bench"
  "$bin" migrate --db "$url" >/dev/null
  /usr/bin/time -f "copy of the 100k data, sled -> PostgreSQL: %e s, peak %M KB" "$bin" copy --from "$db" --to "$url" >/dev/null
  run "start-up on PostgreSQL (classes --summary)" "$bin" --db "$url" classes --as-of 2026-11-22 --summary
  rm -rf "$tmp/from-pg"
  /usr/bin/time -f "copy of the 100k data, PostgreSQL -> sled: %e s, peak %M KB" "$bin" copy --from "$url" --to "$tmp/from-pg" >/dev/null
  cmp <("$bin" --db "$db" --server never export settlements) <("$bin" --db "$url" export settlements) \
    && echo "settlements export: identical on sled and PostgreSQL"
  scripts/pg-cluster.sh stop "$pg"
  rm -rf "$pg"
else
  echo "(skipped: PostgreSQL is not installed)"
fi
