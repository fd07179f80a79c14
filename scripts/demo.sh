#!/usr/bin/env bash
# demo.sh - the platform end to end on this machine: installs the packages, builds everything,
# starts nats-server, the router, the controller, the scheduler and two cells, logs in as the
# admin, creates a tenant (org `demo` with a quota, space `dev`, user `developer` with the
# SpaceDeveloper role), then as that developer pushes the sample apps in examples/ with the
# `foundry` CLI (a Node.js app and a static site, 2 instances each), prints their URLs and shows
# requests reaching both instances through the router. Then the service marketplace: a
# throwaway PostgreSQL (run as nobody) and postgres-broker, registered and enabled by the admin;
# the developer pushes examples/pg-notes, creates a `postgresql small` instance, binds it,
# restages, and a note POSTed through the router comes back from PostgreSQL (checked with psql).
# Also: a Docker image (built here with umoci, served by a docker-registry on loopback) pushed
# with `foundry push --docker-image`, and a one-off task (`foundry run-task`) on the Node.js app.
#
#   scripts/demo.sh          # demonstrate, then keep everything running until Ctrl-C
#   scripts/demo.sh --once   # demonstrate and stop; exits non-zero if anything did not work
#
# Default addresses (a taken port is replaced by a free one, and the demo says so):
#   router 127.0.0.1:8081 (status 8080, /routes 8082), controller API http://127.0.0.1:9022,
#   scheduler 9023, cells 9100 and 9101, nats 4222, PostgreSQL 5432, postgres-broker 9500,
#   docker-registry 5000; apps
#   on *.apps.localhost (curl resolves *.localhost to 127.0.0.1: curl http://node.apps.localhost:8081/).
# The CLI stays logged in as the developer (config in ~/.foundry, or $FOUNDRY_HOME), so while
# the demo runs you can use it: build/bin/foundry apps | app node | scale node -i 3 | logs node.
# The passwords are in the run folder (admin: controller/admin-password; developer-password;
# broker-password; pg/pg-password), 0600; the demo never prints them or a binding's credentials.
# The controller, the scheduler and the cells share --secrets (the temp folder's secrets/):
# their internal APIs answer 401 to anything not signed with that key (GET /ping aside).
# Everything it starts is stopped by PID on exit; runtime files live in a temp folder.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR/..
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/lib/procs.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"
source "$ROOT/scripts/lib/platform.sh"
source "$ROOT/scripts/lib/postgres.sh"
source "$ROOT/scripts/lib/services.sh"
source "$ROOT/scripts/lib/images.sh"

ONCE=0
case ${1:-} in
  --once) ONCE=1;;
  "") ;;
  -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
  *) echo "usage: scripts/demo.sh [--once]" >&2; exit 2;;
esac

DOMAIN=apps.localhost
# shellcheck disable=SC2034  # R_* are read by router_write_config
R_USER=user R_PASS=pass R_DELAY=0s R_LEVEL=info R_WORKERS=2
if [ -t 1 ]; then BOLD=$'\033[1m' NORM=$'\033[0m'; else BOLD="" NORM=""; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$NORM"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "Checking packages"
"$ROOT/scripts/install-deps.sh"

BUILD=${BUILD_DIR:-$ROOT/build}
PLATFORM_TARGETS+=(postgres-broker)
step "Building (${BUILD#"$ROOT"/}): ${PLATFORM_TARGETS[*]}"
platform_build "$BUILD" || fail "the build failed"
BIN=$BUILD/bin
CLI=$BIN/foundry

