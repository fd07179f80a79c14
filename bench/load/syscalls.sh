#!/usr/bin/env bash
# syscalls.sh - system calls per proxied keep-alive request, of our router (once per event
# backend) and of nginx and HAProxy as peers, on the load harness's backends (loopback only).
#
# For each target: a bounded wrk load (default 64 connections, 5 s, 100-byte body, keep-alive)
# while the kernel counts the syscalls of the proxy's processes (all threads), then
# count / requests wrk completed, in total and per syscall name (the top 8, plus "other").
# Counting uses perf's tracepoints (`perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_X
# -p PIDS`): counted in the kernel, the proxy runs at nearly full speed. `--method strace` uses
# `strace -c -f -p PID` instead, which stops the process at every syscall (several times
# slower, fewer requests): its counts per request are still right, its times are not. The
# proxy's idle syscalls (timers, the router's NATS heartbeat) are measured for 2 s before the
# load and subtracted for the part of the counting window that had no load.
#
#   bench/load/syscalls.sh                             # router-uring, router-epoll, nginx-w1,
#                                                      # haproxy-t1: about 45 s
#   bench/load/syscalls.sh --targets router-epoll --duration 3
#   ROUTER_BACKENDS= bench/load/syscalls.sh --targets router,nginx-w1   # one router, no key
#
# Options: --targets LIST (router-uring, router-epoll, router-<backend>, router, nginx-w1,
# nginx-w2, haproxy-t1, haproxy-t2; default: the routers of ROUTER_BACKENDS, then nginx-w1,
# haproxy-t1), --conns N (64), --duration S (5), --body 100|4k|64k (100), --top N (8),
# --method perf|strace (default perf when it can count here), --no-pin (default: layout B's
# pinning, the proxy on CPU 0, wrk and the backends on CPU 1), --port-base N (29000; the
# routers on base+80 and base+83 as in router-vs-peers.sh), --host NAME.
# Environment: ROUTER_BIN (default build/bin/router), ROUTER_BACKENDS (default io_uring,epoll),
# WORKERS (router workers, default 1), BENCH_RESULTS (default bench/results).
# Output: a markdown table on stdout, and <BENCH_RESULTS>/<date>-syscalls/ with summary.md,
# syscalls.csv (target,syscall,count,per_request) and the raw perf/strace and wrk outputs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source-path=SCRIPTDIR/../..
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=bench/load/lib.sh
source "$HERE/lib.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"
# shellcheck source=bench/load/routers.sh
source "$HERE/routers.sh"

TARGETS="" CONNS=64 DUR=5 BODY=100 TOP=8 METHOD="" PIN=1 HOST_HDR=app.example.com
while [ $# -gt 0 ]; do
  case $1 in
    --targets) TARGETS=$2; shift 2;;
    --conns) CONNS=$2; shift 2;;
    --duration) DUR=$2; shift 2;;
    --body) BODY=$2; shift 2;;
    --top) TOP=$2; shift 2;;
    --method) METHOD=$2; shift 2;;
    --no-pin) PIN=0; shift;;
    --port-base) PORT_BASE=$2; set_ports; shift 2;;
    --host) HOST_HDR=$2; shift 2;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "unknown option $1 (--help)" >&2; exit 2;;
  esac
done
case $BODY in 100) URL_PATH=/;; 4k) URL_PATH=/4k;; 64k) URL_PATH=/64k;; *) echo "bad --body $BODY" >&2; exit 2;; esac

read_router_backends
[ -n "$TARGETS" ] || TARGETS="$ROUTER_TARGETS,nginx-w1,haproxy-t1"
IFS=, read -r -a TLIST <<< "$TARGETS"
# Start only the routers named in --targets.
WANTED_BACKENDS=()
for b in "${BACKENDS[@]}"; do
  [[ ",$TARGETS," == *",$(router_target_name "$b"),"* ]] && WANTED_BACKENDS+=("$b")
