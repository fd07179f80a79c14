# shellcheck shell=bash
# lib.sh - helpers for bench.sh: start/stop servers by PID, CPU accounting,
# CPU pinning. Sourced, not run. (Adopted from the shared bench harness; the generic
# process helpers moved to scripts/lib/procs.sh.) Uses only Debian packages
# (nginx, haproxy, wrk, iproute2 ss, util-linux taskset, coreutils, awk).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLK_TCK=$(getconf CLK_TCK)
PORT_BASE=${PORT_BASE:-29000}   # backends BASE+1, BASE+2; built-in proxies BASE+81.. (see bench.sh)
set_ports() { BACKEND_PORTS=($((PORT_BASE + 1)) $((PORT_BASE + 2))); }
set_ports

# --- runtime dir and process bookkeeping ---------------------------------
# Every process we start is written to $RUN/pids as "NAME PID" and ended by
# that PID in stop_all (never by name).
make_run_dir() {
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/router-perf.XXXXXX")
  chmod 755 "$RUN"       # nginx workers (www-data) read the body files here
  : > "$RUN/pids"
}

# remember_pid, stop_all, port_free, wait_port, pids_on_port: shared with the project's other
# scripts (demo, router wrapper), so they live in scripts/lib/procs.sh.
# shellcheck source=scripts/lib/procs.sh
source "$HERE/../../scripts/lib/procs.sh"
# shellcheck disable=SC2034  # read by port_free
PORT_IN_USE_HINT="try --port-base"

fill() { # TEMPLATE -> stdout, replacing @KEY@ with values given as KEY=VALUE args
  local tmpl=$1; shift
  local args=() kv
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$tmpl"
}

# --- servers ---------------------------------------------------------------
start_backends() {
  head -c 4096  /dev/zero | tr '\0' 'b' > "$RUN/body-4k"
  head -c 65536 /dev/zero | tr '\0' 'b' > "$RUN/body-64k"
  chmod 644 "$RUN"/body-*
  local port body
  for port in "${BACKEND_PORTS[@]}"; do
    # 100-byte body: "backend PORT " padded with x, the \n (written as the two
    # characters \ and n, which nginx expands) makes it exactly 100 bytes.
    body=$(printf 'backend %s %s' "$port" "$(head -c 200 /dev/zero | tr '\0' x)" | head -c 99)
    fill "$HERE/conf/backend.nginx.conf" PORT="$port" RUN="$RUN" BODY100="$body\\\\n" \
      > "$RUN/backend-$port.conf"
    nginx -p "$RUN" -e "$RUN/backend-$port.err" -c "$RUN/backend-$port.conf" -g 'daemon off;' &
    remember_pid "backend-$port" $!
  done
  for port in "${BACKEND_PORTS[@]}"; do wait_port "$port" || return 1; done
}

start_nginx_proxy() { # NAME PORT WORKERS
  fill "$HERE/conf/proxy.nginx.conf" NAME="$1" PORT="$2" WORKERS="$3" RUN="$RUN" HOST="$HOST_HDR" \
    BE1="${BACKEND_PORTS[0]}" BE2="${BACKEND_PORTS[1]}" \
    > "$RUN/$1.conf"
  nginx -p "$RUN" -e "$RUN/$1.err" -c "$RUN/$1.conf" -g 'daemon off;' &
  remember_pid "$1" $!
  wait_port "$2"
}

start_haproxy() { # NAME PORT THREADS
  fill "$HERE/conf/haproxy.cfg" PORT="$2" THREADS="$3" HOST="$HOST_HDR" \
    BE1="${BACKEND_PORTS[0]}" BE2="${BACKEND_PORTS[1]}" > "$RUN/$1.cfg"
  haproxy -db -q -f "$RUN/$1.cfg" &
  remember_pid "$1" $!
  wait_port "$2"
}

# --- measurement -----------------------------------------------------------
cpu_ticks() { # PIDS... -> sum of utime+stime (all threads), in clock ticks
  local p t=0 v
  for p in "$@"; do
    # strip "pid (comm) " so field numbers are stable; utime/stime are then $12/$13
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + ${v:-0}))
  done
  echo $t
}

cpu_stat() { head -1 /proc/stat; } # "cpu user nice system idle iowait irq softirq steal ..."

# Between two cpu_stat lines: "BUSY_TICKS STEAL_PCT" for the whole box
# (busy = every CPU state but idle, iowait and steal, summed over all CPUs).
box_usage() {
  printf '%s\n%s\n' "$1" "$2" | awk '
    { tot = 0; for (i = 2; i <= 9; i++) tot += $i
      idle = $5 + $6; st = $9 }
    NR == 1 { t0 = tot; i0 = idle; s0 = st }
    NR == 2 { dt = tot - t0; if (dt <= 0) dt = 1
              printf "%d %.1f\n", dt - (idle - i0) - (st - s0), 100 * (st - s0) / dt }'
}

# CPU ticks used so far by this shell's waited-for children (for wrk's own
# CPU). Sets CT; must run in the main shell, not in $(...), as `times` would
# then report the subshell.
children_ticks() {
  times > "$RUN/.times"   # line 2: "XmY.YYYs XmY.YYYs" = children user, system
  CT=$(awk -v hz="$CLK_TCK" 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] }
                              printf "%d\n", s * hz + 0.5 }' "$RUN/.times")
}

# Pin every thread of each PID to CPUS (a taskset list such as 0, 1 or 0-1).
pin() { local cpus=$1 p; shift; for p in "$@"; do taskset -a -p -c "$cpus" "$p" > /dev/null 2>&1; done; }
