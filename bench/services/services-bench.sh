#!/usr/bin/env bash
# services-bench.sh - how long the platform takes to give a running app a PostgreSQL database
# (provision + bind + restage until the app serves from it), against doing the same by hand with
# psql on this machine.
#
#   bench/services/services-bench.sh [--reps N] [--restart]
#
# Starts its own nats-server, router, scheduler, controller, two cells, a PostgreSQL (as nobody)
# and postgres-broker on free loopback ports; as the admin registers the broker
# (create-service-broker, enable-service-access) and creates an org and a space. Then REPS times:
#   platform  (untimed: `foundry push notes-K -p examples/pg-notes`, running unbound, /notes 503)
#             timed from `foundry create-service postgresql small db-K --wait`, then
#             `bind-service notes-K db-K`, `restage notes-K`, until GET /notes through the router
#             answers 200 (a poller every 20 ms from the restage on);
#   by hand   the peer on the same PostgreSQL: (untimed: the same app staged with `stager` and
#             running under `launcher` without a database) timed from one psql session as the
#             superuser doing what the broker does (CREATE DATABASE ... CONNECTION LIMIT 10,
#             REVOKE CONNECT FROM PUBLIC, CREATE ROLE ... LOGIN PASSWORD, GRANT ALL on the
#             database and its schema public), then stopping the app and starting it again with
#             DATABASE_URL set, until GET /notes on its port answers 200.
# --restart uses `foundry restart` instead of `restage`: our instances get VCAP_SERVICES at every
# start, so a restart is enough for this app (cf's docs ask for a restage; no re-staging here).
# Prints one line per rep, the medians and the ratio platform / by hand. Every wait is bounded
# (CLI steps 180 s, pollers 60-240 s). Builds nothing: build the binaries and postgres-broker first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/lib/procs.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"
source "$ROOT/scripts/lib/platform.sh"
source "$ROOT/scripts/lib/postgres.sh"
source "$ROOT/scripts/lib/services.sh"

REPS=5 APP=$ROOT/examples/pg-notes RESTAGE=restage
while [ $# -gt 0 ]; do
  case $1 in
    --reps) REPS=$2; shift 2;;
    --restart) RESTAGE=restart; shift;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
