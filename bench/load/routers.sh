# shellcheck shell=bash
# shellcheck disable=SC2034  # the ROUTER_* tables and ROUTER_LOG are read by the callers and router.sh
# routers.sh - start our router once per event backend for the load scripts (router-vs-peers.sh,
# syscalls.sh), each on its own port, all fed by one NATS server and one registration publisher.
# Sourced, not run; needs lib.sh (PORT_BASE, BACKEND_PORTS, RUN, remember_pid), and
# scripts/lib/nats.sh and scripts/lib/router.sh.
#
#   router_target_name BACKEND   io_uring -> router-uring, epoll -> router-epoll, auto ->
#                                router-auto, '' -> router (no event_backend key written)
#   read_router_backends         sets BACKENDS from ROUTER_BACKENDS (comma list, default
#                                io_uring,epoll; '' = one router without the key) and
#                                ROUTER_TARGETS (their target names, comma list)
#   router_port INDEX            the I-th router's data port: PORT_BASE+80, then +83, +84, ...
#                                (+81/+82 are nginx-w1/w2, +91/+92 haproxy-t1/t2 in bench.sh)
#   start_routers BINARY HOST BACKEND...
#                                starts nats-server, one router per BACKEND (config key
#                                `event_backend: BACKEND`, workers ${WORKERS:-1}), registers
#                                HOST -> both harness backends (re-published every 20 s), waits
#                                until every router lists the route. Sets ROUTER_NAMES (target
#                                names, in order), ROUTER_ADDR[name]=127.0.0.1:PORT,
#                                ROUTER_PIDOF[name], ROUTER_LOGOF[name], ROUTER_CONFOF[name],
#                                ROUTER_BACKENDOF[name], ROUTER_ROUTESPORT[name]
#   routers_alive                true when every router started is still running (else says
#                                which one died, with the end of its log)
#   router_backend_note NAME     one line for meta.txt: the backend asked for, and whether the
#                                router ignored the key (a build from before event_backend)

router_target_name() {
  case $1 in
    io_uring) echo router-uring;;
    '') echo router;;
    *) echo "router-$1";;
  esac
}

read_router_backends() {
  IFS=, read -r -a BACKENDS <<< "${ROUTER_BACKENDS-io_uring,epoll}"
  [ ${#BACKENDS[@]} -gt 0 ] || BACKENDS=("")
  local b
  ROUTER_TARGETS=$(for b in "${BACKENDS[@]}"; do router_target_name "$b"; done | paste -sd,)
}

router_port() { # INDEX
  if [ "$1" -eq 0 ]; then echo $((PORT_BASE + 80)); else echo $((PORT_BASE + 82 + $1)); fi
}

declare -gA ROUTER_ADDR=() ROUTER_PIDOF=() ROUTER_LOGOF=() ROUTER_CONFOF=() ROUTER_BACKENDOF=() \
  ROUTER_ROUTESPORT=()
declare -ga ROUTER_NAMES=()

start_routers() { # BINARY HOST BACKEND...
  local bin=$1 host=$2 i=0 b name port
  shift 2
  local nats_port
  nats_port=$(free_port)
  nats_start "$nats_port" "$RUN/nats.log"
  for b in "$@"; do
    name=$(router_target_name "$b")
    port=$(router_port "$i")
    port_free "$port"
    # shellcheck disable=SC2034  # read by router_write_config
    R_PORT=$port R_STATUS_PORT=$(free_port) R_ROUTES_PORT=$(free_port) R_NATS_PORT=$nats_port
    # shellcheck disable=SC2034
    R_DELAY=0s R_LEVEL=warn R_WORKERS=${WORKERS:-1} R_EXTRA_YAML=${b:+"event_backend: $b"}
    # ROUTER_EXTRA_YAML (optional): more keys for every router; @TLS_PORT@ in it becomes this
    # router's data port + 1000 (tls-vs-peers.sh).
    if [ -n "${ROUTER_EXTRA_YAML:-}" ]; then
      R_EXTRA_YAML+=$'\n'${ROUTER_EXTRA_YAML//@TLS_PORT@/$((port + 1000))}
    fi
    router_write_config "$RUN/$name.yml"
    router_start "$bin" "$RUN/$name.yml" "$RUN/$name.log"
    router_wait_healthy "$R_STATUS_PORT" 30
    ROUTER_NAMES+=("$name"); ROUTER_ADDR[$name]=127.0.0.1:$port; ROUTER_PIDOF[$name]=$ROUTER_PID
    ROUTER_LOGOF[$name]=$RUN/$name.log; ROUTER_CONFOF[$name]=$RUN/$name.yml; ROUTER_BACKENDOF[$name]=$b
    ROUTER_ROUTESPORT[$name]=$R_ROUTES_PORT
    echo "$name pid $ROUTER_PID on 127.0.0.1:$port (workers $R_WORKERS${b:+, event_backend $b})" >&2
    i=$((i + 1))
  done
  # Registration does not need the backends to be up (bench.sh starts them later).
  nats_publish_every 20 127.0.0.1 "$nats_port" router.register \
    "$(nats_register_json 127.0.0.1 "${BACKEND_PORTS[0]}" "$host")" \
    "$(nats_register_json 127.0.0.1 "${BACKEND_PORTS[1]}" "$host")" &
  remember_pid nats-publisher $!
  for name in "${ROUTER_NAMES[@]}"; do
    ROUTER_PID=${ROUTER_PIDOF[$name]}; ROUTER_LOG=${ROUTER_LOGOF[$name]}
    router_wait_route "${ROUTER_ROUTESPORT[$name]}" "$host" 30
  done
  echo "route $host -> 127.0.0.1:${BACKEND_PORTS[0]}, :${BACKEND_PORTS[1]} registered on ${ROUTER_NAMES[*]}" >&2
}

routers_alive() {
  local n
  for n in "${ROUTER_NAMES[@]}"; do
    ROUTER_PID=${ROUTER_PIDOF[$n]}; ROUTER_LOG=${ROUTER_LOGOF[$n]}
    router_alive || { echo "$n died" >&2; router_died; return 1; }
  done
}

router_backend_note() { # NAME
  local b=${ROUTER_BACKENDOF[$1]:-}
  if [ -z "$b" ]; then echo "$1: event_backend not set (the router's default)"
  elif grep -q 'unknown-config-key.*event_backend' "${ROUTER_LOGOF[$1]}" 2>/dev/null; then
    echo "$1: event_backend $b IGNORED (unknown key: this router build predates it, so it ran its only backend)"
  else echo "$1: event_backend $b"
  fi
}
