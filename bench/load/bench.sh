#!/usr/bin/env bash
# bench.sh - side-by-side HTTP reverse-proxy benchmark on one box (loopback only).
#
# Starts two nginx backends (127.0.0.1:9001, :9002), the built-in proxies
# (nginx 1/2 workers, HAProxy 1/2 threads, all round-robin with upstream
# keep-alive), then runs wrk against every target, interleaved, for every
# body size x connection count x mode, --reps times. Everything it started is
# stopped by PID on exit. See README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
usage: bench.sh [options]
  --proxy NAME=HOST:PORT   add a proxy that is already running (repeatable); it must
                           route Host --host to 127.0.0.1:9001 and :9002
  --proxy-pid NAME=PID[,PID...]  PIDs whose CPU time counts for NAME (default: the
                           PIDs listening on its port, found with ss)
  --targets LIST           comma list to run (default: direct,nginx-w1,nginx-w2,
                           haproxy-t1,haproxy-t2 plus every --proxy)
  --no-builtin             start only the backends (no nginx/haproxy proxies)
  --conns LIST             default 16,64,256
  --bodies LIST            keep-alive runs, of 100,4k,64k (default all three)
  --close-bodies LIST      'Connection: close' runs (default 100; '' for none)
  --reps N                 rounds, each round runs the whole matrix (default 3)
  --duration S             seconds per wrk run (default 10)
  --host NAME              Host header sent (default app.example.com)
  --port-base N            backends on N+1, N+2; nginx-w1/w2 on N+81/N+82,
                           haproxy-t1/t2 on N+91/N+92 (default 29000)
  --layout free|A|B        CPU pinning preset (default free):
                             free: nothing pinned, wrk -t2
                             A:    wrk on CPU1 (-t1), proxy on CPU0, backends float
                             B:    wrk on CPU1 (-t1), proxy on CPU0, backends on CPU1;
                                   for 'direct' the backend under test gets CPU0
  --pin-wrk C --pin-sut C --pin-be C --pin-direct C --wrk-threads N
                           override single parts of the preset (taskset lists)
  --quiet-wait S           before each run wait up to S s for the box to be quiet, i.e.
                           for CPU use by others below --noise (default 10; 0 = off)
  --noise CORES            'noisy' threshold for other tenants' CPU (default 0.15 cores)
  --retry-noisy N          re-run a run up to N times when others used more than
                           --noise during it; dropped tries go to rejected.csv (default 0)
  --label TEXT             suffix for the results folder
  --serve-only SECONDS     start backends (+ built-in proxies), wait, stop; no load
EOF
}

CONNS=16,64,256; BODIES=100,4k,64k; CLOSE_BODIES=100; REPS=3; DUR=10
HOST_HDR=app.example.com; LAYOUT=free; LABEL=""; BUILTIN=1; SERVE_ONLY=""
TARGETS=""; declare -A ADDR=() PIDS_OVERRIDE=(); EXTERNAL=()
QUIET_WAIT=10; NOISE=0.15; RETRY_NOISY=0
O_WRK="" O_SUT="" O_BE="" O_DIRECT="" O_THREADS=""
while [ $# -gt 0 ]; do
  case $1 in
    --proxy) ADDR[${2%%=*}]=${2#*=}; EXTERNAL+=("${2%%=*}"); shift 2;;
    --proxy-pid) PIDS_OVERRIDE[${2%%=*}]=${2#*=}; shift 2;;
    --targets) TARGETS=$2; shift 2;;
    --no-builtin) BUILTIN=0; shift;;
    --conns) CONNS=$2; shift 2;;
    --bodies) BODIES=$2; shift 2;;
    --close-bodies) CLOSE_BODIES=$2; shift 2;;
    --reps) REPS=$2; shift 2;;
    --duration) DUR=$2; shift 2;;
    --host) HOST_HDR=$2; shift 2;;
    --port-base) PORT_BASE=$2; set_ports; shift 2;;
    --layout) LAYOUT=$2; shift 2;;
    --pin-wrk) O_WRK=$2; shift 2;;
    --pin-sut) O_SUT=$2; shift 2;;
    --pin-be) O_BE=$2; shift 2;;
    --pin-direct) O_DIRECT=$2; shift 2;;
    --wrk-threads) O_THREADS=$2; shift 2;;
    --label) LABEL=$2; shift 2;;
    --quiet-wait) QUIET_WAIT=$2; shift 2;;
    --noise) NOISE=$2; shift 2;;
    --retry-noisy) RETRY_NOISY=$2; shift 2;;
    --serve-only) SERVE_ONLY=$2; shift 2;;
    -h|--help) usage; exit 0;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2;;
  esac