BIN=${BUILD_DIR:-$ROOT/build}/bin
for b in router controller scheduler cell stager launcher foundry postgres-broker; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: build first (cmake --build build)" >&2; exit 1; }
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/services-bench.XXXXXX")
: > "$RUN/pids"
chmod 711 "$RUN"   # postgres runs as nobody and must reach $RUN/pg; the files stay 0600
cleanup() { pg_stop; stop_all; rm -rf "$RUN"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
export FOUNDRY_HOME=$RUN/cli-home
now_ms() { date +%s%3N; }
F() { timeout 180 "$BIN/foundry" "$@"; }
# A CLI step whose output goes to a log; on failure the log is shown and the bench stops.
quiet() { # LOG COMMAND...
  local log=$1; shift
  "$@" > "$log" 2>&1 || { echo "failed: $*" >&2; tail -n 30 "$log" >&2; exit 1; }
}

# --- the platform and the broker ---------------------------------------------------------------
NATS_PORT=$(free_port); nats_start "$NATS_PORT" "$RUN/nats.log"
NATS_URL=nats://127.0.0.1:$NATS_PORT
# shellcheck disable=SC2034  # R_* are read by router_write_config
R_PORT=$(free_port) R_STATUS_PORT=$(free_port) R_ROUTES_PORT=$(free_port) R_NATS_PORT=$NATS_PORT \
  R_WORKERS=1 R_DELAY=0s
router_write_config "$RUN/gorouter.yml"
router_start "$BIN/router" "$RUN/gorouter.yml" "$RUN/router.log"
router_wait_healthy "$R_STATUS_PORT" 30
SCHED_PORT=$(free_port); SCHED_URL=http://127.0.0.1:$SCHED_PORT
scheduler_start "$BIN/scheduler" "$SCHED_PORT" "$NATS_URL" "$RUN/scheduler.log"
CTL_PORT=$(free_port)
controller_start "$BIN/controller" "$CTL_PORT" "$RUN/controller" "$NATS_URL" "$SCHED_URL" \
  apps.internal "$BIN/stager" "$RUN/controller.log"
for i in 0 1; do
  cell_start "$BIN/cell" "$(free_port)" "cell-$i" "z$((i + 1))" "$SCHED_URL" "$NATS_URL" \
    "$RUN/cell-$i" "$((43000 + i * 1000))-$((43999 + i * 1000))" "$BIN/launcher" \
    "$RUN/cell-$i.log" --unhealthy-interval-ms 100
done
PG_PORT=$(free_port)
pg_start "$RUN/pg" "$PG_PORT" "$RUN/postgres.log"
BROKER_PORT=$(free_port)
broker_start "$BIN/postgres-broker" "$BROKER_PORT" "$RUN/pg" "$PG_PORT" "$RUN/broker.log"

quiet "$RUN/setup.log" F api "http://127.0.0.1:$CTL_PORT"
FOUNDRY_USERNAME=admin FOUNDRY_PASSWORD=$(cat "$RUN/controller/admin-password") \
  quiet "$RUN/setup.log" F auth
FOUNDRY_BROKER_PASSWORD=$(broker_password) \
  quiet "$RUN/setup.log" F create-service-broker postgresql "$BROKER_USER" "http://127.0.0.1:$BROKER_PORT"
quiet "$RUN/setup.log" F enable-service-access postgresql
quiet "$RUN/setup.log" F create-org bench
quiet "$RUN/setup.log" F create-space bench -o bench
quiet "$RUN/setup.log" F target -o bench -s bench

# GET URL (with an optional Host header) until 200 or TIMEOUT s; prints ms since START_MS.
first_200() { # URL HOST START_MS TIMEOUT
  local deadline=$(( $(now_ms) + $4 * 1000 ))
  while [ "$(now_ms)" -lt $deadline ]; do
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' ${2:+-H "Host: $2"} "$1")" = 200 ] &&
      { echo $(( $(now_ms) - $3 )); return 0; }
    sleep 0.02
  done
  echo timeout; return 1
}

# The peer's app: staged once, then started without a database (like the platform's before bind).
HAND=$RUN/hand
mkdir -p "$HAND/root"
quiet "$HAND/stage.log" timeout 180 "$BIN/stager" --app "$APP" --droplet "$HAND/droplet.tgz"
tar xzf "$HAND/droplet.tgz" -C "$HAND/root"
HAND_PID=""
hand_app_start() { # PORT [DATABASE_URL]
  (cd "$HAND/root" && PORT=$1 CF_INSTANCE_INDEX=0 DATABASE_URL=${2:-} exec "$BIN/launcher" app '' '') \
    >> "$HAND/app.log" 2>&1 &
  HAND_PID=$!
  remember_pid hand-app "$HAND_PID"
}
hand_app_stop() {
  [ -n "$HAND_PID" ] || return 0
  kill "$HAND_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$HAND_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$HAND_PID" 2>/dev/null || true
  wait "$HAND_PID" 2>/dev/null || true
}

by_hand() { # K -> ms from the first psql statement to GET /notes 200 (and the SQL's share)
  local k=$1 port db=hand_$1 pass start sql_ms took
  port=$(free_port)
  hand_app_start "$port"
  first_200 "http://127.0.0.1:$port/health" "" "$(now_ms)" 60 > /dev/null
  pass=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  start=$(now_ms)
  # What the broker does for provision + bind, in one superuser session (the password on
  # stdin, not argv).
  pg_psql "$RUN/pg" "$PG_PORT" -d postgres > "$HAND/sql-$k.log" 2>&1 <<SQL
CREATE DATABASE $db CONNECTION LIMIT 10;
REVOKE CONNECT ON DATABASE $db FROM PUBLIC;
CREATE ROLE $db LOGIN PASSWORD '$pass';
GRANT ALL PRIVILEGES ON DATABASE $db TO $db;
\\c $db
GRANT ALL ON SCHEMA public TO $db;
SQL
  sql_ms=$(( $(now_ms) - start ))
  hand_app_stop
  hand_app_start "$port" "postgres://$db:$pass@127.0.0.1:$PG_PORT/$db"
  took=$(first_200 "http://127.0.0.1:$port/notes" "" "$start" 60 || true)
  hand_app_stop
  echo "$sql_ms $took"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }

printf '%-6s %10s %8s %11s %12s | %8s %12s\n' rep create_ms bind_ms "${RESTAGE}_ms" platform_ms \
  sql_ms by_hand_ms
: > "$RUN/results"
for ((k = 1; k <= REPS; k++)); do
  app=notes-$k host=notes-$k.apps.internal
  quiet "$RUN/push-$k.log" F push "$app" -p "$APP" -m 128M
  start=$(now_ms)
  quiet "$RUN/create-$k.log" F create-service postgresql small "db-$k" --wait
  t_create=$(now_ms)
  quiet "$RUN/bind-$k.log" F bind-service "$app" "db-$k"
  t_bind=$(now_ms)
  first_200 "http://127.0.0.1:$R_PORT/notes" "$host" "$start" 240 > "$RUN/routed-$k" &
  poller=$!
  quiet "$RUN/restage-$k.log" F "$RESTAGE" "$app"
  t_restage=$(now_ms)
  wait "$poller" || true
  platform_ms=$(cat "$RUN/routed-$k")
  read -r sql_ms hand_ms < <(by_hand "$k")
  printf '%-6s %10s %8s %11s %12s | %8s %12s\n' "$k" $((t_create - start)) $((t_bind - t_create)) \
    $((t_restage - t_bind)) "$platform_ms" "$sql_ms" "$hand_ms"
  echo "$((t_create - start)) $((t_bind - t_create)) $((t_restage - t_bind)) $platform_ms $sql_ms $hand_ms" \
    >> "$RUN/results"
  F delete "$app" -f > /dev/null 2>&1 || true
done
col() { cut -d' ' -f"$1" "$RUN/results" | grep -v timeout | median; }
printf '%-6s %10s %8s %11s %12s | %8s %12s\n' median "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" \
  "$(col 5)" "$(col 6)"
p=$(col 4) h=$(col 6)
if [[ $p =~ ^[0-9]+$ && $h =~ ^[0-9]+$ && $h -gt 0 ]]; then
  awk -v p="$p" -v h="$h" 'BEGIN { printf "platform / by hand = %.2f (medians: %d ms vs %d ms)\n", p / h, p, h }'
fi
