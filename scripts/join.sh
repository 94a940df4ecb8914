#!/usr/bin/env bash
# An interface session joining the running server, once per login given:
# the time from launch until the client list shows, and the session's
# resident memory once it has drawn (issue 22 goal 2). The server must
# trust claimed logins (`rapport serve --trust-claimed-logins`), so that one
# user can join as a lead and as a manager. The login `-` opens the
# database directly instead (`--server never`; no server may hold it).
# usage: scripts/join.sh DB LOGIN...   (RAPPORT_BIN: another build to measure)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/first-frame.sh
db=${1:?usage: scripts/join.sh DB LOGIN...}
shift
bin=${RAPPORT_BIN:-target/release/rapport}
sock="rapport-join-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
for login in "$@"; do
  start=$(date +%s%N)
  # The shell stays after the session, so that the pane outlives a crash.
  how="--server always --claim-login $login"
  if [ "$login" = - ]; then how="--server never"; fi
  tmux -L "$sock" new-session -d -x 120 -y 40 "$bin --db $db $how --as-of 2026-11-22; sleep 60"
  ms=$(wait_for_frame "$sock" "$start") || exit 1
  # Let the session settle (the next-due column and the classes follow the
  # first frame), then read its memory.
  sleep 3
  pid=$(pgrep -f "^$bin --db $db $how " | head -1)
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  if [ "$login" = - ]; then
    echo "interface opening the database directly: first frame $ms ms, resident $rss MB"
  else
    echo "interface joining as $login: first frame $ms ms, resident $rss MB"
  fi
  tmux -L "$sock" send-keys q
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  tmux -L "$sock" kill-server 2>/dev/null || true
done
