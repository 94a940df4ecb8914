#!/usr/bin/env bash
# Start-up to first frame of the real binary, measured in tmux: from launch
# until the client list shows on the screen. Prints one figure per run.
# RAPPORT_SERVER=never opens the database in the process; the default
# (auto) starts a server first, as a first session does, and waits for it
# to leave between runs; RAPPORT_SERVER=auto WARM=1 keeps one server up
# (a second session joining).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/first-frame.sh
db=${1:-target/bench-data/demo-100k}
bin=target/release/rapport
sock="rapport-startup-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$run"' EXIT
# A socket of its own (unless WARM: then the running server's default);
# the server's log beside it tells when a session joined.
run=$(mktemp -d)
socket_arg=""
if [ -z "${WARM:-}" ]; then socket_arg="--socket $run/s.sock"; fi
log="$run/s.log"
joined=0
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  tmux -L "$sock" new-session -d -x 120 -y 40 "$bin --db $db $socket_arg --as-of 2026-11-22"
  ms=$(wait_for_frame "$sock" "$start") || exit 1
  echo "start-up to first frame: $ms ms"
  deadline=$((start + 30000000000))
  # A first session hands the database to a server after its first frame:
  # let it join before quitting (else the server waits 60 s for nobody).
  if [ "${RAPPORT_SERVER:-auto}" = auto ] && [ -z "${WARM:-}" ]; then
    until grep -q "joined" "$log" 2>/dev/null && [ "$(grep -c joined "$log")" -gt "$joined" ]; do
      sleep 0.02
      if [ "$(date +%s%N)" -gt "$deadline" ]; then echo "no server joined after 30 s"; exit 1; fi
    done
    joined=$(grep -c joined "$log")
    echo "  handed over to the server: $(( ($(date +%s%N) - start) / 1000000 )) ms after launch"
  fi
  tmux -L "$sock" send-keys q
  # Quitting saves the model snapshot; wait until the session has ended.
  while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.05; done
  # A server started by the session leaves 2 s after it; wait for that.
  if [ "${RAPPORT_SERVER:-auto}" = auto ] && [ -z "${WARM:-}" ]; then
    while pgrep -f "rapport --db $db.* serve" >/dev/null; do sleep 0.1; done
    sleep "${SETTLE:-0}"
  fi
done
