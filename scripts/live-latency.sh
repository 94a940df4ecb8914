#!/usr/bin/env bash
# How long after another session's command is confirmed the interface
# shows it, without a keypress: an interface in tmux (which hands the
# database to a server it starts), then `rapport import` of one settlement for a new client through
# that server; the time from the import's exit to the new client count on
# the screen (polled every 2 ms). Works on a copy of the database.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-target/bench-data/demo-100k}
bin=$PWD/target/release/rapport
work=$(mktemp -d)
sock="rapport-live-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; sleep 3; rm -rf "$work"' EXIT
cp -r "$src" "$work/db"
tmux -L "$sock" new-session -d -x 120 -y 40 "$bin --db $work/db --socket $work/s.sock --as-of 2026-11-22"
until tmux -L "$sock" capture-pane -p | grep -q "Clients ·"; do sleep 0.05; done
# After its first frame the interface hands the database to a server.
until grep -q joined "$work/s.log" 2>/dev/null; do sleep 0.05; done
before=$(tmux -L "$sock" capture-pane -p | grep -o "Clients · [0-9,]*" | head -1)
for i in 1 2 3 4 5; do
  printf 'client,date,amount,product,doc\nLIVE-%s,2026-11-20,250000.00,,INV-%s\n' "$i" "$i" > "$work/one.csv"
  "$bin" --db "$work/db" --socket "$work/s.sock" --server always import settlements "$work/one.csv" --create-missing >/dev/null
  start=$(date +%s%N)
  until [ "$(tmux -L "$sock" capture-pane -p | grep -o "Clients · [0-9,]*" | head -1)" != "$before" ]; do sleep 0.002; done
  end=$(date +%s%N)
  before=$(tmux -L "$sock" capture-pane -p | grep -o "Clients · [0-9,]*" | head -1)
  echo "confirmed in one session → shown in the other: $(( (end - start) / 1000000 )) ms ($before)"
done
tmux -L "$sock" send-keys q
