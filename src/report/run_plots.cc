// The plots of `jointnlu report`: each is a gnuplot script plus tab-separated data files, drawn by
// report_gnuplot.cc and saved under RUN/plots/.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/file_io.h"
#include "report/gnuplot.h"
#include "report/run_report.h"

namespace jointnlu::report {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxSlotKeys = 25;
constexpr const char* kOutput = "out.png";
// Tabs, so that labels with spaces ("teacher (libtorch)") stay one column.
constexpr const char* kPreamble = "set datafile separator '\\t'\nset output 'out.png'\n";

struct Plot {
  std::string file;  // under plots/
  std::string caption;
  std::string script;
  std::map<std::string, std::string> inputs;
};

// A gnuplot single-quoted string: only the quote itself needs escaping (doubled).
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string num(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string pct_cell(const std::optional<double>& v) { return v ? num(100.0 * *v) : "NaN"; }

// Tab-free cell text (data files are tab-separated).
std::string cell(std::string s) {
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s;
}

Plot training_plot(const TrainingLog& log) {
  Plot p{"training-" + log.model + ".png", "", "", {}};
  std::string data;
  for (const auto& r : log.rows)
    data += num(r.epoch) + "\t" + num(r.train_loss) + "\t" + pct_cell(r.dev_domain_acc) + "\t" +
            pct_cell(r.dev_intent_acc) + "\t" + pct_cell(r.dev_slot_f1) + "\t" +
            pct_cell(r.dev_sentence_acc) + "\n";
  p.inputs["curve.dat"] = data;

  const bool dev = log.has_dev();
  const EpochRow* best = log.best();
  const int first = log.rows.front().epoch, last = log.rows.back().epoch;
  const int span = std::max(1, last - first);
  std::string s = png_terminal(dev ? 1300 : 700, 480) + kPreamble;
  s += "set xrange [" + num(first - 0.02 * span - (last == first)) + ":" +
       num(last + 0.02 * span + (last == first)) + "]\n";
  s += "set xtics " + num(std::max(1, (span + 14) / 15)) + "\nset grid\nset xlabel 'epoch'\n";
  if (best)
    s += "set arrow 1 from " + num(best->epoch) + ", graph 0 to " + num(best->epoch) +
         ", graph 1 nohead dashtype 2 linecolor rgb '#888888'\n";
  if (dev) s += "set multiplot layout 1,2\n";
  s += "set title " + quote(log.model + ": training loss") + "\nset ylabel 'loss'\n";
  s += "set key top right\n";
  s += "plot 'curve.dat' using 1:2 with linespoints pointtype 7 pointsize 0.6 linewidth 2 "
       "linecolor rgb '#1f77b4' title 'train loss'\n";
  if (dev) {
    std::string title = log.model + ": dev scores (%)";
    if (best && best->dev_sentence_acc) {
      char text[96];
      std::snprintf(text, sizeof text, "; best: epoch %d, sentence acc %.2f", best->epoch,
                    100.0 * *best->dev_sentence_acc);
      title += text;
      p.inputs["best.dat"] = num(best->epoch) + "\t" + pct_cell(best->dev_sentence_acc) + "\n";
    }
    s += "set title " + quote(title) + "\nset ylabel '%'\n";
    // Beside the plot: inside, it would cover the late epochs, where the curves flatten; below, the
    // x label.
    s += "set key outside right top vertical\n";
    s += "plot 'curve.dat' using 1:6 with linespoints pointtype 7 pointsize 0.6 linewidth 3 "
         "linecolor rgb '#d62728' title 'sentence acc', \\\n"
         "  '' using 1:3 with lines linewidth 1.5 linecolor rgb '#2ca02c' title 'domain acc', \\\n"
         "  '' using 1:4 with lines linewidth 1.5 linecolor rgb '#ff7f0e' title 'intent acc', \\\n"
         "  '' using 1:5 with lines linewidth 1.5 linecolor rgb '#9467bd' title 'slot F1'";
    if (p.inputs.count("best.dat"))
      s += ", \\\n  'best.dat' using 1:2 with points pointtype 6 pointsize 2.5 linewidth 2 "
           "linecolor rgb '#000000' title 'best'";
    s += "\n";
    s += "unset multiplot\n";
  }
  p.script = s;
  p.caption = log.model + " training: loss per epoch" +
              (dev ? std::string(" and dev scores") : std::string(" (no dev set)")) +
              (best ? "; dashed line: the best epoch (" + std::to_string(best->epoch) + ")" : "");
  return p;
}

std::optional<Plot> slot_f1_plot(const std::vector<const EvalResult*>& evals) {
  // Keys ranked by the gold count of the last (student) evaluation: the frequent keys matter most.
  const EvalResult& ranking = *evals.back();
  std::vector<KeyScore> keys;
  for (const auto& k : ranking.slots_by_key)
    if (k.gold >= 1) keys.push_back(k);
  if (keys.empty()) return std::nullopt;
  std::stable_sort(keys.begin(), keys.end(),
                   [](const KeyScore& a, const KeyScore& b) { return a.gold > b.gold; });
  const std::size_t total = keys.size();
  if (keys.size() > kMaxSlotKeys) keys.resize(kMaxSlotKeys);

  std::string data;
  for (const auto& k : keys) {
    data += cell(k.key + " (" + std::to_string(k.gold) + ")");
    for (const EvalResult* e : evals) {
      const auto it = std::find_if(e->slots_by_key.begin(), e->slots_by_key.end(),
                                   [&](const KeyScore& s) { return s.key == k.key; });
      data += "\t" + (it == e->slots_by_key.end() ? std::string("NaN") : num(100.0 * it->f1));
    }
    data += "\n";
  }
  const int width = std::max(800, 160 + 48 * static_cast<int>(keys.size()));
  std::string s = png_terminal(width, 560) + kPreamble;
  s += "set title " +
       quote("Slot F1 per key (" + std::to_string(keys.size()) + " of " + std::to_string(total) +
             " keys with gold values, most frequent first; gold count in parentheses)") +
       "\n";
  s += "set style data histograms\nset style histogram clustered gap 1\n"
       "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
       "set yrange [0:105]\nset ylabel 'F1 (%)'\nset grid ytics\n"
       "set xtics rotate by 45 right nomirror scale 0\nset key outside right top vertical\n";
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"};
  s += "plot ";
  for (std::size_t i = 0; i < evals.size(); ++i)
    s += std::string(i ? ", '' " : "'f1.dat' ") + "using " + std::to_string(i + 2) +
         (i ? "" : ":xtic(1)") + " linecolor rgb '" + colours[i % 4] + "' title " +
         quote(evals[i]->name);
  s += "\n";
  std::string names;
  for (const EvalResult* e : evals) names += (names.empty() ? "" : " and ") + e->name;
  return Plot{"slot-f1.png",
              "Slot F1 per key, " + names + " (the " + std::to_string(keys.size()) +
                  " keys with most gold values)",
              s,
              {{"f1.dat", data}}};
}

std::optional<Plot> confusion_plot(const EvalResult& e) {
  if (e.domain_confusion.empty()) return std::nullopt;
  std::set<std::string> label_set;
  std::map<std::string, std::size_t> row_total;
  for (const auto& c : e.domain_confusion) {
    label_set.insert(c.gold);
    label_set.insert(c.predicted);
    row_total[c.gold] += c.count;
  }
  const std::vector<std::string> labels(label_set.begin(), label_set.end());
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < labels.size(); ++i) index[labels[i]] = i;
  std::vector<std::vector<std::size_t>> counts(labels.size(),
                                               std::vector<std::size_t>(labels.size(), 0));
  for (const auto& c : e.domain_confusion) counts[index[c.gold]][index[c.predicted]] += c.count;

  // The image needs every cell; the counts are printed only where non-zero, white on dark cells.
  std::string cells, dark, light;
  for (std::size_t g = 0; g < labels.size(); ++g)
    for (std::size_t p = 0; p < labels.size(); ++p) {
      const double total = static_cast<double>(row_total[labels[g]]);
      const double frac = total > 0 ? static_cast<double>(counts[g][p]) / total : 0.0;
      const std::string xy = std::to_string(p) + "\t" + std::to_string(g);
      cells += xy + "\t" + num(frac) + "\n";
      if (counts[g][p] > 0)
        (frac > 0.5 ? dark : light) += xy + "\t" + std::to_string(counts[g][p]) + "\n";
    }
  const int n = static_cast<int>(labels.size());
  const int side = std::clamp(220 + 34 * n, 520, 1600);
  const int count_font = n > 20 ? 8 : 10;
  std::string s = png_terminal(side + 120, side, 11) + kPreamble;
  std::string tics;
  for (std::size_t i = 0; i < labels.size(); ++i)
    tics += (i ? ", " : "") + quote(labels[i]) + " " + std::to_string(i);
  s += "set title " +
       quote("Domain confusion: " + e.name + " (" + std::to_string(e.utterances) + " utterances)") +
       "\n";
  s += "set xtics (" + tics + ") rotate by 45 right nomirror\nset ytics (" + tics + ") nomirror\n";
  s += "set xrange [-0.5:" + num(n - 0.5) + "]\nset yrange [" + num(n - 0.5) + ":-0.5]\n";
  s += "set xlabel 'predicted domain'\nset ylabel 'gold domain'\nset size ratio -1\n"
       "set palette defined (0 '#ffffff', 0.5 '#6baed6', 1 '#08306b')\n"
       "set cbrange [0:1]\nset cblabel 'fraction of the gold row'\nunset key\nset tics scale 0\n";
  s += "plot 'cells.dat' using 1:2:3 with image";
  if (!dark.empty())
    s += ", 'dark.dat' using 1:2:3 with labels font 'Sans," + std::to_string(count_font) +
         "' textcolor rgb '#ffffff'";
  if (!light.empty())
    s += ", 'light.dat' using 1:2:3 with labels font 'Sans," + std::to_string(count_font) +
         "' textcolor rgb '#000000'";
  s += "\n";
  return Plot{"confusion-domain-" + e.name + ".png",
              "Domain confusion of " + e.name +
                  ": rows are gold domains, columns predicted ones; counts printed, colour is the "
                  "fraction of the row",
              s,
              {{"cells.dat", cells}, {"dark.dat", dark}, {"light.dat", light}}};
}

std::optional<Plot> latency_plot(const Bench& bench) {
  std::vector<const BenchModel*> models;
  for (const auto& m : bench.models)
    if (m.p50_us && *m.p50_us > 0) models.push_back(&m);
  if (models.empty()) return std::nullopt;
  double lo = *models.front()->p50_us, hi = lo;
  // p99 rows only where there is a p99: gnuplot 5.4 crashes on a NaN in a `with labels` plot.
  std::string p50, p99;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const BenchModel& m = *models[i];
    lo = std::min(lo, *m.p50_us);
    hi = std::max(hi, *m.p50_us);
    p50 += std::to_string(i) + "\t" + cell(m.name) + "\t" + num(*m.p50_us) + "\n";
    if (m.p99_us && *m.p99_us > 0) {
      hi = std::max(hi, *m.p99_us);
      p99 += std::to_string(i) + "\t" + num(*m.p99_us) + "\n";
    }
  }
  if (bench.floor_us && *bench.floor_us > 0) lo = std::min(lo, *bench.floor_us);
  // Bars are boxes from a fixed bottom: on a log axis there is no zero to start from.
  const double bottom = std::pow(10.0, std::floor(std::log10(lo / 2)));
  const double top = std::pow(10.0, std::ceil(std::log10(hi * 2)));
  const int n = static_cast<int>(models.size());
  std::string s = png_terminal(std::max(700, 200 + 170 * n), 520) + kPreamble;
  s += "set title 'Latency per utterance (log scale)'\nset logscale y\nset ylabel 'microseconds'\n";
  s +=
      "set yrange [" + num(bottom) + ":" + num(top) + "]\nset xrange [-0.6:" + num(n - 0.4) + "]\n";
  s += "set grid ytics\nset style fill solid 0.85 border -1\nset key top right\n"
       "set xtics nomirror" +
       std::string(n > 4 ? " rotate by 20 right" : "") + "\nset format y '%g'\n";
  if (bench.floor_us && *bench.floor_us > 0)
    s += "set arrow from graph 0, first " + num(*bench.floor_us) + " to graph 1, first " +
         num(*bench.floor_us) + " nohead front dashtype 2 linewidth 1.5 linecolor rgb '#555555'\n" +
         "set label 'floor' at graph 0.99, first " + num(*bench.floor_us * 1.25) +
         " right front textcolor rgb '#555555'\n";
  const std::string b = num(bottom);
  s += "fmt(v) = v >= 100 ? sprintf('%.0f', v) : sprintf('%.1f', v)\n";
  s += "plot 'p50.dat' using ($1-0.18):3:($1-0.34):($1-0.02):(" + b +
       "):3:xtic(2) with boxxyerror linecolor rgb '#1f77b4' title 'p50', \\\n"
       "  '' using ($1-0.18):3:(fmt($3)) with labels offset 0,0.7 notitle";
  if (!p99.empty())
    s += ", \\\n  'p99.dat' using ($1+0.18):2:($1+0.02):($1+0.34):(" + b +
         "):2 with boxxyerror linecolor rgb '#ff7f0e' title 'p99', \\\n"
         "  '' using ($1+0.18):2:(fmt($2)) with labels offset 0,0.7 notitle";
  s += "\n";
  return Plot{"latency.png",
              "Latency per utterance: p50" + std::string(p99.empty() ? "" : " and p99") +
                  " in microseconds, log scale" +
                  std::string(bench.floor_us ? " (dashed: the floor)" : ""),
              s,
              {{"p50.dat", p50}, {"p99.dat", p99}}};
}

}  // namespace

