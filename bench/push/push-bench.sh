#!/usr/bin/env bash
# push-bench.sh - how long the platform takes to turn code into routed traffic, and how long a
# scale-up takes to reach the router, measured against doing the same by hand on this machine.
#
#   bench/push/push-bench.sh [--reps N] [--app DIR | --docker] [--scale-to N] [--staging local]
#
# Starts its own nats-server, router, scheduler, controller and two cells on free ports (as
# scripts/demo.sh does), then, REPS times:
#   push      `foundry push bench-K -p APP -i 1`: time until the CLI returns, and time until the
#             first request through the router is answered 200 by the new app (a poller runs
#             curl every 20 ms from the moment push starts);
#   by hand   the peer: the same app staged with `stager` and started with `launcher` directly,
#             then polled until it answers: the floor any platform pays (staging + boot);
#   scale     `foundry scale bench-K -i SCALE_TO`: time until requests through the router have
#             reached every new instance (bodies name the instance index).
# With --docker the app is a Docker image instead of source: a docker-registry on loopback holds
# a busybox httpd image built here with umoci (nothing downloaded), each rep runs
# `foundry push bench-K --docker-image REG/bench/web:v1`, and the peer by hand is
# `skopeo copy` + `umoci unpack` + starting the image's httpd: fetching and unpacking the image
# and booting it, the floor for any platform that runs images (needs root for the cells'
# containers).
# --staging local stages in the controller's own process instead of as a task on a cell (the
# controller's --staging local): the difference is what staging in a container costs.
# Prints one line per rep and the medians. Builds nothing: run `cmake --build build` first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/lib/procs.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"
source "$ROOT/scripts/lib/platform.sh"
source "$ROOT/scripts/lib/images.sh"

REPS=5 APP=$ROOT/examples/node-hello SCALE_TO=3 DOCKER=0 STAGING=tasks
while [ $# -gt 0 ]; do
  case $1 in
    --reps) REPS=$2; shift 2;;
    --app) APP=$(cd "$2" && pwd); shift 2;;
    --scale-to) SCALE_TO=$2; shift 2;;
    --docker) DOCKER=1; shift;;
    --staging) STAGING=$2; shift 2;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
BIN=$(cd "${BUILD_DIR:-$ROOT/build}/bin" && pwd)  # absolute: by_hand cd-s elsewhere
for b in router controller scheduler cell stager launcher foundry; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: build first (cmake --build build)" >&2; exit 1; }
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/push-bench.XXXXXX")
chmod 0711 "$RUN"  # the cells' containers walk through it to their disks
: > "$RUN/pids"
cleanup() { cells_stop; stop_all; unmount_below "$RUN"; rm -rf "$RUN"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
export FOUNDRY_HOME=$RUN/cli-home
now_ms() { date +%s%3N; }

# --- the platform ------------------------------------------------------------------------------
NATS_PORT=$(free_port); nats_start "$NATS_PORT" "$RUN/nats.log"
NATS_URL=nats://127.0.0.1:$NATS_PORT
R_PORT=$(free_port) R_STATUS_PORT=$(free_port) R_ROUTES_PORT=$(free_port) R_NATS_PORT=$NATS_PORT
R_WORKERS=1 R_DELAY=0s
router_write_config "$RUN/gorouter.yml"
router_start "$BIN/router" "$RUN/gorouter.yml" "$RUN/router.log"
router_wait_healthy "$R_STATUS_PORT" 30
SCHED_PORT=$(free_port); SCHED_URL=http://127.0.0.1:$SCHED_PORT
scheduler_start "$BIN/scheduler" "$SCHED_PORT" "$NATS_URL" "$RUN/scheduler.log"
CTL_PORT=$(free_port)
controller_start "$BIN/controller" "$CTL_PORT" "$RUN/controller" "$NATS_URL" "$SCHED_URL" \
  apps.internal "$BIN/stager" "$RUN/controller.log" --staging "$STAGING"
for i in 0 1; do
  cell_start "$BIN/cell" "$(free_port)" "cell-$i" "z$((i + 1))" "$SCHED_URL" "$NATS_URL" \
    "$RUN/cell-$i" "$((43000 + i * 1000))-$((43999 + i * 1000))" "$BIN/launcher" \
    "$RUN/cell-$i.log" --unhealthy-interval-ms 100
done
"$BIN/foundry" api "http://127.0.0.1:$CTL_PORT" > /dev/null
# The admin the controller made at its first start, in the controller's default org and space.
FOUNDRY_USERNAME=admin FOUNDRY_PASSWORD=$(cat "$RUN/controller/admin-password") \
  "$BIN/foundry" auth > /dev/null
"$BIN/foundry" target -o default -s default > /dev/null

# --- the Docker image (--docker) ---------------------------------------------------------------
if [ "$DOCKER" = 1 ]; then
  for tool in docker-registry skopeo umoci; do
    command -v $tool > /dev/null || { echo "missing $tool: scripts/install-deps.sh" >&2; exit 1; }
  done
  REG_PORT=$(free_port)
  registry_start "$REG_PORT" "$RUN/registry" "$RUN/registry.log" || exit 1
  build_web_image "$RUN/layout" "$RUN/image" > "$RUN/image.log" 2>&1 ||
    { cat "$RUN/image.log" >&2; exit 1; }
  IMAGE=127.0.0.1:$REG_PORT/bench/web:v1
  push_image "$RUN/layout" "$IMAGE"
fi

# GET through the router until 200 or TIMEOUT s; prints the ms it took from START_MS.
first_200() { # HOST START_MS TIMEOUT
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  while [ "$(now_ms)" -lt $deadline ]; do
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$R_PORT/")" = 200 ] &&
      { echo $(( $(now_ms) - $2 )); return 0; }
    sleep 0.02
  done
  echo timeout; return 1
}