done
for t in "${TLIST[@]}"; do
  case $t in
    nginx-w1|nginx-w2|haproxy-t1|haproxy-t2) ;;
    router*) found=0
      for b in "${WANTED_BACKENDS[@]}"; do [ "$(router_target_name "$b")" = "$t" ] && found=1; done
      [ $found = 1 ] || { echo "target $t: not among ROUTER_BACKENDS (${ROUTER_BACKENDS-io_uring,epoll})" >&2; exit 2; };;
    *) echo "unknown target $t" >&2; exit 2;;
  esac
done

# --- counting method -----------------------------------------------------------
# Syscalls worth naming for a proxy; the ones this kernel has a tracepoint for are counted one
# by one, everything else shows up as "other" (raw_syscalls:sys_enter minus their sum).
CANDIDATES="read write readv writev pread64 pwrite64 recvfrom sendto recvmsg sendmsg recvmmsg
  sendmmsg sendfile64 splice tee vmsplice pipe2 epoll_wait epoll_pwait epoll_pwait2 epoll_ctl
  poll ppoll select pselect6 io_uring_enter io_uring_register io_uring_setup accept accept4
  connect socket close shutdown setsockopt getsockopt getsockname getpeername fcntl ioctl
  futex futex_waitv nanosleep clock_nanosleep clock_gettime gettimeofday timerfd_settime
  timerfd_gettime eventfd2 sched_yield madvise mmap munmap mprotect brk openat newfstatat
  fstat getrandom rt_sigprocmask rt_sigtimedwait getpid gettid"
perf_events() {
  local s list="raw_syscalls:sys_enter"
  for s in $CANDIDATES; do
    grep -qx "syscalls:sys_enter_$s" /sys/kernel/tracing/available_events 2>/dev/null && list+=",syscalls:sys_enter_$s"
  done
  echo "$list"
}
perf_works() {
  command -v perf > /dev/null || return 1
  perf stat -x, -e raw_syscalls:sys_enter -- true 2>&1 >/dev/null | grep -q '^[0-9]'
}
if [ -z "$METHOD" ]; then
  if perf_works; then METHOD=perf
  elif command -v strace > /dev/null; then
    METHOD=strace
    echo "perf cannot count syscalls here; using strace -c, which slows the proxy (the counts per request stay right)" >&2
  else echo "neither perf (linux-perf) nor strace: scripts/install-deps.sh installs them" >&2; exit 1
  fi
fi
case $METHOD in
  perf) perf_works || { echo "perf stat cannot count raw_syscalls:sys_enter here" >&2; exit 1; }
        EVENTS=$(perf_events);;
  strace) command -v strace > /dev/null || { echo "no strace" >&2; exit 1; };;
  *) echo "bad --method $METHOD" >&2; exit 2;;
esac

# --- start everything ---------------------------------------------------------
ROUTER_BIN=${ROUTER_BIN:-$ROOT/build/bin/router}
export BENCH_RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
make_run_dir
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

declare -A ADDR=()
if [ ${#WANTED_BACKENDS[@]} -gt 0 ]; then
  [ -x "$ROUTER_BIN" ] || { echo "no router at $ROUTER_BIN: build it first" >&2; exit 1; }
  start_routers "$ROUTER_BIN" "$HOST_HDR" "${WANTED_BACKENDS[@]}"
  for n in "${ROUTER_NAMES[@]}"; do ADDR[$n]=${ROUTER_ADDR[$n]}; done
fi
port_free "${BACKEND_PORTS[@]}"
start_backends
for t in "${TLIST[@]}"; do
  case $t in
    nginx-w1) ADDR[$t]=127.0.0.1:$((PORT_BASE + 81)); start_nginx_proxy "$t" $((PORT_BASE + 81)) 1;;
    nginx-w2) ADDR[$t]=127.0.0.1:$((PORT_BASE + 82)); start_nginx_proxy "$t" $((PORT_BASE + 82)) 2;;
    haproxy-t1) ADDR[$t]=127.0.0.1:$((PORT_BASE + 91)); start_haproxy "$t" $((PORT_BASE + 91)) 1;;
    haproxy-t2) ADDR[$t]=127.0.0.1:$((PORT_BASE + 92)); start_haproxy "$t" $((PORT_BASE + 92)) 2;;
  esac