PlotOutcome draw_plots(const RunInputs& run) {
  std::vector<Plot> plots;
  for (const auto& log : run.training)
    if (!log.rows.empty()) plots.push_back(training_plot(log));
  const auto evals = plotted_evals(run);
  if (!evals.empty())
    if (auto p = slot_f1_plot(evals)) plots.push_back(std::move(*p));
  for (const EvalResult* e : evals)
    if (auto p = confusion_plot(*e)) plots.push_back(std::move(*p));
  if (run.bench)
    if (auto p = latency_plot(*run.bench)) plots.push_back(std::move(*p));

  PlotOutcome outcome;
  if (plots.empty()) return outcome;
  const fs::path dir = run.dir / "plots";
  fs::create_directories(dir);
  for (const auto& p : plots) {
    try {
      const auto png = run_gnuplot(p.script, p.inputs, {kOutput});
      write_file_atomic((dir / p.file).string(), png.at(kOutput));
      outcome.figures.push_back({"plots/" + p.file, p.caption});
    } catch (const GnuplotMissing& e) {
      outcome.gnuplot_missing = true;
      outcome.warnings.push_back(std::string(e.what()) + "; report.md has no images");
      return outcome;
    } catch (const GnuplotFailed& e) {
      outcome.warnings.push_back(p.file + ": " + e.what());
    }
  }
  return outcome;
}

}  // namespace jointnlu::report
