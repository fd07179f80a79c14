# charts.gp - gnuplot (5.4, Debian gnuplot-nox) templates for the benchmark charts; called by
# draw.sh, which prepares the data files and passes the variables below with -e. Not meant to be
# run by hand (see draw.sh).
#
#   chart = "bars"   grouped bars, one group per row (body x conns x mode), one bar per target
#     datafile  whitespace table, quoted labels: "row" "target1" "target2" ...; "-" = missing
#     ntargets  number of target columns; nrows  number of rows
#     colors    space-separated RGB colors, one per target column
#     ylabel, title, outfile, fmt (printf format of the value written on each bar)
#   chart = "scale"  up to three panels against the route count (log x):
#     lookupfile  "routes p50 p99" (either value may be "-"), or "" to leave the panel out
#     memfile     "routes bytes_per_route", or ""
#     applyfile   "routes apply_msgs_per_s", or ""
#     xmin, xmax  the x range (route counts), title, outfile

set terminal pngcairo size 1200,560 font "DejaVu Sans,11" noenhanced
set output outfile
set datafile missing "-"
set border 3
set tics nomirror
set grid ytics lc rgb "#dddddd" lt 1
set key top right noautotitle

if (chart eq "bars") {
    set title title
    set ylabel ylabel
    set yrange [0:*]
    set offsets 0, 0, graph 0.12, 0
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.9 border rgb "#333333"
    set boxwidth 0.9
    set xtics scale 0
    set bmargin 4.5
    set xrange [-0.6:nrows - 0.4]
    # The value of every bar above it; the x of bar i (1-based) in cluster x = 0, 1, ... is
    # x + (i - 1 - (N - 1) / 2) / (N + gap).
    # Row labels come as "first line|second line".
    nl(s) = (strstrt(s, "|") > 0) ? s[1:strstrt(s, "|") - 1] . "\n" . s[strstrt(s, "|") + 1:] : s
    set key autotitle columnheader above horizontal
    plot for [i = 2:ntargets + 1] datafile using i:xtic(nl(strcol(1))) lc rgb word(colors, i - 1), \
         for [i = 2:ntargets + 1] datafile using ($0 + (i - 2 - (ntargets - 1) / 2.0) / (ntargets + 1)):(column(i)):(sprintf(fmt, column(i))) \
             with labels rotate by 90 left offset 0, 0.4 font ",8" notitle
}

if (chart eq "scale") {
    npanels = (lookupfile ne "") + (memfile ne "") + (applyfile ne "")
    set terminal pngcairo size (npanels * 460), 460 font "DejaVu Sans,11" noenhanced
    set output outfile
    set multiplot layout 1, npanels title title
    set logscale x 10
    set xrange [xmin:xmax]
    set format x "%.0s%c"
    set xlabel "routes in the table"
    set yrange [0:*]
    set key bottom right
    if (lookupfile ne "") {
        set title "route lookup latency"
        set ylabel "ns per lookup"
        plot lookupfile using 1:2 with linespoints pt 7 lw 2 lc rgb "#1f4e79" title "p50", \
             lookupfile using 1:3 with linespoints pt 5 lw 2 lc rgb "#c55a11" title "p99"
    }
    if (memfile ne "") {
        set title "memory per route"
        set ylabel "bytes per route (RSS)"
        plot memfile using 1:2 with linespoints pt 7 lw 2 lc rgb "#1f4e79" notitle
    }
    if (applyfile ne "") {
        set title "route apply rate"
        set ylabel "router.register messages applied per s"
        plot applyfile using 1:2 with linespoints pt 7 lw 2 lc rgb "#1f4e79" notitle
    }
    unset multiplot
}