done
pids_of() { # TARGET -> PIDs (router: its one process; nginx: master + workers; haproxy: one)
  if [ -n "${ROUTER_PIDOF[$1]:-}" ]; then echo "${ROUTER_PIDOF[$1]}"; else pids_on_port "${ADDR[$1]##*:}"; fi
}
for t in "${TLIST[@]}"; do
  got=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "Host: $HOST_HDR" "http://${ADDR[$t]}$URL_PATH" || true)
  [ "$got" = 200 ] || { echo "target $t: got '$got' for $URL_PATH" >&2; exit 1; }
done
PIN_SUT=0 PIN_OTHER=1
if [ "$PIN" = 1 ] && [ "$(nproc --all)" -ge 2 ]; then
  # shellcheck disable=SC2046  # one PID per word
  for p in "${BACKEND_PORTS[@]}"; do pin "$PIN_OTHER" $(pids_on_port "$p"); done
  # shellcheck disable=SC2046
  for t in "${TLIST[@]}"; do pin "$PIN_SUT" $(pids_of "$t"); done
  WRK=(taskset -c "$PIN_OTHER" wrk)
else
  PIN=0; WRK=(wrk)
fi

OUT="$BENCH_RESULTS/$(date +%Y%m%d-%H%M%S)-syscalls"
mkdir -p "$OUT/raw"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -r)"
  echo "method: $METHOD${METHOD:+ }$([ "$METHOD" = perf ] && perf --version)"
  echo "load: wrk -t1 -c$CONNS -d${DUR}s keep-alive, body $BODY ($URL_PATH), Host $HOST_HDR, pinned=$PIN"
  echo "targets: $(for t in "${TLIST[@]}"; do printf '%s=%s ' "$t" "${ADDR[$t]}"; done)"
  echo "router: $ROUTER_BIN (commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)) workers=${WORKERS:-1}"
  for n in "${ROUTER_NAMES[@]}"; do router_backend_note "$n"; done
} > "$OUT/meta.txt"
echo "target,syscall,count,per_request" > "$OUT/syscalls.csv"

