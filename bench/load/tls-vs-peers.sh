#!/usr/bin/env bash
# shellcheck disable=SC2046,SC2086  # PID lists are meant to split into words
# tls-vs-peers.sh - our router's TLS edge against nginx and HAProxy with the same certificate
# (ECDSA P-256), the same two backends (lib.sh's nginx backends) and one worker / thread each,
# pinned to the same CPU. Per target and round, measured as work per CPU-second of the proxy
# (its utime+stime over the run, from /proc):
#   full       TLS 1.2 full handshakes (openssl s_time -new, 2 clients), no request
#   resumed    TLS 1.2 resumed handshakes by session ticket (openssl s_time -reuse, 2 clients)
#   ka-100     keep-alive HTTPS requests, 100 B body (wrk, 64 connections, TLS 1.3)
#   ka-64k     the same with a 64 KiB body
#   h2         HTTP/2 over TLS requests (h2load, 16 connections x 10 streams, 100 B body)
# then the router/peer ratios, per round and as medians (>1: the router did more per CPU).
#
#   bench/load/tls-vs-peers.sh                      # 3 rounds x 5 s per test (~6 min)
#   ROUNDS=1 SECONDS_PER_TEST=3 bench/load/tls-vs-peers.sh
#
# Environment: ROUTER_BIN (default build/bin/router), ROUTER_BACKENDS (default io_uring; e.g.
# io_uring,epoll for both), ROUNDS (3), SECONDS_PER_TEST (5), PORT_BASE (29000), BENCH_RESULTS
# (results parent folder, default bench/results). Builds nothing; loopback only; every load
# run is bounded by SECONDS_PER_TEST.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=bench/load/lib.sh
source "$HERE/lib.sh"
source "$ROOT/scripts/lib/nats.sh"
source "$ROOT/scripts/lib/router.sh"
# shellcheck source=bench/load/routers.sh
source "$HERE/routers.sh"

ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_TEST:-5}
ROUTER_BIN=${ROUTER_BIN:-$ROOT/build/bin/router}
export ROUTER_BACKENDS=${ROUTER_BACKENDS-io_uring}
HOST_HDR=app.example.com
for tool in openssl wrk h2load nginx haproxy taskset; do
  command -v "$tool" > /dev/null || { echo "tls-vs-peers: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$ROUTER_BIN" ] || { echo "no router at $ROUTER_BIN: build it first" >&2; exit 1; }

make_run_dir
trap 'stop_all; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

# --- one certificate for everybody ---------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=$HOST_HDR" -addext "subjectAltName=DNS:$HOST_HDR" \
  -keyout "$RUN/key.pem" -out "$RUN/cert.pem" 2> /dev/null
