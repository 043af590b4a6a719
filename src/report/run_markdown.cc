// report.md of `jointnlu report`: tables of the figures, the plots with captions, what is missing.
#include <cstdio>
#include <sstream>

#include "report/run_report.h"

namespace jointnlu::report {
namespace {

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pct(double v) { return fixed(100.0 * v, 2); }

std::string opt(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "-";
}

// Table cells must not break the row: '|' is escaped, newlines flattened.
std::string md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void accuracy_section(std::ostream& out, const RunInputs& run) {
  out << "## Accuracy\n\n";
  if (run.evals.empty()) {
    out << "No evaluation results (eval/*.json).\n\n";
    return;
  }
  out << "The official SMP2019 figures, in percent.\n\n"
      << "| model | utterances | domain acc | intent acc | slot F1 | sentence acc |\n"
      << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& e : run.evals)
    out << "| " << md(e.name) << " | " << e.utterances << " | " << pct(e.domain_acc) << " | "
        << pct(e.intent_acc) << " | " << pct(e.slot_f1) << " | " << pct(e.sentence_acc) << " |\n";
  out << "\n";
}

void training_section(std::ostream& out, const RunInputs& run) {
  if (run.training.empty()) return;
  out << "## Training\n\n"
      << "| model | epochs | best epoch | best dev sentence acc | final train loss | time (min) |\n"
      << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& log : run.training) {
    if (log.rows.empty()) {
      out << "| " << log.model << " | 0 | - | - | - | - |\n";
      continue;
    }
    const EpochRow* best = log.best();
    double seconds = 0;
    bool timed = false;
    for (const auto& r : log.rows)
      if (r.epoch_seconds) seconds += *r.epoch_seconds, timed = true;
    out << "| " << log.model << " | " << log.rows.size() << " | "
        << (best ? std::to_string(best->epoch) : "-") << " | "
        << (best && best->dev_sentence_acc ? pct(*best->dev_sentence_acc) : "-") << " | "
        << fixed(log.rows.back().train_loss, 4) << " | " << (timed ? fixed(seconds / 60, 1) : "-")
        << " |\n";
  }
  out << "\n";
}

void speed_section(std::ostream& out, const RunInputs& run) {
  if (!run.bench) return;
  const Bench& b = *run.bench;
  out << "## Speed\n\n";
  std::string about;
  if (b.data) about += "data `" + *b.data + "`";
  if (b.utterances)
    about += (about.empty() ? "" : ", ") + std::to_string(*b.utterances) + " utterances";
  if (b.mean_chars)
    about += (about.empty() ? "" : ", ") + fixed(*b.mean_chars, 1) + " characters on average";
  if (!about.empty()) out << "Latency per utterance on " << about << ".\n\n";
  if (!b.models.empty()) {
    out << "| model | p50 (us) | p99 (us) | mean (us) | throughput (/s) | threads |\n"
        << "|---|---:|---:|---:|---:|---:|\n";
    for (const auto& m : b.models)
      out << "| " << md(m.name) << " | " << opt(m.p50_us, 1) << " | " << opt(m.p99_us, 1) << " | "
          << opt(m.mean_us, 1) << " | " << opt(m.throughput_per_s, 0) << " | "
          << (m.threads ? std::to_string(*m.threads) : "-") << " |\n";
    out << "\n";
  }
  if (!b.ratios.empty()) {
    out << "| ratio | value |\n|---|---:|\n";
    for (const auto& [name, v] : b.ratios)
      out << "| " << md(name) << " | " << fixed(v, 2) << "x |\n";
    out << "\n";
  }
  if (b.floor_us)
    out << "Floor (the least time the work can take on this machine): " << fixed(*b.floor_us, 1)
        << " us.\n\n";
}

void figures_section(std::ostream& out, const PlotOutcome& plots) {
  if (plots.figures.empty()) return;
  out << "## Plots\n\n";
  for (std::size_t i = 0; i < plots.figures.size(); ++i) {
    const Figure& f = plots.figures[i];
    out << "![" << md(f.caption) << "](" << f.file << ")\n\n"
        << "*Figure " << i + 1 << ": " << f.caption << ".*\n\n";
  }
}

void config_section(std::ostream& out, const RunInputs& run) {
  if (!run.config) return;
  out << "## Configuration\n\n"
      << "<details>\n<summary>config.json</summary>\n\n```json\n"
      << run.config->dump(2) << "\n```\n\n</details>\n\n";
}

}  // namespace

std::string render_markdown(const RunInputs& run, const PlotOutcome& plots) {
  std::ostringstream out;
  std::string name = run.dir.filename().string();
  if (name.empty() || name == ".") name = run.dir.parent_path().filename().string();
  out << "# jointnlu run report: " << name << "\n\n"
      << "Run directory `" << run.dir.string() << "`.\n\n";
  accuracy_section(out, run);
  speed_section(out, run);
  training_section(out, run);
  figures_section(out, plots);
  config_section(out, run);
  if (!run.missing.empty()) {
    out << "## Missing\n\nThese inputs were not found, so the report has nothing from them:\n\n";
    for (const auto& m : run.missing) out << "- `" << m.path << "`: " << m.what << "\n";
    out << "\n";
  }
  if (!plots.warnings.empty()) {
    out << "## Warnings\n\n";
    for (const auto& w : plots.warnings) out << "- " << w << "\n";
    out << "\n";
  }
  return out.str();
}

}  // namespace jointnlu::report
