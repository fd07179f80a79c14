# shellcheck shell=bash
# services.sh - the service-broker side of the demo and the services benchmark: a
# postgres-broker in front of a PostgreSQL started by postgres.sh. Sourced, not run; needs
# procs.sh. Secrets stay in 0600 files of the run folder and never reach the console or a log.
#
#   broker_start BIN PORT PGDIR PGPORT LOG [EXTRA...]
#                         writes a random basic-auth password to $RUN/broker-password (0600),
#                         starts postgres-broker on 127.0.0.1:PORT (user `broker`) against the
#                         PostgreSQL of postgres.sh in PGDIR (superuser `postgres`), remembers
#                         its PID, waits (30 s) until GET /v2/catalog answers 200
#   broker_password       prints it (for $FOUNDRY_BROKER_PASSWORD or a curl --config file; never echoed)
#   pg_stop               fast shutdown of the PostgreSQL remembered as `postgres` (before stop_all)
#   pg_psql PGDIR PGPORT [PSQL ARGS...]
#                         psql as the PG superuser on 127.0.0.1:PGPORT; the password goes through
#                         a 0600 PGPASSFILE, not the environment or argv

BROKER_USER=broker

broker_start() { # BIN PORT PGDIR PGPORT LOG [EXTRA...]
  local bin=$1 port=$2 pgdir=$3 pgport=$4 log=$5; shift 5
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$RUN/broker-password")
  "$bin" --listen "127.0.0.1:$port" --username "$BROKER_USER" \
    --password-file "$RUN/broker-password" --pg-host 127.0.0.1 --pg-port "$pgport" \
    --pg-admin-user postgres --pg-admin-password-file "$pgdir/pg-password" "$@" > "$log" 2>&1 &
  remember_pid postgres-broker $!
  # curl reads the credentials from a 0600 config file, so they are not in its argv either.
  (umask 077; printf 'user = "%s:%s"\n' "$BROKER_USER" "$(broker_password)" > "$RUN/broker-curl.conf")
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -K "$RUN/broker-curl.conf" \
         -H 'X-Broker-API-Version: 2.17' "http://127.0.0.1:$port/v2/catalog")" = 200 ] && return 0
    sleep 0.2
  done
  echo "broker_start: postgres-broker did not serve its catalog on $port within 30 s:" >&2
  tail -n 20 "$log" >&2
  return 1
}

broker_password() { cat "$RUN/broker-password"; }

pg_psql() { # PGDIR PGPORT [PSQL ARGS...]
  local pgdir=$1 pgport=$2; shift 2
  [ -f "$RUN/pgpass" ] ||
    (umask 077; printf '127.0.0.1:*:*:postgres:%s\n' "$(cat "$pgdir/pg-password")" > "$RUN/pgpass")
  PGPASSFILE=$RUN/pgpass psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -v ON_ERROR_STOP=1 "$@"
}

pg_stop() { # stops the PostgreSQL of pg_start with a fast shutdown (SIGINT: sessions are ended,
            # not waited for), up to 10 s; stop_all's TERM would wait for every client first
  local name pid
  [ -f "$RUN/pids" ] || return 0
  while read -r name pid; do
    [ "$name" = postgres ] || continue
    kill -INT "$pid" 2>/dev/null || continue
    echo "stopped postgres (pid $pid, fast shutdown)" >&2
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done < "$RUN/pids"
}
