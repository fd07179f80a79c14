# shellcheck shell=bash
# postgres.sh - a throwaway PostgreSQL server for the demo and benchmarks: initdb into a
# folder, postgres on 127.0.0.1:PORT with password auth (scram-sha-256) for the superuser
# `postgres`. Sourced, not run; needs procs.sh. The same steps as
# tests/test_common/postgres_server.cc.
#
#   pg_bindir                      prints the folder of initdb/postgres (pg_config --bindir, else
#                                  the newest /usr/lib/postgresql/*/bin); fails when missing
#   pg_start DIR PORT LOGFILE      initdb DIR/data (once) with a random password in
#                                  DIR/pg-password, start postgres, remember its PID, wait until
#                                  it accepts connections (30 s). As root, initdb and postgres
#                                  run as nobody:nogroup (they refuse root) via setpriv.
#   pg_password DIR                prints the superuser's password

pg_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  echo "pg_bindir: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2
  return 1
}

# Runs a command as nobody:nogroup when we are root (initdb and postgres refuse root).
_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

pg_start() { # DIR PORT LOGFILE
  local dir=$1 port=$2 log=$3 bin
  bin=$(pg_bindir) || return 1
  mkdir -p "$dir/socket"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    [ -f "$dir/pg-password" ] || (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/pg-password")
    [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
    (cd "$dir" && _pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pg-password" \
       -A scram-sha-256 -E UTF8 --locale=C --no-sync) > "$log" 2>&1 ||
      { echo "pg_start: initdb failed:" >&2; cat "$log" >&2; return 1; }
  fi
  (cd "$dir" && exec_as=(); [ "$(id -u)" = 0 ] && exec_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
   exec "${exec_as[@]}" "$bin/postgres" -D "$dir/data" -k "$dir/socket" -h 127.0.0.1 -p "$port" -c fsync=off) \
     >> "$log" 2>&1 &
  remember_pid postgres $!
  for _ in $(seq 300); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && return 0
    sleep 0.1
  done
  echo "pg_start: postgres did not accept connections on $port within 30 s:" >&2
  tail -n 20 "$log" >&2
  return 1
}

pg_password() { cat "$1/pg-password"; }