RUN=$(mktemp -d "${TMPDIR:-/tmp}/foundry-demo.XXXXXX")
chmod 0711 "$RUN"  # the cells' containers run as unprivileged host users who walk through it
: > "$RUN/pids"
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  local rc=$?
  step "Stopping"
  pg_stop
  cells_stop
  stop_all
  unmount_below "$RUN"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then
    for log in "$RUN"/*.log; do
      [ -f "$log" ] || continue
      echo "--- $(basename "$log") (last 15 lines)" >&2; tail -n 15 "$log" >&2
    done
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting nats-server and the router"
NATS_PORT=$(pick_port 4222 nats)
nats_start "$NATS_PORT" "$RUN/nats.log" || fail "nats-server did not start"
NATS_URL=nats://127.0.0.1:$NATS_PORT
R_PORT=$(pick_port 8081 "router http")
R_STATUS_PORT=$(pick_port 8080 "router status")
R_ROUTES_PORT=$(pick_port 8082 "router /routes")
# shellcheck disable=SC2034
R_NATS_PORT=$NATS_PORT
router_write_config "$RUN/gorouter.yml"
router_start "$BIN/router" "$RUN/gorouter.yml" "$RUN/router.log"
router_wait_healthy "$R_STATUS_PORT" 30 || fail "router not healthy"
echo "nats-server 127.0.0.1:$NATS_PORT, router 127.0.0.1:$R_PORT (status $R_STATUS_PORT)"

# Instances run in runc containers, which needs root; anyone else gets bare processes, and
# the cells log that they are not isolated.
CELL_ISOLATION=()
if [ "$(id -u)" != 0 ]; then
  CELL_ISOLATION=(--isolation none)
  echo "demo: not root, so the cells run instances as bare processes (--isolation none)" >&2
fi
step "Starting the scheduler, the controller and two cells"
SCHED_PORT=$(pick_port 9023 scheduler)
SCHED_URL=http://127.0.0.1:$SCHED_PORT
scheduler_start "$BIN/scheduler" "$SCHED_PORT" "$NATS_URL" "$RUN/scheduler.log" ||
  fail "the scheduler did not start"
CTL_PORT=$(pick_port 9022 controller)
API=http://127.0.0.1:$CTL_PORT
controller_start "$BIN/controller" "$CTL_PORT" "$RUN/controller" "$NATS_URL" "$SCHED_URL" \
  "$DOMAIN" "$BIN/stager" "$RUN/controller.log" || fail "the controller did not start"
for i in 0 1; do
  port=$(pick_port $((9100 + i)) "cell $i")
  cell_start "$BIN/cell" "$port" "cell-$i" "z$((i + 1))" "$SCHED_URL" "$NATS_URL" \
    "$RUN/cell-$i" "$((61000 + i * 1000))-$((61999 + i * 1000))" "$BIN/launcher" \
    "$RUN/cell-$i.log" ${CELL_ISOLATION[@]+"${CELL_ISOLATION[@]}"} || fail "cell $i did not start"
  echo "cell-$i on 127.0.0.1:$port (zone z$((i + 1)))"
done
echo "scheduler $SCHED_URL, controller API $API"

# The controller made the first admin's password at its first start (0600, in its data dir).
ADMIN_PASSWORD=$(cat "$RUN/controller/admin-password") || fail "no admin password"
DEV_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$DEV_PASSWORD" > "$RUN/developer-password" && chmod 600 "$RUN/developer-password"

step "Logging in as admin: foundry api $API; foundry auth admin ..."
"$CLI" api "$API" || fail "foundry api failed"
FOUNDRY_USERNAME=admin FOUNDRY_PASSWORD=$ADMIN_PASSWORD "$CLI" auth || fail "admin login failed"

step "A tenant: org 'demo' with a 1G quota, space 'dev', user 'developer' as its SpaceDeveloper"
"$CLI" create-org-quota demo-quota -m 1G -i 256M -a 10 -r 10 || fail "create-org-quota failed"
"$CLI" create-org demo -q demo-quota || fail "create-org failed"
"$CLI" create-space dev -o demo || fail "create-space failed"
"$CLI" create-user developer "$DEV_PASSWORD" || fail "create-user failed"
"$CLI" set-space-role developer demo dev SpaceDeveloper || fail "set-space-role failed"

step "Logging in as the developer: foundry auth developer ...; foundry target -o demo -s dev"
FOUNDRY_USERNAME=developer FOUNDRY_PASSWORD=$DEV_PASSWORD "$CLI" auth || fail "developer login failed"
"$CLI" target -o demo -s dev || fail "target failed"

step "Pushing examples/node-hello: foundry push node -p examples/node-hello -i 2 -m 128M"
"$CLI" push node -p "$ROOT/examples/node-hello" -i 2 -m 128M || fail "pushing node failed"
step "Pushing examples/static-site: foundry push static -p examples/static-site -i 2 -m 64M"
"$CLI" push static -p "$ROOT/examples/static-site" -i 2 -m 64M || fail "pushing static failed"

step "foundry apps"
"$CLI" apps || true

NODE_URL=http://node.$DOMAIN:$R_PORT/
STATIC_URL=http://static.$DOMAIN:$R_PORT/
step "Six requests through the router: curl $NODE_URL"
seen=""; bad=0
for n in 1 2 3 4 5 6; do
  out=$(curl -s -m 5 -w '\n%{http_code}' --resolve "node.$DOMAIN:$R_PORT:127.0.0.1" "$NODE_URL" || true)
  code=${out##*$'\n'}; body=${out%$'\n'*}; body=${body%$'\n'}
  printf '  request %d -> %s  %s\n' "$n" "$code" "$body"
  [ "$code" = 200 ] || bad=1
  case $body in *"instance 0"*) seen+=0;; *"instance 1"*) seen+=1;; esac
done
step "The static site: curl $STATIC_URL"
static_seen=0
for n in 1 2 3 4; do
  code=$(curl -s -m 5 -o "$RUN/static.html" -w '%{http_code}' \
    --resolve "static.$DOMAIN:$R_PORT:127.0.0.1" "$STATIC_URL" || true)
  title=$(grep -o '<title>[^<]*</title>' "$RUN/static.html" 2>/dev/null | head -n 1 || true)
  printf '  request %d -> %s  %s\n' "$n" "$code" "${title:-(no title)}"
  [ "$code" = 200 ] && static_seen=$((static_seen + 1))
done

[ $bad = 0 ] || fail "not every request to node was answered with 200"
[[ $seen == *0* && $seen == *1* ]] || fail "requests did not reach both node instances (saw: ${seen:-none})"
[ $static_seen = 4 ] || fail "the static site did not answer every request"

# --- a Docker image and a one-off task ---------------------------------------------------------
IMAGE_URL=http://image.$DOMAIN:$R_PORT/
if [ ${#CELL_ISOLATION[@]} = 0 ]; then
  step "A Docker image: docker-registry on loopback, an image built with umoci from busybox"
  REG_PORT=$(pick_port 5000 docker-registry)
  registry_start "$REG_PORT" "$RUN/registry" "$RUN/registry.log" || fail "the registry did not start"
  build_web_image "$RUN/image-layout" "$RUN/image-work" > "$RUN/image.log" 2>&1 ||
    fail "building the image failed (see $RUN/image.log)"
  IMAGE=127.0.0.1:$REG_PORT/demo/web:v1
  push_image "$RUN/image-layout" "$IMAGE" || fail "copying the image to the registry failed"
  echo "registry 127.0.0.1:$REG_PORT holds $IMAGE"
  step "foundry push image --docker-image $IMAGE -i 2 -m 64M"
  "$CLI" push image --docker-image "$IMAGE" -i 2 -m 64M || fail "pushing the image failed"
  image_ok=0
  for n in 1 2 3 4; do
    out=$(curl -s -m 5 --resolve "image.$DOMAIN:$R_PORT:127.0.0.1" "$IMAGE_URL" || true)
    printf '  request %d -> %s\n' "$n" "$out"
    case $out in "hello from instance"*) image_ok=$((image_ok + 1));; esac
  done
  [ $image_ok = 4 ] || fail "the image app did not answer every request"
else
  echo "demo: skipping the Docker image (images run only in the cells' containers, which need root)" >&2
fi

step "A one-off task: foundry run-task node --command 'node -e ...' --name hello-task -m 64M"
"$CLI" run-task node --command 'node -e "console.log(\"hello from a task, node \" + process.version)"' \
  --name hello-task -m 64M || fail "run-task failed"
task_state=""
for _ in $(seq 120); do
  task_state=$("$CLI" tasks node | awk '$2 == "hello-task" {print $3}')
  [ "$task_state" = SUCCEEDED ] || [[ $task_state == FAILED* ]] && break
  sleep 0.5
done
"$CLI" tasks node || true
[ "$task_state" = SUCCEEDED ] || fail "the task did not succeed (state: ${task_state:-none})"
"$CLI" logs node --recent | grep 'APP/TASK/hello-task' || true

# --- the service marketplace -------------------------------------------------------------------
# GET/POST through the router; prints "  -> CODE BODY" and leaves the body in $RUN/last.json.
via_router() { # HOST CURL-ARGS... (the path is the last argument)
  local host=$1 code; shift
  code=$(curl -s -m 10 -o "$RUN/last.json" -w '%{http_code}' \
    --resolve "$host:$R_PORT:127.0.0.1" "${@:1:$#-1}" "http://$host:$R_PORT${!#}" || true)
  printf '  -> %s %s\n' "$code" "$(tr -s ' \n' ' ' < "$RUN/last.json")"
  LAST_CODE=$code
}
json_get() { # FILE JS-EXPRESSION [ARG]: the expression over `j` (the file) and `arg`; node is
              # there anyway (the nodejs buildpack runs it)
  node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
           const arg = process.argv[3]; const v = eval(process.argv[2]);
           process.stdout.write(v == null ? "" : String(v));' "$1" "$2" "${3:-}"
}

step "Services: PostgreSQL (as nobody, 127.0.0.1 only) and postgres-broker"
chmod 711 "$RUN"   # postgres runs as nobody and must reach $RUN/pg (0700, its own); files stay 0600
PG_PORT=$(pick_port 5432 postgresql)
pg_start "$RUN/pg" "$PG_PORT" "$RUN/postgres.log" || fail "PostgreSQL did not start"
BROKER_PORT=$(pick_port 9500 postgres-broker)
BROKER_URL=http://127.0.0.1:$BROKER_PORT
broker_start "$BIN/postgres-broker" "$BROKER_PORT" "$RUN/pg" "$PG_PORT" "$RUN/postgres-broker.log" ||
  fail "postgres-broker did not start"
echo "PostgreSQL 127.0.0.1:$PG_PORT (superuser postgres), postgres-broker $BROKER_URL (user $BROKER_USER)"

# The password goes through the environment (cf's CF_BROKER_PASSWORD), not argv, which anyone
# on the machine can read in ps.
step "As admin: foundry create-service-broker postgresql $BROKER_USER $BROKER_URL (password in \$FOUNDRY_BROKER_PASSWORD)"
FOUNDRY_USERNAME=admin FOUNDRY_PASSWORD=$ADMIN_PASSWORD "$CLI" auth > /dev/null || fail "admin login failed"
FOUNDRY_BROKER_PASSWORD=$(broker_password) "$CLI" create-service-broker postgresql "$BROKER_USER" \
  "$BROKER_URL" || fail "create-service-broker failed"
step "foundry enable-service-access postgresql"
"$CLI" enable-service-access postgresql || fail "enable-service-access failed"

step "As the developer: foundry marketplace"
FOUNDRY_USERNAME=developer FOUNDRY_PASSWORD=$DEV_PASSWORD "$CLI" auth > /dev/null ||
  fail "developer login failed"
"$CLI" target -o demo -s dev > /dev/null || fail "target failed"
"$CLI" marketplace || fail "marketplace failed"

PG_HOST=pg-notes.$DOMAIN
step "Pushing examples/pg-notes: foundry push pg-notes -p examples/pg-notes -m 128M"
"$CLI" push pg-notes -p "$ROOT/examples/pg-notes" -m 128M || fail "pushing pg-notes failed"
step "Not bound yet: curl http://$PG_HOST:$R_PORT/notes"
via_router "$PG_HOST" /notes
[ "$LAST_CODE" = 503 ] || fail "pg-notes without a database answered $LAST_CODE, not 503"

step "foundry create-service postgresql small notes-db --wait"
"$CLI" create-service postgresql small notes-db --wait || fail "create-service failed"
step "foundry bind-service pg-notes notes-db"
"$CLI" bind-service pg-notes notes-db || fail "bind-service failed"
step "foundry restage pg-notes"
"$CLI" restage pg-notes || fail "restage failed"

step "Through the router: curl http://$PG_HOST:$R_PORT/"
via_router "$PG_HOST" /
[ "$LAST_CODE" = 200 ] || fail "pg-notes / answered $LAST_CODE"
PG_DB=$(json_get "$RUN/last.json" 'j.bound_to.database')
[ "$(json_get "$RUN/last.json" 'j.bound_to.label')" = postgresql ] ||
  fail "pg-notes is not bound to a postgresql service"
NOTE="hello from the demo $(date -u +%H:%M:%S)"
step "curl -X POST http://$PG_HOST:$R_PORT/notes -d '$NOTE'"
via_router "$PG_HOST" -X POST --data-raw "$NOTE" /notes
[ "$LAST_CODE" = 201 ] || fail "POST /notes answered $LAST_CODE"
step "curl http://$PG_HOST:$R_PORT/notes"
via_router "$PG_HOST" /notes
[ "$LAST_CODE" = 200 ] || fail "GET /notes answered $LAST_CODE"
[ "$(json_get "$RUN/last.json" 'j.filter(n => n.body === arg).length' "$NOTE")" -ge 1 ] ||
  fail "the note did not come back from GET /notes"

step "psql as the PostgreSQL superuser: the row is in database $PG_DB"
INSTANCE_GUID=$("$CLI" service notes-db --guid 2>/dev/null || true)
if [ -n "$INSTANCE_GUID" ]; then
  [ "$PG_DB" = "si_${INSTANCE_GUID//-/}" ] ||
    fail "the app's database $PG_DB is not notes-db's (si_${INSTANCE_GUID//-/})"
  echo "  notes-db is instance $INSTANCE_GUID -> database si_${INSTANCE_GUID//-/} (the broker's naming)"
fi
pg_psql "$RUN/pg" "$PG_PORT" -d "$PG_DB" -c "SELECT id, body, created_at FROM notes ORDER BY id" ||
  fail "psql could not read the notes table in $PG_DB"
[ "$(pg_psql "$RUN/pg" "$PG_PORT" -d "$PG_DB" -tA -v note="$NOTE" \
      <<< "SELECT count(*) FROM notes WHERE body = :'note'")" -ge 1 ] ||
  fail "the note is not in PostgreSQL database $PG_DB"
cat <<TXT

OK: both apps were staged, placed on the two cells and routed; requests reached both instances.
pg-notes got a PostgreSQL database from the marketplace; its note is in that database.

  node     $NODE_URL
  static   $STATIC_URL
  image    $IMAGE_URL  (a Docker image from the loopback registry; needs root)
  pg-notes http://$PG_HOST:$R_PORT/  (GET /notes; curl -X POST .../notes -d 'text')
  postgres 127.0.0.1:$PG_PORT, database $PG_DB; broker $BROKER_URL (user $BROKER_USER)
  API      $API       (build/bin/foundry apps | app node | scale node -i 3 | logs node --recent)
  users    admin: $RUN/controller/admin-password; developer (SpaceDeveloper in demo/dev):
           $RUN/developer-password; the CLI is logged in as the developer
           PostgreSQL superuser postgres: $RUN/pg/pg-password; broker: $RUN/broker-password
  routes   curl -u $R_USER:$R_PASS http://127.0.0.1:$R_ROUTES_PORT/routes
  internal scheduler $SCHED_URL and the cells take only calls signed with the key in
           $(platform_secrets) (curl gets 401; GET /ping answers for readiness)
TXT

if [ $ONCE = 1 ]; then exit 0; fi
step "Running. Ctrl-C stops everything (router, controller, scheduler, cells and the apps)."
while router_alive; do sleep 1; done
router_died; exit 1