done

ALL=$(nproc --all); LAST=$((ALL - 1))
case $LAYOUT in
  free) PIN_WRK=0-$LAST; WRK_T=2; PIN_SUT=0-$LAST; PIN_BE=0-$LAST; PIN_DIRECT=0-$LAST;;
  A)    PIN_WRK=1; WRK_T=1; PIN_SUT=0; PIN_BE=0-$LAST; PIN_DIRECT=0-$LAST;;
  B)    PIN_WRK=1; WRK_T=1; PIN_SUT=0; PIN_BE=1; PIN_DIRECT=0;;
  *) echo "unknown layout $LAYOUT" >&2; exit 2;;
esac
PIN_WRK=${O_WRK:-$PIN_WRK}; PIN_SUT=${O_SUT:-$PIN_SUT}; PIN_BE=${O_BE:-$PIN_BE}
PIN_DIRECT=${O_DIRECT:-$PIN_DIRECT}; WRK_T=${O_THREADS:-$WRK_T}

# --- targets -----------------------------------------------------------------
ADDR[direct]=127.0.0.1:${BACKEND_PORTS[0]}
BUILTINS=()
if [ $BUILTIN = 1 ]; then
  declare -A BPORT=([nginx-w1]=$((PORT_BASE + 81)) [nginx-w2]=$((PORT_BASE + 82))
                    [haproxy-t1]=$((PORT_BASE + 91)) [haproxy-t2]=$((PORT_BASE + 92)))
  BUILTINS=(nginx-w1 nginx-w2 haproxy-t1 haproxy-t2)
  for t in "${BUILTINS[@]}"; do ADDR[$t]=127.0.0.1:${BPORT[$t]}; done
fi
[ -z "$TARGETS" ] && TARGETS=$(IFS=,; echo "direct,${BUILTINS[*]:+${BUILTINS[*]},}${EXTERNAL[*]:-}" | sed 's/,$//')
IFS=, read -r -a TLIST <<< "$TARGETS"
for t in "${TLIST[@]}"; do [ -n "${ADDR[$t]:-}" ] || { echo "unknown target $t" >&2; exit 2; }; done

path_of() { case $1 in 100) echo /;; 4k) echo /4k;; 64k) echo /64k;; *) echo "bad body $1" >&2; exit 2;; esac; }
size_of() { case $1 in 100) echo 100;; 4k) echo 4096;; 64k) echo 65536;; esac; }

sut_pids() { # TARGET -> PIDs whose CPU is "the system under test"
  if [ -n "${PIDS_OVERRIDE[$1]:-}" ]; then echo "${PIDS_OVERRIDE[$1]//,/ }"
  else pids_on_port "${ADDR[$1]##*:}"; fi
}
be_pids() { local p; for p in "${BACKEND_PORTS[@]}"; do pids_on_port "$p"; done; }

apply_layout() { # TARGET: pin backends, proxies and (for direct) the backend under test
  local t
  pin "$PIN_BE" $(be_pids)
  for t in "${TLIST[@]}"; do [ "$t" = direct ] || pin "$PIN_SUT" $(sut_pids "$t"); done
  [ "$1" = direct ] && pin "$PIN_DIRECT" $(pids_on_port "${BACKEND_PORTS[0]}")
  return 0
}

# --- start servers -----------------------------------------------------------
make_run_dir
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM
port_free "${BACKEND_PORTS[@]}" ${BPORT[@]+"${BPORT[@]}"}
start_backends
if [ $BUILTIN = 1 ]; then
  start_nginx_proxy nginx-w1 "${BPORT[nginx-w1]}" 1; start_nginx_proxy nginx-w2 "${BPORT[nginx-w2]}" 2
  start_haproxy haproxy-t1 "${BPORT[haproxy-t1]}" 1; start_haproxy haproxy-t2 "${BPORT[haproxy-t2]}" 2
