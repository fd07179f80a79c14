#!/usr/bin/env bash
# run-scale.sh - the scale benchmarks against the real router and a real nats-server:
# registration throughput (new routes, heartbeats), router memory per route / per endpoint,
# lookup latency distribution at 1M routes (in process), and register/unregister-to-visible
# latency. Builds nothing: it expects build/bin/router, build/bin/scale_driver and
# build/bin/scale_lookup (cmake --build build --target router scale_driver scale_lookup).
#
#   bench/scale/run-scale.sh            # full run, about 5 minutes (most of it case B)
#   bench/scale/run-scale.sh --quick    # small counts, under ~30 s
#
# Steps (full / --quick):
#  1. nats-server on a free loopback port.
#  2. A fresh router per case (config: droplet_stale_threshold 1800s so nothing is pruned,
#     start_response_delay_interval 0s, logging.level warn, workers ${WORKERS:-1}), driven by
#     scale_driver:
#       A  100k / 10k routes x 1 endpoint, published with no flow control: publish and apply
#          rates, the same messages again as heartbeats, RSS growth, then 200 / 20
#          register->visible and unregister->404 trials at that table size;
#       B  1M / 20k routes x 1 endpoint (publisher paused while >10k are unapplied): RSS
#          growth per route, then 200 / 20 latency trials at 1M routes;
#       C  100k / 10k routes x 10 endpoints: RSS growth per endpoint; the marginal cost of an
#          endpoint is (growth C - growth A) / (endpoints C - endpoints A).
#     Each router is stopped by PID before the next starts.
#  3. scale_lookup: per-lookup latency of the router's RouteTable at 1M / 100k routes.
# Prints a markdown table (case | metric | value | notes) with a header naming the date, commit,
# command and machine load. Exit status non-zero if a case failed (routes missing, drops...).
#
# Environment: BUILD_DIR (default build), ROUTER_BIN, SCALE_DRIVER, SCALE_LOOKUP (binaries),
# WORKERS (router workers, default 1), WINDOW (messages in flight in B and C, default 10000).
# bench/scale/scale-csv.sh gives the in-process curve (lookup p50, bytes per route, apply rate
# per table size) as CSV.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
source "$ROOT/scripts/lib/procs.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"

QUICK=0
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "unknown argument $arg (only --quick)" >&2; exit 2;;
  esac
done

BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ROUTER_BIN=${ROUTER_BIN:-$BUILD_DIR/bin/router}
SCALE_DRIVER=${SCALE_DRIVER:-$BUILD_DIR/bin/scale_driver}
SCALE_LOOKUP=${SCALE_LOOKUP:-$BUILD_DIR/bin/scale_lookup}
for bin in "$ROUTER_BIN" "$SCALE_DRIVER" "$SCALE_LOOKUP"; do
  [ -x "$bin" ] || {
    echo "missing $bin: build it first (cmake --build $BUILD_DIR --target router scale_driver scale_lookup)" >&2
    exit 1
  }
done
command -v nats-server > /dev/null || { echo "nats-server not found (scripts/install-deps.sh)" >&2; exit 1; }

if [ $QUICK = 1 ]; then
  A_ROUTES=10000; B_ROUTES=20000; C_ROUTES=10000; TRIALS=20; SETTLE=0
  LOOKUP_ROUTES=100000; LOOKUP_N=200000; TIMEOUT=20; LONG_TIMEOUT=60
else
  A_ROUTES=100000; B_ROUTES=1000000; C_ROUTES=100000; TRIALS=200; SETTLE=12
  LOOKUP_ROUTES=1000000; LOOKUP_N=1000000; TIMEOUT=120
  # The router applies new routes more slowly as its table grows (bench/README.md, "Scale
  # benchmarks"): 1M routes from empty took minutes on our 2-core VM.
  LONG_TIMEOUT=900
fi
C_ENDPOINTS=10
# In flight at most for cases B and C (10k: 8 MB of 819-byte messages); see scale_driver.cc.
# WINDOW=100000 reproduces the burst that used to get the router disconnected as a slow
# consumer (bench/README.md).
WINDOW=${WINDOW:-10000}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/scale.XXXXXX")
: > "$RUN/pids"
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

NATS_PORT=$(free_port)
nats_start "$NATS_PORT" "$RUN/nats.log"

# Three distinct free ports (free_port alone could hand out the same one twice).
pick_ports() {
  local a b c
  a=$(free_port)
  while b=$(free_port) && [ "$b" = "$a" ]; do :; done
  while c=$(free_port) && { [ "$c" = "$a" ] || [ "$c" = "$b" ]; }; do :; done
  R_PORT=$a R_STATUS_PORT=$b R_ROUTES_PORT=$c
}

