#!/usr/bin/env bash
# Plots a pretraining curve.csv (held-out masked-LM accuracy and training loss against tokens) as a PNG.
#   bench/plot_encoder_curve.sh CURVE.csv OUT.png      e.g. docs/data/zh-tiny-curve.csv docs/img/zh-tiny-curve.png
set -euo pipefail
curve=${1:?usage: bench/plot_encoder_curve.sh CURVE.csv OUT.png}
png=${2:?usage: bench/plot_encoder_curve.sh CURVE.csv OUT.png}
command -v gnuplot > /dev/null || { echo "plot_encoder_curve.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Columns: kind,step,tokens,elapsed_s,lr,loss,mlm_loss,mlm_acc,...,mask_acc (12th).
awk -F, '$1=="eval" {print $3/1e6, 100*$8, 100*$12}' "$curve" > "$tmp/eval.dat"
awk -F, '$1=="train" {print $3/1e6, $6}' "$curve" > "$tmp/train.dat"
gnuplot <<GP
set terminal pngcairo size 900,500 font ",11"
set output "$png.tmp"
set xlabel "tokens seen (millions)"
set ylabel "held-out masked-LM accuracy (%)"
set y2label "training loss"
set ytics nomirror; set y2tics
set key bottom right
set grid
plot "$tmp/eval.dat" using 1:2 with linespoints lw 2 title "held-out accuracy, all targets", \
     "$tmp/eval.dat" using 1:3 with linespoints lw 2 title "held-out accuracy, at [MASK] inputs", \
     "$tmp/train.dat" using 1:2 axes x1y2 with lines lc rgb "#999999" title "training loss"
GP
mv "$png.tmp" "$png"
