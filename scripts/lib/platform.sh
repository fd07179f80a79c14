# shellcheck shell=bash
# platform.sh - start the whole platform on this machine: the controller, the scheduler and
# cells (NATS and the router come from nats.sh and router.sh). Sourced, not run; needs
# procs.sh. Every process is remembered in "$RUN/pids" and stopped by stop_all.
# Every daemon gets --secrets "$SECRETS" (default "$RUN/secrets"): the first to start fills the
# folder (0700, the internal key) and the others trust each other's signed calls with it.
#
#   platform_build BUILD_DIR              configure (if needed) and build every binary
#   controller_start BIN URL_PORT DATA NATS_URL SCHEDULER_URL DOMAIN STAGER LOG
#   scheduler_start BIN PORT NATS_URL LOG [EXTRA ARGS...]
#   cell_start BIN PORT ID ZONE SCHEDULER_URL NATS_URL WORKDIR PORTS LAUNCHER LOG [EXTRA...]
#   wait_http URL [SECONDS=30]            until GET URL answers 2xx

PLATFORM_TARGETS=(router controller scheduler cell stager launcher foundry)

platform_build() { # BUILD_DIR
  local build=$1 log
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/foundry-build.XXXXXX")
  if ! cmake --build "$build" --target "${PLATFORM_TARGETS[@]}" -j2 > "$log" 2>&1; then
    tail -n 40 "$log" >&2; rm -f "$log"; return 1
  fi
  tail -n 1 "$log"; rm -f "$log"
}

# The internal credentials folder every daemon shares.
platform_secrets() { echo "${SECRETS:-$RUN/secrets}"; }

wait_http() { # URL [SECONDS]
  local deadline=$((SECONDS + ${2:-30}))
  while [ $SECONDS -lt "$deadline" ]; do
    curl -sf -o /dev/null -m 2 "$1" && return 0
    sleep 0.2
  done
  echo "no 2xx answer from $1 within ${2:-30} s" >&2; return 1
}

scheduler_start() { # BIN PORT NATS_URL LOG [EXTRA...]
  local bin=$1 port=$2 nats=$3 log=$4; shift 4
  "$bin" --listen "127.0.0.1:$port" --nats "$nats" --secrets "$(platform_secrets)" "$@" \
    > "$log" 2>&1 &
  remember_pid scheduler $!
  wait_http "http://127.0.0.1:$port/ping" || { tail -n 20 "$log" >&2; return 1; }
}

controller_start() { # BIN PORT DATA NATS_URL SCHEDULER_URL DOMAIN STAGER LOG [EXTRA...]
  local bin=$1 port=$2 data=$3 nats=$4 sched=$5 domain=$6 stager=$7 log=$8; shift 8
  "$bin" --listen "127.0.0.1:$port" --data-dir "$data" --nats "$nats" --scheduler "$sched" \
    --domain "$domain" --stager "$stager" --secrets "$(platform_secrets)" "$@" > "$log" 2>&1 &
  remember_pid controller $!
  wait_http "http://127.0.0.1:$port/v3" || { tail -n 20 "$log" >&2; return 1; }
}

cell_start() { # BIN PORT ID ZONE SCHEDULER_URL NATS_URL WORKDIR PORTS LAUNCHER LOG [EXTRA...]
  local bin=$1 port=$2 id=$3 zone=$4 sched=$5 nats=$6 work=$7 ports=$8 launcher=$9 log=${10}
  shift 10
  mkdir -p "$work"
  "$bin" --listen "127.0.0.1:$port" --id "$id" --zone "$zone" --scheduler "$sched" \
    --nats "$nats" --work-dir "$work" --ports "$ports" --launcher "$launcher" \
    --secrets "$(platform_secrets)" "$@" > "$log" 2>&1 &
  remember_pid "$id" $!
  wait_http "http://127.0.0.1:$port/ping" || { tail -n 20 "$log" >&2; return 1; }
}

# Cells stop their instances on SIGTERM (SIGKILL after a 10 s grace), containers included: give
# them that long before stop_all forces whatever is left (RUN/pids names them cell-*).
cells_stop() {
  local name pid
  while read -r name pid; do
    [[ $name == cell-* ]] && kill -TERM "$pid" 2>/dev/null
  done < "$RUN/pids"
  for _ in $(seq 150); do
    local alive=0
    while read -r name pid; do
      [[ $name == cell-* ]] && kill -0 "$pid" 2>/dev/null && alive=1
    done < "$RUN/pids"
    [ $alive = 0 ] && break
    sleep 0.1
  done
  return 0
}

# Lifts the mounts (instances' disks) that a forced stop left below DIR, deepest first.
unmount_below() { # DIR
  mount | awk -v dir="$1/" 'index($3, dir) == 1 {print $3}' | sort -r | xargs -r -n1 umount -l
}
