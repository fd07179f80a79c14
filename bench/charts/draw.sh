#!/usr/bin/env bash
# draw.sh RUNS_CSV [SCALE_CSV] - the benchmark charts (PNG, gnuplot) shown in bench/README.md.
#
# From RUNS_CSV (bench.sh / router-vs-peers.sh runs.csv; medians over its rounds):
#   <OUT>/<PREFIX>req-per-cpu.png  requests per proxy CPU-second, one group of bars per row
#                                  (body x conns x mode: keep-alive rows, then close rows =
#                                  a new connection per request), one bar per target
#   <OUT>/<PREFIX>p99.png          p99 latency (ms), same grouping
# From SCALE_CSV (bench/results/scale-<date>.csv, a header line naming its columns; the ones
# read are routes, lookup_p50_ns, lookup_p99_ns, bytes_per_route, apply_msgs_per_s, in any
# order; other columns are ignored, a missing column leaves its panel or line out, an empty
# cell or "-" is a missing point):
#   <OUT>/<PREFIX>scale.png        lookup latency p50/p99, memory per route and apply rate
#                                  against the table size (log x)
# RUNS_CSV may be '' to draw only the scale chart.
#
# Environment:
#   OUT_DIR   where the PNGs go (default bench/charts, beside this script)
#   PREFIX    file name prefix, e.g. PREFIX=w2- for the 2-worker run (default none)
#   LAYOUT    which layout of RUNS_CSV (default its first one)
#   TARGETS   comma list, in bar order (default: the router targets, io_uring first, then
#             nginx-*, then haproxy-*; "direct" only when named here)
#   TITLE     text added to the chart titles (default: date and layout from the meta.txt
#             beside RUNS_CSV)
# Needs gnuplot (scripts/install-deps.sh installs gnuplot-nox).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; fi
RUNS=$1
SCALE=${2:-}
OUT_DIR=${OUT_DIR:-$HERE}
PREFIX=${PREFIX:-}
command -v gnuplot > /dev/null || { echo "draw.sh: no gnuplot (scripts/install-deps.sh installs gnuplot-nox)" >&2; exit 1; }
mkdir -p "$OUT_DIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/charts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

color_of() { # TARGET -> RGB
  case $1 in
    router-uring) echo '#1f4e79';; router-epoll) echo '#5b9bd5';; router) echo '#2e75b6';;
    router-*) echo '#9dc3e6';;
    nginx-w1) echo '#548235';; nginx-w2) echo '#a9d18e';; nginx*) echo '#70ad47';;
    haproxy-t1) echo '#c55a11';; haproxy-t2) echo '#f4b183';; haproxy*) echo '#ed7d31';;
    direct) echo '#7f7f7f';;
    *) echo '#bfbf00';;
  esac
}

