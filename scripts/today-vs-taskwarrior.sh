#!/usr/bin/env bash
# `rapport today` on the 100,000-client demo data beside taskwarrior
# listing the same number of due items (`task due.before:tomorrow list`).
# Prints medians of 5 runs. Needs taskwarrior (apt-get install taskwarrior).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/rapport
db=target/bench-data/demo-100k
as_of=2026-11-22
if [ ! -f "$db/conf" ]; then
  "$bin" --db "$db" demo --clients 100000 --today "$as_of"
fi
command -v task >/dev/null || { echo "taskwarrior is not installed (apt-get install taskwarrior)"; exit 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time5() { for _ in 1 2 3 4 5; do /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; done | median; }
manager=$("$bin" --db "$db" export managers | sed -n 2p | cut -d, -f1)
# One run to leave a current model snapshot, as the TUI and read commands do.
"$bin" --db "$db" today --as-of "$as_of" --all >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for scope in "--manager $manager" "--all"; do
  # shellcheck disable=SC2086
  "$bin" --db "$db" today --as-of "$as_of" $scope --format json > "$tmp/today.json"
  due=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['overdue']+d['today'])" "$tmp/today.json")
  # shellcheck disable=SC2086
  r=$(time5 "$bin" --db "$db" today --as-of "$as_of" $scope)
  # The same number of due items (overdue and today) in a fresh taskwarrior.
  rm -rf "$tmp/task" && mkdir -p "$tmp/task"
  printf 'data.location=%s\nconfirmation=off\nverbose=nothing\nhooks=off\n' "$tmp/task" > "$tmp/taskrc"
  python3 - "$tmp/today.json" "$tmp/tasks.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
tasks = [{"description": i["reason"], "due": i["due"].replace("-", "") + "T090000Z", "status": "pending",
          "entry": "20261101T090000Z", "project": i["kind"]}
         for i in d["items"] if i["group"] in ("overdue", "today")]
json.dump(tasks, open(sys.argv[2], "w"))
PY
  TASKRC="$tmp/taskrc" task import "$tmp/tasks.json" >/dev/null 2>&1
  t=$(TASKRC="$tmp/taskrc" time5 env TASKRC="$tmp/taskrc" task rc.gc=off due.before:2026-11-23 list)
  n=$(TASKRC="$tmp/taskrc" task rc.gc=off due.before:2026-11-23 count)
  ratio=$(python3 -c "print(f'{$t/$r:.1f}')")
  printf 'rapport today %-22s %6s s   taskwarrior (%s due items) %6s s   taskwarrior/rapport %sx\n' "$scope" "$r" "$n" "$t" "$ratio"
done