cat "$RUN/cert.pem" "$RUN/key.pem" > "$RUN/haproxy.pem"
chmod 644 "$RUN"/*.pem   # nginx reads them as www-data; a throwaway key in a private temp dir

indent() { sed 's/^/      /' "$1"; }
start_backends

# --- the proxies ---------------------------------------------------------------------------
declare -A PORT_OF=()
NGINX_PORT=$((PORT_BASE + 1081)) HAPROXY_PORT=$((PORT_BASE + 1091))
fill "$HERE/conf/tls.nginx.conf" NAME=nginx-tls PORT="$NGINX_PORT" RUN="$RUN" \
  BE1="${BACKEND_PORTS[0]}" BE2="${BACKEND_PORTS[1]}" CERT="$RUN/cert.pem" KEY="$RUN/key.pem" \
  > "$RUN/nginx-tls.conf"
nginx -p "$RUN" -e "$RUN/nginx-tls.err" -c "$RUN/nginx-tls.conf" -g 'daemon off;' &
remember_pid nginx-tls $!
fill "$HERE/conf/tls.haproxy.cfg" PORT="$HAPROXY_PORT" PEM="$RUN/haproxy.pem" \
  BE1="${BACKEND_PORTS[0]}" BE2="${BACKEND_PORTS[1]}" > "$RUN/haproxy-tls.cfg"
haproxy -db -q -f "$RUN/haproxy-tls.cfg" &
remember_pid haproxy-tls $!
wait_port "$NGINX_PORT"
wait_port "$HAPROXY_PORT"
PORT_OF[nginx]=$NGINX_PORT PORT_OF[haproxy]=$HAPROXY_PORT

ROUTER_EXTRA_YAML="enable_ssl: true
ssl_port: @TLS_PORT@
min_tls_version: TLSv1.2
max_tls_version: TLSv1.3
client_cert_validation: none   # as the peers: no CertificateRequest
tls_pem:
  - cert_chain: |
$(indent "$RUN/cert.pem")
    private_key: |
$(indent "$RUN/key.pem")"
export ROUTER_EXTRA_YAML
read_router_backends
start_routers "$ROUTER_BIN" "$HOST_HDR" "${BACKENDS[@]}"
TARGETS=()
for n in "${ROUTER_NAMES[@]}"; do
  PORT_OF[$n]=$(( ${ROUTER_ADDR[$n]##*:} + 1000 ))
  wait_port "${PORT_OF[$n]}"
  TARGETS+=("$n")
done
TARGETS+=(nginx haproxy)

# Pinning: every proxy on CPU 1, load generators and backends on CPU 0 (a 2-core machine).
for t in "${TARGETS[@]}"; do pin 1 $(pids_on_port "${PORT_OF[$t]}"); done
for p in "${BACKEND_PORTS[@]}"; do pin 0 $(pids_on_port "$p"); done

# --- the tests -----------------------------------------------------------------------------
# Each prints "COUNT" (work done) on stdout; the caller measures the proxy's CPU around it.
run_stime() { # PORT MODE (-new: full handshakes, -reuse: resumed ones)
  local i
  for i in 1 2; do
    taskset -c 0 openssl s_time -connect "127.0.0.1:$1" "$2" -tls1_2 -time "$SECS" \
      > "$RUN/stime-$i.out" 2>&1 &
  done
  wait
  cat "$RUN"/stime-*.out | awk '/connections in [0-9.]+ real/ {n += $1} END {print n + 0}'
}
run_wrk() { # PORT PATH
  taskset -c 0 wrk -t1 -c64 -d"${SECS}s" -H "Host: $HOST_HDR" "https://127.0.0.1:$1$2" \
    > "$RUN/wrk.out" 2>&1 || true
  # Only 2xx count: "Non-2xx or 3xx responses: N" is subtracted.
  awk '/requests in/ {n = $1} /Non-2xx/ {bad = $NF} END {print n - bad}' "$RUN/wrk.out"
}
run_h2() { # PORT
  taskset -c 0 h2load -D "$SECS" -c 16 -m 10 -H ":authority: $HOST_HDR" \
    "https://127.0.0.1:$1/" > "$RUN/h2load.out" 2>&1 || true
  grep -q 'Application protocol: h2' "$RUN/h2load.out" || { echo 0; return; }
  awk '/^status codes:/ {print $3 + 0}' "$RUN/h2load.out"
}

TESTS=(full resumed ka-100 ka-64k h2)
run_test() { # TEST PORT
  case $1 in
    full) run_stime "$2" -new;;
    resumed) run_stime "$2" -reuse;;
    ka-100) run_wrk "$2" /;;
    ka-64k) run_wrk "$2" /64k;;
    h2) run_h2 "$2";;
  esac
}

export BENCH_RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
OUT="$BENCH_RESULTS/tls-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
CSV="$OUT/runs.csv"
echo "round,test,target,count,sut_cpu_s,per_cpu_s" > "$CSV"
{
  echo "tls-vs-peers: $(date -u +%FT%TZ), commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc --all)"
  echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'); haproxy: $(haproxy -v | head -1 | awk '{print $3}'); $(openssl version)"
  echo "rounds $ROUNDS x ${SECS}s per test; proxies on CPU 1, clients and backends on CPU 0"
} | tee "$OUT/meta.txt" >&2

for ((round = 1; round <= ROUNDS; round++)); do
  for test in "${TESTS[@]}"; do
    for t in "${TARGETS[@]}"; do
      pids=$(pids_on_port "${PORT_OF[$t]}")
      c0=$(cpu_ticks $pids)
      count=$(run_test "$test" "${PORT_OF[$t]}")
      c1=$(cpu_ticks $pids)
      cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / hz}')
      per=$(awk -v n="$count" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0 ? n / c : 0)}')
      echo "$round,$test,$t,$count,$cpu,$per" | tee -a "$CSV" >&2
    done
  done
done
routers_alive || exit 1

# --- summary: medians per test and target, and the ratios ----------------------------------
{
  echo
  echo "Work per proxy CPU-second (median of $ROUNDS rounds) and router/peer ratios (>1: router better)"
  awk -F, -v targets="${TARGETS[*]}" -v tests="${TESTS[*]}" '
    NR > 1 { v[$2 "," $3] = v[$2 "," $3] " " $6; r[$1 "," $2 "," $3] = $6 }
    function median(s,   a, n, i, j, t) {
      n = split(s, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
      nt = split(targets, T, " "); ns = split(tests, S, " ")
      printf "| test |"; for (i = 1; i <= nt; i++) printf " %s |", T[i]
      for (i = 1; i <= nt - 2; i++) printf " %s/nginx | %s/haproxy |", T[i], T[i]
      printf "\n|---|"; for (i = 1; i <= nt + 2 * (nt - 2); i++) printf "---|"; printf "\n"
      for (s = 1; s <= ns; s++) {
        printf "| %s |", S[s]
        for (i = 1; i <= nt; i++) { m[i] = median(v[S[s] "," T[i]]); printf " %d |", m[i] }
        for (i = 1; i <= nt - 2; i++) {
          printf " %.2f | %.2f |", (m[nt - 1] ? m[i] / m[nt - 1] : 0), (m[nt] ? m[i] / m[nt] : 0)
        }
        printf "\n"
      }
    }' "$CSV"
} | tee "$OUT/summary.md"
echo "results: $OUT" >&2