draw_runs() {
  [ -f "$RUNS" ] || { echo "draw.sh: no file $RUNS" >&2; exit 1; }
  local layout=${LAYOUT:-$(awk -F, 'NR == 2 { print $1; exit }' "$RUNS")}
  local targets=${TARGETS:-}
  if [ -z "$targets" ]; then
    targets=$(awk -F, -v l="$layout" 'NR > 1 && $1 == l && !s[$3]++ {
                o = ($3 == "router-uring") ? 0 : ($3 ~ /^router/) ? 1 : ($3 ~ /^nginx/) ? 2 : 9
                if ($3 ~ /^haproxy/) o = 3
                if (o < 9) print o "\t" $3 }' "$RUNS" | sort | cut -f2 | paste -sd,)
  fi
  [ -n "$targets" ] || { echo "draw.sh: no targets for layout $layout in $RUNS" >&2; exit 1; }
  local title=${TITLE:-}
  local meta; meta=$(dirname "$RUNS")/meta.txt
  if [ -z "$title" ] && [ -f "$meta" ]; then
    title="$(awk '/^date:/ { print substr($2, 1, 10) }' "$meta"), layout $layout, $(awk '
      /^layout:/ { for (i = 2; i <= NF; i++) if ($i ~ /^sut_cpus=/) print "proxy on CPU " substr($i, 10) }' "$meta" | head -1)"
    local w; w=$(awk '/^router:/ { for (i = 1; i <= NF; i++) if ($i ~ /^workers=/) print substr($i, 9) }' "$meta" | head -1)
    [ -n "$w" ] && title+=", router workers $w"
    title+=$(awk '/^host:/ { for (i = 1; i < NF; i++) { if ($i == "reps:") r = $(i + 1); if ($i == "duration:") d = $(i + 1) }
                             if (r != "") printf ", %s round%s of %s runs", r, (r == 1 ? "" : "s"), d }' "$meta")
  fi
  [ -n "$title" ] || title="layout $layout"

  # Medians over rounds per (row, target) of a column: 22 = req_per_sut_cpu_s, 13 = p99_ms.
  table() { # COLUMN -> data file on stdout
    awk -F, -v l="$layout" -v targets="$targets" -v col="$1" '
      BEGIN { nt = split(targets, tl, ",") }
      NR == 1 || $1 != l { next }
      {
        row = $5 SUBSEP $4 SUBSEP $6
        if (!(row in seen)) { seen[row] = 1; rows[++nr] = row }
        n[row, $3]++; v[row, $3, n[row, $3]] = $col + 0
      }
      function median(row, t,    a, i, j, x, m) {
        m = n[row, t]; if (m == 0) return "-"
        for (i = 1; i <= m; i++) a[i] = v[row, t, i]
        for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      }
      END {
        hdr = "\"row\""; for (i = 1; i <= nt; i++) hdr = hdr " \"" tl[i] "\""
        print "#\t" hdr
        for (r = 1; r <= nr; r++) {
          split(rows[r], f, SUBSEP)
          body = (f[2] == "100") ? "100 B" : (f[2] == "4k") ? "4 KiB" : (f[2] == "64k") ? "64 KiB" : f[2]
          label = body ", " f[3] " conns|" (f[1] == "close" ? "close (new conn.)" : "keep-alive")
          line = "\"" label "\""
          for (i = 1; i <= nt; i++) line = line " " median(rows[r], tl[i])
          printf "%s\t%d\t%06d\t%s\n", (f[1] == "keepalive" ? "a" : "b"),
                 (f[2] == "100") ? 1 : (f[2] == "4k") ? 2 : 3, f[3], line
        }
      }' "$RUNS" | sort -t $'\t' -k1,1 -k2,2n -k3,3 | sed 's/^[^\t]*\t//; s/^#\t//; s/^[0-9]*\t[0-9]*\t//'
  }
  local nt colors="" t
  IFS=, read -r -a tl <<< "$targets"; nt=${#tl[@]}
  for t in "${tl[@]}"; do colors+="$(color_of "$t") "; done
  table 22 > "$TMP/rpc.dat"
  table 13 > "$TMP/p99.dat"
  local nrows=$(($(wc -l < "$TMP/rpc.dat") - 1))
  [ "$nrows" -gt 0 ] || { echo "draw.sh: no rows for layout $layout in $RUNS" >&2; exit 1; }
  gnuplot -e "chart='bars'; datafile='$TMP/rpc.dat'; ntargets=$nt; nrows=$nrows; colors='$colors'; fmt='%.0f'" \
          -e "ylabel='requests per proxy CPU-second (higher is better)'" \
          -e "title='Requests per proxy CPU-second, $title'; outfile='$OUT_DIR/${PREFIX}req-per-cpu.png'" \
          "$HERE/charts.gp"
  gnuplot -e "chart='bars'; datafile='$TMP/p99.dat'; ntargets=$nt; nrows=$nrows; colors='$colors'; fmt='%.1f'" \
          -e "ylabel='p99 latency, ms (lower is better)'" \
          -e "title='p99 latency, $title'; outfile='$OUT_DIR/${PREFIX}p99.png'" \
          "$HERE/charts.gp"
  echo "$OUT_DIR/${PREFIX}req-per-cpu.png $OUT_DIR/${PREFIX}p99.png (targets $targets, layout $layout)"
}

draw_scale() {
  [ -f "$SCALE" ] || { echo "draw.sh: no file $SCALE" >&2; exit 1; }
  # Picks columns by header name; writes one file per panel, "-" for a missing value, rows
  # sorted by route count; a panel none of whose columns exist is left out (file name "").
  local panel cols f rc
  local lookup="" mem="" apply=""
  for panel in lookup mem apply; do
    case $panel in
      lookup) cols=lookup_p50_ns,lookup_p99_ns;;
      mem) cols=bytes_per_route;;
      apply) cols=apply_msgs_per_s;;
    esac
    f=$TMP/scale-$panel.dat
    awk -F, -v cols="$cols" '
      function trim(s) { gsub(/^[ \t"]+|[ \t"\r]+$/, "", s); return s }
      NR == 1 {
        for (i = 1; i <= NF; i++) idx[trim($i)] = i
        if (!("routes" in idx)) { print "draw.sh: scale CSV has no routes column" > "/dev/stderr"; exit 3 }
        nc = split(cols, c, ","); found = 0
        for (i = 1; i <= nc; i++) if (c[i] in idx) found = 1
        if (!found) exit 4
        next
      }
      {
        r = trim($idx["routes"]); if (r == "" || r + 0 <= 0) next
        line = r; any = 0
        for (i = 1; i <= nc; i++) {
          x = (c[i] in idx) ? trim($idx[c[i]]) : ""
          if (x == "" || x == "-") x = "-"; else any = 1
          line = line " " x
        }
        if (any) print line
      }' "$SCALE" > "$f.raw" && rc=0 || rc=$?
    [ "$rc" = 3 ] && exit 1
    sort -n -k1,1 "$f.raw" > "$f"
    if [ -s "$f" ]; then
      case $panel in lookup) lookup=$f;; mem) mem=$f;; apply) apply=$f;; esac
    else
      echo "draw.sh: no $cols in $SCALE, that panel is left out" >&2
    fi
  done
  [ -n "$lookup$mem$apply" ] || { echo "draw.sh: nothing to draw from $SCALE" >&2; exit 1; }
  # One x range for every panel: the powers of 10 around all route counts.
  local xr
  xr=$(cat "$TMP"/scale-*.dat | awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 }
         END { a = int(log(lo) / log(10) + 1e-9); b = int(log(hi) / log(10) - 1e-9) + 1
               if (b <= a) b = a + 1; if (10 ^ a == lo) a--; if (10 ^ b == hi) b++
               printf "xmin=%g; xmax=%g", 10 ^ a, 10 ^ b }')
  gnuplot -e "chart='scale'; lookupfile='$lookup'; memfile='$mem'; applyfile='$apply'; $xr" \
          -e "title='Route table against its size (${TITLE:-$(basename "$SCALE")})'" \
          -e "outfile='$OUT_DIR/${PREFIX}scale.png'" "$HERE/charts.gp"
  echo "$OUT_DIR/${PREFIX}scale.png"
}

[ -z "$RUNS" ] || draw_runs
[ -z "$SCALE" ] || draw_scale
