#!/usr/bin/env bash
# scale-csv.sh - the route table's scale curve as CSV, for a chart: per table size, the
# lookup p50, RSS per route and the registry's apply rate. In process (no router, no NATS), so
# it takes ~1 minute and needs only build/bin/scale_lookup and build/bin/scale_apply
# (cmake --build build --target scale_lookup scale_apply).
#
#   bench/scale/scale-csv.sh                 # sizes 10k, 100k, 1M
#   SIZES="10000 100000" bench/scale/scale-csv.sh
#
# Writes bench/results/scale-<UTC date>.csv (OUT=path to change) with a header line:
#   routes            table size (hosts, one root route and one endpoint each)
#   lookup_p50_ns     scale_lookup --kinds exact: median RouteTable::lookup(), uniformly random
#                     hosts, ~20 ns of timer included
#   bytes_per_route   scale_apply: process RSS growth / routes, route-emitter-like messages
#   apply_msgs_per_s  scale_apply: new routes applied + published per second over the last
#                     10 % before reaching the size, a table published every 200 messages
#                     (decoding excluded: the router decodes on nats.c's thread)
# and prints it. The end-to-end figures through nats-server come from run-scale.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SIZES=${SIZES:-10000 100000 1000000}
OUT=${OUT:-$ROOT/bench/results/scale-$(date -u +%Y-%m-%d).csv}
for bin in scale_lookup scale_apply; do
  [ -x "$BUILD_DIR/bin/$bin" ] || { echo "missing $BUILD_DIR/bin/$bin" >&2; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

max=0
for n in $SIZES; do
  [ "$n" -gt "$max" ] && max=$n
  # Row "| lookup exact | N routes: ns p50 / ... | P50 / P90 / ... | ..." -> P50
  "$BUILD_DIR/bin/scale_lookup" --routes "$n" --lookups "$((n < 1000000 ? n : 1000000))" \
      --kinds exact | awk -F'|' -v n="$n" '/lookup exact/ { split($4, v, "/"); printf "%d,%d\n", n, v[1] }' \
      >> "$TMP/lookup"
done
# One growing registry; a row per power-of-ten checkpoint plus the largest size.
"$BUILD_DIR/bin/scale_apply" --routes "$max" --csv "$TMP/apply" > "$TMP/apply.md"

mkdir -p "$(dirname "$OUT")"
{
  echo "routes,lookup_p50_ns,bytes_per_route,apply_msgs_per_s"
  # Join on routes; sizes scale_apply did not stop at get empty apply columns.
  awk -F, 'NR == FNR { apply[$1] = $3 "," $2; next }
           { printf "%s,%s,%s\n", $1, $2, ($1 in apply) ? apply[$1] : "," }' "$TMP/apply" "$TMP/lookup"
} > "$OUT"
cat "$OUT"
echo "wrote $OUT (load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git -C "$ROOT" describe --always --dirty))" >&2
