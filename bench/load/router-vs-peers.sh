#!/usr/bin/env bash
# router-vs-peers.sh - the load benchmark of our router against nginx and HAProxy on the same
# harness (bench.sh): starts nats-server and our router (build/bin/router, built beforehand) once
# per event backend, each on its own port, registers app.example.com -> the harness backends
# over NATS (re-published every 20 s), then runs bench.sh with every router as an extra --proxy
# and prints bench.sh's summary plus the router/peer ratios (ratios.sh). Builds nothing.
#
#   bench/load/router-vs-peers.sh                 # the reference comparison (~10 min, quiet box):
#       --layout B --targets direct,nginx-w1,haproxy-t1,router --conns 64,256
#       --bodies 100,64k --close-bodies 100 --reps 3 --duration 5
#   bench/load/router-vs-peers.sh --reps 1 --duration 3 --conns 64 --bodies 100 --close-bodies ''
#   WORKERS=2 bench/load/router-vs-peers.sh --layout free --targets direct,nginx-w2,haproxy-t2,router
#
# Routers: ROUTER_BACKENDS (comma list, default io_uring,epoll) starts one router per entry,
# with `event_backend: <entry>` in its config, as target router-uring (io_uring), router-epoll
# (epoll) or router-<entry>; ROUTER_BACKENDS='' starts one router without the key, as target
# "router". Ports: the first router on port base + 80 (29080), the second on base + 83 (29083),
# further ones on +84, +85, ... The word "router" in a --targets list stands for all of them.
#
# Arguments, when given, replace the defaults and go to bench.sh (--port-base and --host are
# honoured for the routers too).
# Environment: ROUTER_BIN (default build/bin/router), WORKERS (router workers, default 1),
# ROUTER_BACKENDS, BENCH_RESULTS (results parent folder, default bench/results), PEERS (for
# ratios.sh).
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

if [ $# -eq 0 ]; then
  set -- --layout B --targets direct,nginx-w1,haproxy-t1,router --conns 64,256 \
         --bodies 100,64k --close-bodies 100 --reps 3 --duration 5
fi
read_router_backends
HOST_HDR=app.example.com
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --port-base) PORT_BASE=${args[i + 1]}; set_ports;;
    --host) HOST_HDR=${args[i + 1]};;
    --targets)   # "router" = every router started here
      args[i + 1]=$(echo ",${args[i + 1]}," | sed "s/,router,/,$ROUTER_TARGETS,/; s/^,//; s/,\$//");;
  esac
done
set -- "${args[@]}"

ROUTER_BIN=${ROUTER_BIN:-$ROOT/build/bin/router}
[ -x "$ROUTER_BIN" ] || {
  echo "no router at $ROUTER_BIN: build it first (cmake -S . -B build -G Ninja && cmake --build build)" >&2
  exit 1
}
export BENCH_RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}

make_run_dir
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

start_routers "$ROUTER_BIN" "$HOST_HDR" "${BACKENDS[@]}"
PROXIES=()
for n in "${ROUTER_NAMES[@]}"; do PROXIES+=(--proxy "$n=${ROUTER_ADDR[$n]}" --proxy-pid "$n=${ROUTER_PIDOF[$n]}"); done

mkdir -p "$BENCH_RESULTS"
touch "$RUN/started"
"$HERE/bench.sh" "${PROXIES[@]}" "$@"
routers_alive || exit 1

OUT=""
for d in "$BENCH_RESULTS"/*/; do   # the results folder bench.sh just wrote
  if [ -f "$d/runs.csv" ] && [ "$d/runs.csv" -nt "$RUN/started" ]; then OUT=${d%/}; fi
done
[ -n "$OUT" ] || { echo "no new runs.csv under $BENCH_RESULTS" >&2; exit 1; }
commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
echo "router: $ROUTER_BIN (commit $commit) workers=${WORKERS:-1}" >> "$OUT/meta.txt"
for n in "${ROUTER_NAMES[@]}"; do
  cp "${ROUTER_CONFOF[$n]}" "$OUT/configs/$n.yml"
  router_backend_note "$n" >> "$OUT/meta.txt"
done
echo
echo "Routers vs peers (paired per-round ratios, medians; >1 means the router did better):"
grep -h 'event_backend' "$OUT/meta.txt" || true
"$HERE/ratios.sh" "$OUT/runs.csv" | tee "$OUT/ratios.md"
echo "results: $OUT" >&2