start_router() { # NAME
  pick_ports
  # shellcheck disable=SC2034  # read by router_write_config
  R_NATS_PORT=$NATS_PORT R_DELAY=0s R_LEVEL=warn R_WORKERS=${WORKERS:-1}
  # shellcheck disable=SC2034
  R_EXTRA_YAML="droplet_stale_threshold: 1800s"
  router_write_config "$RUN/router-$1.yml"
  router_start "$ROUTER_BIN" "$RUN/router-$1.yml" "$RUN/router-$1.log"
  router_wait_healthy "$R_STATUS_PORT" 30
  echo "router $1: pid $ROUTER_PID, data :$R_PORT, status :$R_STATUS_PORT, nats :$NATS_PORT" >&2
}

stop_router() { # NAME LABEL: TERM by PID, KILL after 10 s, and forget the PID
  kill -TERM "$ROUTER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$ROUTER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$ROUTER_PID" 2>/dev/null || true
  wait "$ROUTER_PID" 2>/dev/null || true
  sed -i "/^router $ROUTER_PID\$/d" "$RUN/pids"
  # What went wrong on the NATS path, if anything: the router's warnings and nats-server's
  # slow-consumer disconnects during this case.
  local warnings disconnects invalid slow
  warnings=$(grep -c . "$RUN/router-$1.log" || true)
  disconnects=$(grep -c nats-disconnected "$RUN/router-$1.log" || true)
  invalid=$(grep -c validation-error "$RUN/router-$1.log" || true)
  slow=$(grep -c 'Slow Consumer' "$RUN/nats.log" || true)
  echo "| $2 | router warnings / NATS disconnects / invalid messages / nats-server slow consumers" \
    "| $warnings / $disconnects / $invalid / $((slow - SLOW_BEFORE)) | router log at warn, nats-server log |" |
    tee -a "$ROWS" >&2
  if [ "$warnings" -gt 0 ]; then
    echo "router $1 logged $warnings line(s) at warn or above; the first ones:" >&2
    head -n 5 "$RUN/router-$1.log" | cut -c1-300 >&2
  fi
}

ROWS=$RUN/rows.md
FAILED=0
drive() { # NAME LABEL ARGS...: one router, one scale_driver run
  local name=$1 label=$2
  shift 2
  SLOW_BEFORE=$(grep -c 'Slow Consumer' "$RUN/nats.log" || true)
  start_router "$name"
  if ! "$SCALE_DRIVER" --nats-port "$NATS_PORT" --status-port "$R_STATUS_PORT" \
      --data-port "$R_PORT" --router-pid "$ROUTER_PID" --timeout "$TIMEOUT" \
      --kv "$RUN/kv-$name" --label "$label" "$@" | tee -a "$ROWS" >&2; then
    echo "scale_driver for case $name failed" >&2
    FAILED=1
  fi
  router_alive || { router_died; FAILED=1; }
  stop_router "$name" "$label"
}

kv() { awk -v k="$2" '$1 == k { print $2 }' "$RUN/kv-$1"; }
count() { numfmt --grouping "$1" 2>/dev/null || echo "$1"; }

START=$SECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
A_LABEL="A: $(count $A_ROUTES) routes"
drive A "$A_LABEL" --prefix a --routes "$A_ROUTES" --heartbeats --trials "$TRIALS"
drive B "B: $(count $B_ROUTES) routes" --prefix b --routes "$B_ROUTES" \
  --window "$WINDOW" --settle "$SETTLE" --trials "$TRIALS" --timeout "$LONG_TIMEOUT"
C_LABEL="C: $(count $C_ROUTES) routes x $C_ENDPOINTS"
drive C "$C_LABEL" --prefix c --routes "$C_ROUTES" --endpoints "$C_ENDPOINTS" \
  --window "$WINDOW" --settle "$SETTLE" --timeout "$LONG_TIMEOUT"

# Marginal cost of an endpoint: C and A differ only in endpoints per route (when A's routes
# equal C's), so the route cost cancels out.
if [ -s "$RUN/kv-A" ] && [ -s "$RUN/kv-C" ] && [ "$(kv A routes)" = "$(kv C routes)" ]; then
  awk -v da="$(kv A rss_delta_bytes)" -v dc="$(kv C rss_delta_bytes)" \
      -v ea="$(kv A endpoints)" -v ec="$(kv C endpoints)" -v label="C - A" 'BEGIN {
    printf "| %s | RSS growth per extra endpoint, bytes | %.0f | (growth C - growth A) / %d extra endpoints on the same routes |\n",
      label, (dc - da) / (ec - ea), ec - ea }' | tee -a "$ROWS" >&2
fi

echo "[lookup] $(count $LOOKUP_ROUTES) routes, $(count $LOOKUP_N) timed lookups per kind" >&2
if ! "$SCALE_LOOKUP" --routes "$LOOKUP_ROUTES" --lookups "$LOOKUP_N" | tee -a "$ROWS" >&2; then
  echo "scale_lookup failed" >&2
  FAILED=1
fi

commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
echo
echo "Scale benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
echo "command: bench/scale/run-scale.sh$([ $QUICK = 1 ] && echo ' --quick') (workers ${WORKERS:-1}," \
  "$(nproc) cores, load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$((SECONDS - START)) s)"
echo
echo "| case | metric | value | notes |"
echo "|---|---|---|---|"
cat "$ROWS"
exit $FAILED
