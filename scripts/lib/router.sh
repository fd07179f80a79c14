# shellcheck shell=bash
# router.sh - write a gorouter-style config, start build/bin/router, wait until it is healthy
# and until a route is in its table. Sourced, not run; needs procs.sh.
#
#   router_write_config FILE      writes the YAML from these variables (defaults in brackets):
#       R_PORT R_STATUS_PORT R_ROUTES_PORT R_NATS_PORT   (required)
#       R_USER [user] R_PASS [pass] R_DELAY [0s] R_LEVEL [info] R_WORKERS [1]
#       R_EXTRA_YAML                 raw YAML appended at the end (extra top-level keys)
#   router_start BINARY CONFIG LOG   starts the router in the background, remembers its PID in
#                                    ROUTER_PID
#   router_wait_healthy STATUS_PORT [SECONDS=30]   until GET /health answers 200
#   router_wait_route ROUTES_PORT HOST [SECONDS=30] until GET /routes lists HOST
#   router_alive                     true while the router process runs

router_write_config() { # FILE
  cat > "$1" <<YAML
# Written by scripts/lib/router.sh; keys follow gorouter's gorouter.yml.
port: ${R_PORT:?}
status:
  port: ${R_STATUS_PORT:?}
  user: ${R_USER:-user}
  pass: ${R_PASS:-pass}
  routes:
    port: ${R_ROUTES_PORT:?}
nats:
  hosts:
  - hostname: 127.0.0.1
    port: ${R_NATS_PORT:?}
start_response_delay_interval: ${R_DELAY:-0s}
logging:
  level: ${R_LEVEL:-info}
workers: ${R_WORKERS:-1}
YAML
  if [ -n "${R_EXTRA_YAML:-}" ]; then echo "$R_EXTRA_YAML" >> "$1"; fi
}

router_start() { # BINARY CONFIG LOG
  [ -x "$1" ] || { echo "router binary $1 not found: build it first (cmake --build build)" >&2; return 1; }
  "$1" -c "$2" > "$3" 2>&1 &
  ROUTER_PID=$!
  ROUTER_LOG=$3
  remember_pid router "$ROUTER_PID"
}

router_alive() { [ -n "${ROUTER_PID:-}" ] && kill -0 "$ROUTER_PID" 2>/dev/null; }

router_died() {
  echo "the router (pid ${ROUTER_PID:-?}) exited; last lines of ${ROUTER_LOG:-its log}:" >&2
  [ -n "${ROUTER_LOG:-}" ] && tail -n 20 "$ROUTER_LOG" >&2
  return 1
}

router_wait_healthy() { # STATUS_PORT [SECONDS]
  local deadline=$((SECONDS + ${2:-30})) code
  while [ $SECONDS -lt "$deadline" ]; do
    router_alive || { router_died; return 1; }
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/health" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  echo "router not healthy on status port $1 after ${2:-30} s (last answer: ${code:-none})" >&2
  return 1
}

router_wait_route() { # ROUTES_PORT HOST [SECONDS]
  local deadline=$((SECONDS + ${3:-30}))
  while [ $SECONDS -lt "$deadline" ]; do
    router_alive || { router_died; return 1; }
    curl -s -m 2 -u "${R_USER:-user}:${R_PASS:-pass}" "http://127.0.0.1:$1/routes" 2>/dev/null |
      grep -q "\"$2\"" && return 0
    sleep 0.2
  done
  echo "route $2 did not show up in /routes (port $1) within ${3:-30} s" >&2
  return 1
}
