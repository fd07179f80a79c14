#!/usr/bin/env bash
# router-demo.sh - the router alone, end to end on this machine: installs the packages, builds the router if
# needed, starts nats-server, the router and two small backends, registers the backends over
# NATS as demo.localhost, shows requests being routed (round-robin), the routing table and the
# health check, then keeps everything running until Ctrl-C.
#
#   scripts/router-demo.sh          # demonstrate, then keep running until Ctrl-C
#   scripts/router-demo.sh --once   # demonstrate and stop; exits non-zero if anything did not work
#
# Everything it starts is stopped by PID on exit; runtime files live in a temp folder.
# BUILD_DIR=<folder> builds and runs the router from another build folder than build/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR/..
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/lib/procs.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"

ONCE=0
case ${1:-} in
  --once) ONCE=1;;
  "") ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
  *) echo "usage: scripts/router-demo.sh [--once]" >&2; exit 2;;
esac

ROUTE=demo.localhost
# shellcheck disable=SC2034  # R_* are read by router_write_config
R_USER=user R_PASS=pass R_DELAY=1s R_LEVEL=info R_WORKERS=1
if [ -t 1 ]; then BOLD=$'\033[1m' NORM=$'\033[0m'; else BOLD="" NORM=""; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$NORM"; }
fail() { echo "demo: $*" >&2; exit 1; }

# --- packages and build ----------------------------------------------------------------------
step "Checking packages"
"$ROOT/scripts/install-deps.sh"

BUILD=${BUILD_DIR:-$ROOT/build}   # BUILD_DIR: use another build folder
step "Building the router (${BUILD#"$ROOT"/}, RelWithDebInfo)"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
BUILD_LOG=$(mktemp "${TMPDIR:-/tmp}/router-demo-build.XXXXXX")
if ! cmake --build "$BUILD" --target router -j2 > "$BUILD_LOG" 2>&1; then
  tail -n 40 "$BUILD_LOG" >&2; rm -f "$BUILD_LOG"; fail "building the router failed"
fi
tail -n 1 "$BUILD_LOG"; rm -f "$BUILD_LOG"
ROUTER_BIN=$BUILD/bin/router
[ -x "$ROUTER_BIN" ] || fail "no router binary at $ROUTER_BIN"

# --- runtime folder, cleanup -----------------------------------------------------------------
RUN=$(mktemp -d "${TMPDIR:-/tmp}/router-demo.XXXXXX")
: > "$RUN/pids"
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  local rc=$?
  step "Stopping"
  stop_all
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ -f "$RUN/router.log" ]; then
    echo "router log (last 20 lines):" >&2; tail -n 20 "$RUN/router.log" >&2
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- NATS --------------------------------------------------------------------------------------
step "Starting nats-server"
NATS_PORT=$(pick_port 4222 nats)
nats_start "$NATS_PORT" "$RUN/nats.log" || fail "nats-server did not start"
echo "nats-server on 127.0.0.1:$NATS_PORT"

# --- router ------------------------------------------------------------------------------------
step "Starting the router"
R_PORT=$(pick_port 8081 "router http")
R_STATUS_PORT=$(pick_port 8080 "router status")
R_ROUTES_PORT=$(pick_port 8082 "router /routes")
# shellcheck disable=SC2034
R_NATS_PORT=$NATS_PORT
router_write_config "$RUN/gorouter.yml"
sed 's/^/    /' "$RUN/gorouter.yml"
router_start "$ROUTER_BIN" "$RUN/gorouter.yml" "$RUN/router.log"
echo "router pid $ROUTER_PID: $ROUTER_BIN -c $RUN/gorouter.yml (log: $RUN/router.log)"

# --- backends ----------------------------------------------------------------------------------
step "Starting two backends (python3 -m http.server)"
APP_GUID=$(cat /proc/sys/kernel/random/uuid)
MESSAGES=()
for i in 0 1; do
  port=$(free_port)
  mkdir -p "$RUN/backend-$i"
  echo "Hello from demo backend instance $i (127.0.0.1:$port)" > "$RUN/backend-$i/index.html"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$RUN/backend-$i" \
    > "$RUN/backend-$i.log" 2>&1 &
  remember_pid "backend-$i" $!
  wait_port "$port" || fail "backend $i did not start"
  MESSAGES+=("$(nats_register_json 127.0.0.1 "$port" "$ROUTE" "$APP_GUID" \
                "$(cat /proc/sys/kernel/random/uuid)" "$i")")
  echo "backend instance $i on 127.0.0.1:$port"
done

# --- registration ------------------------------------------------------------------------------
step "Registering both backends as $ROUTE over NATS (router.register, again every 20 s)"
printf '    %s\n' "${MESSAGES[@]}"
nats_publish_every 20 127.0.0.1 "$NATS_PORT" router.register "${MESSAGES[@]}" &
remember_pid nats-publisher $!

step "Waiting for the router to be healthy and to know $ROUTE"
router_wait_healthy "$R_STATUS_PORT" 30 || fail "router not healthy"
router_wait_route "$R_ROUTES_PORT" "$ROUTE" 30 || fail "route not registered"
echo "healthy, route registered"

# --- demonstration -----------------------------------------------------------------------------
step "Four requests: curl -s -H 'Host: $ROUTE' http://127.0.0.1:$R_PORT/"
seen=""; bad=0
for n in 1 2 3 4; do
  out=$(curl -s -m 5 -w '\n%{http_code}' -H "Host: $ROUTE" "http://127.0.0.1:$R_PORT/" || true)
  code=${out##*$'\n'}; body=${out%$'\n'*}; body=${body%$'\n'}
  printf '  request %d -> %s  %s\n' "$n" "$code" "$body"
  [ "$code" = 200 ] || bad=1
  case $body in *"instance 0"*) seen+=0;; *"instance 1"*) seen+=1;; esac
done

step "Routing table: curl -u $R_USER:$R_PASS http://127.0.0.1:$R_ROUTES_PORT/routes"
routes=$(curl -s -m 5 -u "$R_USER:$R_PASS" "http://127.0.0.1:$R_ROUTES_PORT/routes" || true)
python3 -m json.tool <<< "$routes" 2> /dev/null | sed 's/^/    /' || echo "    $routes"

step "Health: curl -i http://127.0.0.1:$R_STATUS_PORT/health"
curl -s -i -m 5 "http://127.0.0.1:$R_STATUS_PORT/health" | sed 's/^/    /' || true
echo

step "Unknown host: curl -s -D - -o /dev/null -H 'Host: nope.localhost' http://127.0.0.1:$R_PORT/"
curl -s -m 5 -D - -o /dev/null -H 'Host: nope.localhost' "http://127.0.0.1:$R_PORT/" |
  grep -i -E '^(HTTP/|X-Cf-Routererror)' | sed 's/^/    /' || true

[ $bad = 0 ] || fail "not every request was answered with 200"
[[ $seen == *0* && $seen == *1* ]] || fail "the requests did not reach both instances (saw: ${seen:-none})"
echo
echo "OK: requests were routed to both backend instances."

if [ $ONCE = 1 ]; then exit 0; fi
step "Running. Try:  curl -H 'Host: $ROUTE' http://127.0.0.1:$R_PORT/      (Ctrl-C stops everything)"
while router_alive; do sleep 1; done
router_died; exit 1