# --- counting -----------------------------------------------------------------------
# count_perf TARGET SECONDS FILE [wrk...]: counts the target's syscalls for SECONDS while the
# optional command runs (started 0.25 s in, when perf is attached). FILE gets "name count" lines.
count_perf() {
  local t=$1 secs=$2 file=$3 pids perf_pid
  shift 3
  pids=$(pids_of "$t" | paste -sd,)
  perf stat -x, -o "$file.perf" -e "$EVENTS" -p "$pids" -- sleep "$secs" &
  perf_pid=$!
  remember_pid perf "$perf_pid"
  if [ $# -gt 0 ]; then sleep 0.25; "$@"; fi
  wait "$perf_pid" || true
  # "count,unit,event,..."; "<not counted>" = 0
  awk -F, '$3 ~ /sys_enter/ { n = $1 + 0; e = $3
             if (e == "raw_syscalls:sys_enter") e = "TOTAL"; else sub(/^syscalls:sys_enter_/, "", e)
             print e, n }' "$file.perf" > "$file"
}
# count_strace TARGET SECONDS FILE [wrk...]: the same with strace -c (one strace per PID).
count_strace() {
  local t=$1 secs=$2 file=$3 p spids=() i=0
  shift 3
  for p in $(pids_of "$t"); do
    strace -c -f -p "$p" -o "$file.strace.$i" 2> /dev/null &
    spids+=($!); remember_pid strace $!; i=$((i + 1))
  done
  sleep 0.25
  if [ $# -gt 0 ]; then "$@"; sleep "$(awk -v s="$secs" -v d="$DUR" 'BEGIN { x = s - d - 0.25; print (x > 0 ? x : 0) }')"
  else sleep "$secs"; fi
  for p in "${spids[@]}"; do kill -INT "$p" 2> /dev/null || true; done
  for p in "${spids[@]}"; do wait "$p" 2> /dev/null || true; done
  # "% time seconds usecs/call calls [errors] syscall" rows; the calls column is the 4th.
  cat "$file".strace.* | awk '$1 ~ /^[0-9.]+$/ && NF >= 5 { c[$NF] += $4; tot += $4 }
    END { print "TOTAL", tot + 0; for (s in c) print s, c[s] }' > "$file"
}
count() { "count_$METHOD" "$@"; }

declare -A REQS=() IDLE=()
for t in "${TLIST[@]}"; do
  echo "$t: idle 2 s, warm-up 1 s, then ${DUR} s of load" >&2
  count "$t" 2 "$OUT/raw/$t-idle.txt"
  IDLE[$t]=$(awk '$1 == "TOTAL" { print $2 / 2 }' "$OUT/raw/$t-idle.txt")
  timeout 20 "${WRK[@]}" -t1 -c16 -d1s -H "Host: $HOST_HDR" "http://${ADDR[$t]}$URL_PATH" > /dev/null 2>&1 || true
  window=$(awk -v d="$DUR" 'BEGIN { print d + 0.75 }')
  count "$t" "$window" "$OUT/raw/$t-load.txt" \
    timeout $((DUR + 30)) "${WRK[@]}" -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$HERE/report.lua" \
      -H "Host: $HOST_HDR" "http://${ADDR[$t]}$URL_PATH" > "$OUT/raw/$t-wrk.txt" 2>&1
  REQS[$t]=$(awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") print kv[2] } }' "$OUT/raw/$t-wrk.txt")
  [ "${REQS[$t]:-0}" -gt 0 ] || { echo "$t: wrk completed no request (see $OUT/raw/$t-wrk.txt)" >&2; exit 1; }
  # Per request: (load count - idle rate x the unloaded part of the window) / requests; the
  # idle correction is applied to the total and to "other" only (idle syscalls are timers and
  # NATS traffic, not the per-request ones).
  awk -v t="$t" -v req="${REQS[$t]}" -v idle="${IDLE[$t]}" -v spare="$(awk -v w="$window" -v d="$DUR" 'BEGIN { print w - d }')" '
    $1 == "TOTAL" { total = $2; next }
    { c[$1] = $2; named += $2 }
    END {
      total -= idle * spare; if (total < named) total = named
      printf "%s,TOTAL,%.0f,%.4f\n", t, total, total / req
      for (s in c) if (c[s] > 0) printf "%s,%s,%d,%.4f\n", t, s, c[s], c[s] / req
      if (total - named > 0) printf "%s,other,%.0f,%.4f\n", t, total - named, (total - named) / req
    }' "$OUT/raw/$t-load.txt" >> "$OUT/syscalls.csv"
done

# --- report ------------------------------------------------------------------------
{
  echo "Syscalls per proxied request ($METHOD; wrk -c$CONNS -d${DUR}s keep-alive, body $BODY; idle syscalls subtracted):"
  echo
  echo "| target | requests | RPS | syscalls / request | idle syscalls / s | top $TOP per request |"
  echo "|---|---:|---:|---:|---:|---|"
  for t in "${TLIST[@]}"; do
    rps=$(awk -v r="${REQS[$t]}" '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "duration_us") printf "%.0f", r / (kv[2] / 1e6) } }' "$OUT/raw/$t-wrk.txt")
    total=$(awk -F, -v t="$t" '$1 == t && $2 == "TOTAL" { print $4 }' "$OUT/syscalls.csv")
    top=$(awk -F, -v t="$t" '$1 == t && $2 != "TOTAL" { print $4 "\t" $2 }' "$OUT/syscalls.csv" |
          sort -t $'\t' -k1,1gr | head -n "$TOP" | awk -F'\t' '$1 >= 0.005 { printf "%s%s %.2f", (NR > 1 ? ", " : ""), $2, $1 }')
    printf '| %s | %s | %s | %.2f | %.0f | %s |\n' "$t" "${REQS[$t]}" "$rps" "$total" "${IDLE[$t]}" "$top"
  done
  [ "$METHOD" = strace ] && echo && echo "strace stops the process at every syscall: RPS here is far below the real one; the counts per request hold."
  grep 'event_backend' "$OUT/meta.txt" | sed 's/^/- /' || true
} | tee "$OUT/summary.md"
routers_alive || exit 1
echo "results: $OUT" >&2