# Time until requests through the router have been answered by instances 0..N-1.
all_instances() { # HOST N START_MS TIMEOUT
  local deadline=$(( $(now_ms) + $4 * 1000 )) seen body i
  declare -A seen=()
  while [ "$(now_ms)" -lt $deadline ]; do
    body=$(curl -s -m 1 -H "Host: $1" "http://127.0.0.1:$R_PORT/" || true)
    [[ $body =~ instance\ ([0-9]+) ]] && seen[${BASH_REMATCH[1]}]=1
    local all=1
    for ((i = 0; i < $2; i++)); do [ -n "${seen[$i]:-}" ] || all=0; done
    [ $all = 1 ] && { echo $(( $(now_ms) - $3 )); return 0; }
    sleep 0.01
  done
  echo timeout; return 1
}

# The peer: stage and boot the same app by hand (--docker: fetch, unpack and start the image).
by_hand() { # REP -> ms from staging start to first 200 from the app itself
  local dir=$RUN/hand-$1 port start
  mkdir -p "$dir/root"
  port=$(free_port)
  start=$(now_ms)
  if [ "$DOCKER" = 1 ]; then
    skopeo copy --quiet --src-tls-verify=false "docker://$IMAGE" "oci:$dir/layout:v1"
    umoci unpack --image "$dir/layout:v1" "$dir/bundle" > /dev/null
    mkdir -p "$dir/www" && echo "hello from instance 0" > "$dir/www/index.html"
    "$dir/bundle/rootfs/bin/busybox" httpd -f -p "$port" -h "$dir/www" > "$dir/app.log" 2>&1 &
  else
    "$BIN/stager" --app "$APP" --droplet "$dir/droplet.tgz" > "$dir/stage.log" 2>&1
    tar xzf "$dir/droplet.tgz" -C "$dir/root"
    (cd "$dir/root" && PORT=$port CF_INSTANCE_INDEX=0 exec "$BIN/launcher" app '' '') \
      > "$dir/app.log" 2>&1 &
  fi
  local pid=$!
  local deadline=$(( $(now_ms) + 30000 )) took=timeout
  while [ "$(now_ms)" -lt $deadline ]; do
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ] &&
      { took=$(( $(now_ms) - start )); break; }
    sleep 0.02
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  echo "$took"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }

printf '%-4s %12s %14s %12s %14s\n' rep push_cli_ms push_routed_ms by_hand_ms scale_${SCALE_TO}_ms
: > "$RUN/results"
for ((k = 1; k <= REPS; k++)); do
  name=bench-$k host=bench-$k.apps.internal
  start=$(now_ms)
  first_200 "$host" "$start" 180 > "$RUN/routed-$k" &
  poller=$!
  if [ "$DOCKER" = 1 ]; then source_args=(--docker-image "$IMAGE"); else source_args=(-p "$APP"); fi
  "$BIN/foundry" push "$name" "${source_args[@]}" -i 1 -m 128M > "$RUN/push-$k.log" 2>&1 ||
    { cat "$RUN/push-$k.log" >&2; "$BIN/foundry" logs "$name" --recent | tail -n 8 >&2; exit 1; }
  cli_ms=$(( $(now_ms) - start ))
  wait "$poller" || true
  routed_ms=$(cat "$RUN/routed-$k")
  hand_ms=$(by_hand "$k")
  start=$(now_ms)
  "$BIN/foundry" scale "$name" -i "$SCALE_TO" > "$RUN/scale-$k.log" 2>&1 ||
    { cat "$RUN/scale-$k.log" >&2; exit 1; }
  scale_ms=$(all_instances "$host" "$SCALE_TO" "$start" 120 || true)
  printf '%-4s %12s %14s %12s %14s\n' "$k" "$cli_ms" "$routed_ms" "$hand_ms" "$scale_ms"
  echo "$cli_ms $routed_ms $hand_ms $scale_ms" >> "$RUN/results"
  "$BIN/foundry" delete "$name" -f > /dev/null 2>&1 || true
done
printf '%-4s %12s %14s %12s %14s\n' median \
  "$(cut -d' ' -f1 "$RUN/results" | median)" "$(cut -d' ' -f2 "$RUN/results" | median)" \
  "$(cut -d' ' -f3 "$RUN/results" | median)" "$(cut -d' ' -f4 "$RUN/results" | median)"
