# Sourced by startup.sh and join.sh. `wait_for_frame SOCK START` waits until
# the client list shows in the tmux server SOCK (START: when the session was
# launched, `date +%s%N`; at most 30 s after it) and prints the milliseconds
# since START; on a timeout it shows the screen on stderr and fails.
wait_for_frame() {
  local sock=$1 start=$2
  local deadline=$((start + 30000000000))
  until tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q "Clients ·"; do
    sleep 0.005
    if [ "$(date +%s%N)" -gt "$deadline" ]; then
      echo "no first frame after 30 s:" >&2
      tmux -L "$sock" capture-pane -p >&2
      return 1
    fi
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
