#!/usr/bin/env bash
# ratios.sh runs.csv [more.csv ...] -> markdown: every router target against its peers per
# (layout, body, mode, conns), one line per router, so the event backends (router-uring,
# router-epoll) sit side by side: the router's RPS, requests per SUT CPU-second and p99, the
# ratios router/peer of RPS and of requests per CPU-second, and each peer's p99. A ratio is the
# median over rounds of the paired per-round ratio (same file, same rep), like summarize.sh's
# "vs direct", so slow drift of a shared box cancels; RPS, req/CPU-s and p99 values are medians
# over rounds. Keep-alive rows come first, then the close rows (a new connection per request,
# bench.sh --close-bodies). With two routers or more, a second table gives the paired ratios of
# the first router to each other one (e.g. io_uring / epoll).
#
# Environment: ROUTERS (comma list of router targets; default every target whose name starts
# with "router"; ROUTER=NAME is the older single-router spelling), PEERS (comma list, default
# nginx-w1,haproxy-t1; PEERS=nginx-w2,haproxy-t2 for the 2-worker peers).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: ratios.sh runs.csv [...]" >&2; exit 2; }
PEERS=${PEERS:-nginx-w1,haproxy-t1}
ROUTERS=${ROUTERS:-${ROUTER:-}}
if [ -z "$ROUTERS" ]; then
  # io_uring first, so the second table reads io_uring / epoll
  ROUTERS=$(awk -F, 'FNR > 1 && $3 ~ /^router/ && !s[$3]++ { print ($3 == "router-uring" ? 0 : 1) "\t" $3 }' "$@" |
            sort | cut -f2 | paste -sd,)
fi
[ -n "$ROUTERS" ] || { echo "ratios.sh: no router target in $*" >&2; exit 1; }

IFS=, read -r -a PEER_LIST <<< "$PEERS"
IFS=, read -r -a ROUTER_LIST <<< "$ROUTERS"
hdr="| layout | body | mode | conns | router | RPS | req/SUT-CPU-s | p99 ms |"
sep="|---|---|---|---:|---|---:|---:|---:|"
for p in "${PEER_LIST[@]}"; do
  hdr+=" RPS / $p | req/CPU-s / $p | $p p99 ms |"; sep+="---:|---:|---:|"
done

# runs.csv columns: 1 layout, 2 rep, 3 target, 4 body, 5 mode, 6 conns, ..., 10 rps,
# ..., 13 p99_ms, ..., 22 req_per_sut_cpu_s
# mode "table": the main table; mode "pair": first router / every other router.
table() { # MODE FILES...
  local mode=$1; shift
  awk -F, -v routers="$ROUTERS" -v peers="$PEERS" -v mode="$mode" '
    BEGIN { nrt = split(routers, rl, ","); for (i = 1; i <= nrt; i++) isr[rl[i]] = 1 }
    FNR == 1 { next }
    {
      k = $1 SUBSEP $4 SUBSEP $5 SUBSEP $6
      r = FILENAME SUBSEP $2
      val["rps", $3, k, r] = $10; val["rpc", $3, k, r] = $22; val["p99", $3, k, r] = $13
      has[$3, k, r] = 1
      if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
      if (!((k, r) in rseen)) { rseen[k, r] = 1; nr[k]++; rounds[k, nr[k]] = r }
    }
    function median(v, n,    i, j, x) {
      for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
      return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    # median over rounds of val[which, a, k, round] (b == "") or of the paired ratio a / b
    function stat(which, a, b, k, fmt,    i, r, n, v, den) {
      n = 0; delete v
      for (i = 1; i <= nr[k]; i++) {
        r = rounds[k, i]
        if (!((a, k, r) in has)) continue
        if (b == "") { v[++n] = val[which, a, k, r] + 0; continue }
        if (!((b, k, r) in has)) continue
        den = val[which, b, k, r] + 0
        if (den > 0) v[++n] = val[which, a, k, r] / den
      }
      if (n == 0) return "-"
      return sprintf(fmt, median(v, n))
    }
    function sortkey(f) {
      return sprintf("%s\t%s\t%d\t%06d", f[1], (f[3] == "keepalive" ? "a" : "b"),
                     (f[2] == "100") ? 1 : (f[2] == "4k") ? 2 : 3, f[4])
    }
    END {
      np = split(peers, pl, ",")
      for (q = 1; q <= nk; q++) {
        k = keys[q]; split(k, f, SUBSEP)
        if (mode == "pair") {
          line = sprintf("| %s | %s | %s | %s |", f[1], f[2], f[3], f[4])
          for (j = 2; j <= nrt; j++)
            line = line sprintf(" %s | %s |", stat("rps", rl[1], rl[j], k, "%.2f"),
                                stat("rpc", rl[1], rl[j], k, "%.2f"))
          printf "%s\t%03d\t%s\n", sortkey(f), 0, line
          continue
        }
        for (j = 1; j <= nrt; j++) {
          t = rl[j]
          if (stat("rps", t, "", k, "%.0f") == "-") continue
          line = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", f[1], f[2], f[3], f[4], t,
                         stat("rps", t, "", k, "%.0f"), stat("rpc", t, "", k, "%.0f"),
                         stat("p99", t, "", k, "%.2f"))
          for (i = 1; i <= np; i++)
            line = line sprintf(" %s | %s | %s |", stat("rps", t, pl[i], k, "%.2f"),
                                stat("rpc", t, pl[i], k, "%.2f"), stat("p99", pl[i], "", k, "%.2f"))
          printf "%s\t%03d\t%s\n", sortkey(f), j, line
        }
      }
    }' "$@" | sort -t $'\t' -k1,1 -k2,2 -k3,3n -k4,4 -k5,5n | cut -f6-
}

echo "$hdr"
echo "$sep"
table main "$@"
if [ ${#ROUTER_LIST[@]} -ge 2 ]; then
  first=${ROUTER_LIST[0]}
  hdr="| layout | body | mode | conns |"; sep="|---|---|---|---:|"
  for r in "${ROUTER_LIST[@]:1}"; do hdr+=" RPS $first / $r | req/CPU-s $first / $r |"; sep+="---:|---:|"; done
  echo
  echo "$hdr"
  echo "$sep"
  table pair "$@"
fi
