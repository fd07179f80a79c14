#!/usr/bin/env bash
# router-vs-peers.sh - the load benchmark of our router against nginx and HAProxy on the same
# harness (bench.sh): starts nats-server, the router (build/bin/router, built beforehand) on
# 127.0.0.1:<port-base+80>, registers app.example.com -> the harness backends over NATS
# (re-published every 20 s), then runs bench.sh with the router as an extra --proxy and prints
# bench.sh's summary plus the router/peer ratios (ratios.sh). Builds nothing.
#
#   bench/load/router-vs-peers.sh                 # the reference comparison (about 15 min):
#       --layout B --targets direct,nginx-w1,haproxy-t1,router --conns 64,256
#       --bodies 100,64k --close-bodies ''
#   bench/load/router-vs-peers.sh --reps 1 --duration 3 --conns 64 --bodies 100  # smoke run
#   WORKERS=2 bench/load/router-vs-peers.sh --layout free --targets direct,nginx-w2,router
#
# Arguments, when given, replace the defaults and go to bench.sh unchanged (--port-base and
# --host are honoured for the router too; a --targets list should name "router").
# Environment: ROUTER_BIN (default build/bin/router), WORKERS (router workers, default 1),
# BENCH_RESULTS (results parent folder, default bench/results), PEERS (for ratios.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source-path=SCRIPTDIR/../..
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=bench/load/lib.sh
source "$HERE/lib.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"

if [ $# -eq 0 ]; then
  set -- --layout B --targets direct,nginx-w1,haproxy-t1,router --conns 64,256 \
         --bodies 100,64k --close-bodies ''
fi
HOST_HDR=app.example.com
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --port-base) PORT_BASE=${args[i + 1]}; set_ports;;
    --host) HOST_HDR=${args[i + 1]};;
  esac
done

ROUTER_BIN=${ROUTER_BIN:-$ROOT/build/bin/router}
[ -x "$ROUTER_BIN" ] || {
  echo "no router at $ROUTER_BIN: build it first (cmake -S . -B build -G Ninja && cmake --build build)" >&2
  exit 1
}
export BENCH_RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}

make_run_dir
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

NATS_PORT=$(free_port)
nats_start "$NATS_PORT" "$RUN/nats.log"

R_PORT=$((PORT_BASE + 80))
port_free "$R_PORT"
R_STATUS_PORT=$(free_port)
R_ROUTES_PORT=$(free_port)
# shellcheck disable=SC2034  # read by router_write_config
R_NATS_PORT=$NATS_PORT R_DELAY=0s R_LEVEL=warn R_WORKERS=${WORKERS:-1}
router_write_config "$RUN/gorouter.yml"
router_start "$ROUTER_BIN" "$RUN/gorouter.yml" "$RUN/router.log"
echo "router pid $ROUTER_PID on 127.0.0.1:$R_PORT (workers ${R_WORKERS}), nats on :$NATS_PORT" >&2
router_wait_healthy "$R_STATUS_PORT" 30

# Registration does not need the backends to be up; bench.sh starts them.
nats_publish_every 20 127.0.0.1 "$NATS_PORT" router.register \
  "$(nats_register_json 127.0.0.1 "${BACKEND_PORTS[0]}" "$HOST_HDR")" \
  "$(nats_register_json 127.0.0.1 "${BACKEND_PORTS[1]}" "$HOST_HDR")" &
remember_pid nats-publisher $!
router_wait_route "$R_ROUTES_PORT" "$HOST_HDR" 30
echo "route $HOST_HDR -> 127.0.0.1:${BACKEND_PORTS[0]}, :${BACKEND_PORTS[1]} registered" >&2

mkdir -p "$BENCH_RESULTS"
touch "$RUN/started"
"$HERE/bench.sh" --proxy "router=127.0.0.1:$R_PORT" "$@"
router_alive || { router_died; exit 1; }

OUT=""
for d in "$BENCH_RESULTS"/*/; do   # the results folder bench.sh just wrote
  if [ -f "$d/runs.csv" ] && [ "$d/runs.csv" -nt "$RUN/started" ]; then OUT=${d%/}; fi
done
[ -n "$OUT" ] || { echo "no new runs.csv under $BENCH_RESULTS" >&2; exit 1; }
cp "$RUN/gorouter.yml" "$OUT/configs/router.yml"
commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
echo "router: $ROUTER_BIN (commit $commit) workers=${R_WORKERS}" >> "$OUT/meta.txt"
echo
echo "Router vs peers (paired per-round ratios, medians; >1 means the router did better):"
"$HERE/ratios.sh" "$OUT/runs.csv" | tee "$OUT/ratios.md"
echo "results: $OUT" >&2