fi

# Check every target answers 200 with the right body size for the Host header.
for t in "${TLIST[@]}"; do
  for b in ${BODIES//,/ } ${CLOSE_BODIES//,/ }; do
    got=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{size_download}' -H "Host: $HOST_HDR" \
          "http://${ADDR[$t]}$(path_of "$b")" || true)
    [ "$got" = "200 $(size_of "$b")" ] || { echo "target $t body $b: got '$got'" >&2; exit 1; }
  done
  [ -n "$(sut_pids "$t")" ] || { echo "target $t: no PID found for CPU accounting" >&2; exit 1; }
done
echo "targets OK: ${TLIST[*]} (Host: $HOST_HDR)" >&2

if [ -n "$SERVE_ONLY" ]; then
  echo "serving for $SERVE_ONLY s: backends ${BACKEND_PORTS[*]}; targets:" >&2
  for t in "${TLIST[@]}"; do echo "  $t ${ADDR[$t]}" >&2; done
  sleep "$SERVE_ONLY"; exit 0
fi

# --- results folder ----------------------------------------------------------
OUT="${BENCH_RESULTS:-$HERE/../results}/$(date +%Y%m%d-%H%M%S)-$LAYOUT${LABEL:+-$LABEL}"
mkdir -p "$OUT/raw" "$OUT/configs"
for f in "$RUN"/*.conf "$RUN"/*.cfg; do   # copies with the runtime folder written as $RUN
  if [ -e "$f" ]; then sed "s|$RUN|\$RUN|g" "$f" > "$OUT/configs/${f##*/}"; fi
done
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc --all)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "hypervisor: $(lscpu | awk -F: '/Hypervisor vendor/ {gsub(/ /,"",$2); print $2}')"
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2)"
  echo "haproxy: $(haproxy -v | head -1 | awk '{print $3}')"
  echo "wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "layout: $LAYOUT wrk_cpus=$PIN_WRK wrk_threads=$WRK_T sut_cpus=$PIN_SUT backend_cpus=$PIN_BE direct_cpus=$PIN_DIRECT"
  echo "targets: $(for t in "${TLIST[@]}"; do printf '%s=%s ' "$t" "${ADDR[$t]}"; done)"
  echo "host: $HOST_HDR conns: $CONNS bodies: $BODIES close_bodies: $CLOSE_BODIES reps: $REPS duration: ${DUR}s"
  echo "noise: quiet_wait=${QUIET_WAIT}s noise=${NOISE} cores retry_noisy=$RETRY_NOISY"
} > "$OUT/meta.txt"
CSV="$OUT/runs.csv"
echo "layout,rep,target,body,mode,conns,wrk_threads,requests,duration_s,rps,p50_ms,p90_ms,p99_ms,max_ms,sock_errors,non2xx,sut_cpu_s,be_cpu_s,wrk_cpu_s,other_cpu_s,steal_pct,req_per_sut_cpu_s" > "$CSV"

wait_quiet() { # up to QUIET_WAIT s until CPU use (ours is idle now) is below NOISE cores
  local waited=0 a b busy
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    a=$(cpu_stat); sleep 1; b=$(cpu_stat); waited=$((waited + 1))
    busy=$(box_usage "$a" "$b"); busy=${busy%% *}
    awk -v b="$busy" -v hz="$CLK_TCK" -v n="$NOISE" 'BEGIN { exit !(b / hz <= n) }' && return 0
  done
  echo "box still busy after ${QUIET_WAIT}s, running anyway" >&2
}

noisy() { # CSV-ROW: true when other tenants used more than NOISE cores during the run
  echo "$1" | awk -F, -v n="$NOISE" '{ exit !($9 > 0 && $20 / $9 > n) }'
}

