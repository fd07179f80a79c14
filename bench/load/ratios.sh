#!/usr/bin/env bash
# ratios.sh runs.csv [more.csv ...] -> markdown table: the router against its peers per
# (layout, body, mode, conns): RPS and requests per SUT CPU-second of the router, and the
# ratios router/peer of both. A ratio is the median over rounds of the paired per-round ratio
# (same file, same rep), like summarize.sh's "vs direct", so slow drift of a shared box cancels.
#
# Environment: ROUTER (target name, default router), PEERS (comma list, default
# nginx-w1,haproxy-t1).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: ratios.sh runs.csv [...]" >&2; exit 2; }
ROUTER=${ROUTER:-router}
PEERS=${PEERS:-nginx-w1,haproxy-t1}

IFS=, read -r -a PEER_LIST <<< "$PEERS"
hdr="| layout | body | mode | conns | $ROUTER RPS | $ROUTER req/SUT-CPU-s |"
sep="|---|---|---|---:|---:|---:|"
for p in "${PEER_LIST[@]}"; do
  hdr+=" RPS / $p | req/CPU-s / $p |"; sep+="---:|---:|"
done
echo "$hdr"
echo "$sep"
# runs.csv columns: 1 layout, 2 rep, 3 target, 4 body, 5 mode, 6 conns, ..., 10 rps, ..., 22 req_per_sut_cpu_s
awk -F, -v router="$ROUTER" -v peers="$PEERS" '
  FNR == 1 { next }
  {
    k = $1 SUBSEP $4 SUBSEP $5 SUBSEP $6
    r = FILENAME SUBSEP $2
    rps[$3, k, r] = $10; rpc[$3, k, r] = $22
    if ($3 == router) {
      if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
      nr[k]++; rounds[k, nr[k]] = r
    }
  }
  function median(v, n,    i, j, x) {
    for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  # median over rounds of arr[a, k, round] / arr[b, k, round] (b = "" : arr[a] itself)
  function stat(which, a, b, k,    i, r, n, v, num, den) {
    n = 0; delete v
    for (i = 1; i <= nr[k]; i++) {
      r = rounds[k, i]
      num = (which == "rps") ? rps[a, k, r] : rpc[a, k, r]
      if (b == "") { v[++n] = num + 0; continue }
      if (!((b, k, r) in rps)) continue
      den = (which == "rps") ? rps[b, k, r] : rpc[b, k, r]
      if (den + 0 > 0) v[++n] = num / den
    }
    if (n == 0) return "-"
    return (b == "") ? sprintf("%.0f", median(v, n)) : sprintf("%.2f", median(v, n))
  }
  END {
    np = split(peers, pl, ",")
    for (q = 1; q <= nk; q++) {
      k = keys[q]; split(k, f, SUBSEP)
      line = sprintf("| %s | %s | %s | %s | %s | %s |", f[1], f[2], f[3], f[4],
                     stat("rps", router, "", k), stat("rpc", router, "", k))
      for (i = 1; i <= np; i++)
        line = line sprintf(" %s | %s |", stat("rps", router, pl[i], k), stat("rpc", router, pl[i], k))
      bsort = (f[2] == "100") ? 1 : (f[2] == "4k") ? 2 : 3
      printf "%s\t%d\t%s\t%06d\t%s\n", f[1], bsort, (f[3] == "keepalive" ? "a" : "b"), f[4], line
    }
  }' "$@" | sort -t $'\t' -k1,1 -k2,2n -k3,3 -k4,4 | cut -f5-
