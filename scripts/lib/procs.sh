# shellcheck shell=bash
# procs.sh - process bookkeeping and port helpers for the project's bash scripts
# (scripts/demo.sh, bench/load/*.sh). Sourced, not run.
#
# Every process a script starts is written to "$RUN/pids" as "NAME PID" (remember_pid) and
# ended by that PID in stop_all: TERM, then KILL after 5 s. Nothing is ever killed by name.
# The caller creates the folder $RUN and the empty file "$RUN/pids".

remember_pid() { echo "$1 $2" >> "$RUN/pids"; }

stop_all() {
  local -; set +e          # best effort: a process that already exited is fine
  [ -n "${RUN:-}" ] && [ -f "$RUN/pids" ] || return 0
  local name pid
  while read -r name pid; do
    kill -TERM "$pid" 2>/dev/null && echo "stopped $name (pid $pid)" >&2
  done < "$RUN/pids"
  for _ in $(seq 50); do               # wait up to 5 s, then force
    local alive=0
    while read -r name pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$RUN/pids"
    [ $alive = 0 ] && break
    sleep 0.1
  done
  while read -r name pid; do kill -KILL "$pid" 2>/dev/null || true; done < "$RUN/pids"
  : > "$RUN/pids"
}

port_free() { # PORT...: fail if anything already listens there
  local p
  for p in "$@"; do
    [ -z "$(ss -ltnH "sport = :$p")" ] ||
      { echo "port $p is already in use${PORT_IN_USE_HINT:+ ($PORT_IN_USE_HINT)}" >&2; return 1; }
  done
}

wait_port() { # PORT [TENTHS]: wait up to TENTHS/10 s (default 5 s) for a listener
  for _ in $(seq "${2:-50}"); do
    [ -n "$(ss -ltnH "sport = :$1")" ] && return 0
    sleep 0.1
  done
  echo "nothing listening on port $1" >&2; return 1
}

# PIDs holding the listening socket on PORT (nginx: master + workers).
pids_on_port() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }

# A TCP port nobody listens on, picked at random in 20000-28999: below the kernel's ephemeral
# range (so outgoing connections do not take it meanwhile) and below the load benchmark's
# 29000-29100. Not reserved: a race with another starter is possible but unlikely.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 9000))
    [ -z "$(ss -ltnH "sport = :$p")" ] && { echo "$p"; return 0; }
  done
  echo "no free port found" >&2; return 1
}

pick_port() { # WANTED NAME: WANTED if free, else a free one (and say so on stderr)
  if port_free "$1" 2> /dev/null; then echo "$1"; else
    local p; p=$(free_port); echo "port $1 ($2) is taken, using $p instead" >&2; echo "$p"
  fi
}