run_one() { # REP TARGET BODY MODE CONNS: measure, retrying noisy runs, append to runs.csv
  local try row
  for try in $(seq 0 "$RETRY_NOISY"); do
    [ "$QUIET_WAIT" -gt 0 ] && wait_quiet
    row=$(measure_one "$@")
    noisy "$row" && [ "$try" -lt "$RETRY_NOISY" ] || break
    echo "$row" >> "$OUT/rejected.csv"; echo "noisy run, retrying: $row" >&2
  done
  echo "$row" | tee -a "$CSV"
}

measure_one() { # REP TARGET BODY MODE CONNS -> one CSV row on stdout
  local rep=$1 t=$2 body=$3 mode=$4 c=$5
  local url="http://${ADDR[$t]}$(path_of "$body")"
  local raw="$OUT/raw/r$rep-$t-$body-$mode-c$c.txt"
  local hdr=(-H "Host: $HOST_HDR"); [ "$mode" = close ] && hdr+=(-H "Connection: close")
  apply_layout "$t"
  local sp bp; sp=$(sut_pids "$t"); bp=$(be_pids)
  local s0 b0 st0 w0 s1 b1 st1 w1
  [ "$t" = direct ] && bp=$(pids_on_port "${BACKEND_PORTS[1]}")   # SUT is backend 1 itself
  s0=$(cpu_ticks $sp); b0=$(cpu_ticks $bp); st0=$(cpu_stat); children_ticks; w0=$CT
  timeout $((DUR + 30)) taskset -c "$PIN_WRK" \
    wrk -t"$WRK_T" -c"$c" -d"${DUR}s" --latency -s "$HERE/report.lua" "${hdr[@]}" "$url" > "$raw" 2>&1 || true
  children_ticks; w1=$CT; st1=$(cpu_stat); s1=$(cpu_ticks $sp); b1=$(cpu_ticks $bp)
  local usage; usage=$(box_usage "$st0" "$st1")
  # other = box busy - SUT - backends - wrk: CPU taken by anything else on the machine
  awk -v pre="$LAYOUT,$rep,$t,$body,$mode,$c,$WRK_T" -v ds=$((s1 - s0)) -v db=$((b1 - b0)) \
      -v dw=$((w1 - w0)) -v hz="$CLK_TCK" -v usage="$usage" '
    /^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] } ok = 1 }
    END {
      if (!ok) { print pre ",0,0,0,0,0,0,0,-1,-1,0,0,0,0,0,0"; exit }
      split(usage, u, " ")
      d = r["duration_us"] / 1e6; sut = ds / hz; other = (u[1] - ds - db - dw) / hz
      printf "%s,%d,%.2f,%.0f,%.3f,%.3f,%.3f,%.3f,%d,%d,%.2f,%.2f,%.2f,%.2f,%s,%.0f\n", pre,
        r["requests"], d, r["requests"] / d, r["p50_us"] / 1000, r["p90_us"] / 1000,
        r["p99_us"] / 1000, r["max_us"] / 1000,
        r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"], r["err_status"],
        sut, db / hz, dw / hz, other, u[2], (sut > 0 ? r["requests"] / sut : 0) }' "$raw"
}

# --- warm-up (not recorded), then the interleaved rounds ------------------------
for t in "${TLIST[@]}"; do
  apply_layout "$t"
  timeout 20 taskset -c "$PIN_WRK" wrk -t"$WRK_T" -c16 -d2s -H "Host: $HOST_HDR" "http://${ADDR[$t]}/" > /dev/null 2>&1 || true
done
n=${#TLIST[@]}
for rep in $(seq "$REPS"); do
  for mode in keepalive close; do
    [ $mode = keepalive ] && bl=$BODIES || bl=$CLOSE_BODIES
    for body in ${bl//,/ }; do
      for c in ${CONNS//,/ }; do
        for i in $(seq 0 $((n - 1))); do           # rotate start target each round
          run_one "$rep" "${TLIST[$(( (i + rep - 1) % n ))]}" "$body" "$mode" "$c"
        done
      done
    done
  done
done
"$HERE/summarize.sh" "$CSV" > "$OUT/summary.md"
cat "$OUT/summary.md"
echo "results: ${OUT#$HERE/}" >&2
