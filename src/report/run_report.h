// `jointnlu report RUN`: what a pipeline run directory holds, read into memory, and the two
// renderers (gnuplot PNGs, report.md). Every input is optional; what is absent is listed, not an
// error, but an input that exists and cannot be parsed is an error naming the file.
//
//   RUN/config.json                          the pipeline configuration (any JSON)
//   RUN/teacher/training.csv                 one row per epoch (src/train/trainer.cc writes it)
//   RUN/student/training.csv
//   RUN/eval/NAME.json                       `eval --json` output (scores_json in report.cc), per
//   model RUN/bench.json                           latency per model
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace jointnlu::report {

struct EpochRow {
  int epoch = 0;
  double train_loss = 0.0;
  std::optional<double> dev_domain_acc, dev_intent_acc, dev_slot_f1, dev_sentence_acc;
  std::optional<double> epoch_seconds;
  bool best = false;  // the dev score improved in this epoch
};

struct TrainingLog {
  std::string model;  // "teacher" or "student"
  std::string path;
  std::vector<EpochRow> rows;

  bool has_dev() const;
  // The last epoch marked best (the one whose weights were kept); nullptr when none is marked.
  const EpochRow* best() const;
};

struct KeyScore {
  std::string key;
  double f1 = 0.0;
  std::size_t gold = 0;
};

struct ConfusionCell {
  std::string gold, predicted;
  std::size_t count = 0;
};

struct EvalResult {
  std::string name;  // the file stem: teacher, student, student-int8...
  std::string path;
  std::size_t utterances = 0;
  double domain_acc = 0, intent_acc = 0, slot_f1 = 0, sentence_acc = 0;
  std::vector<KeyScore> slots_by_key;
  std::vector<ConfusionCell> domain_confusion;
};

struct BenchModel {
  std::string name;
  std::optional<double> p50_us, p99_us, mean_us, throughput_per_s;
  std::optional<int> threads;
};

struct Bench {
  std::string path;
  std::optional<std::string> data;
  std::optional<std::size_t> utterances;
  std::optional<double> mean_chars, floor_us;
  std::vector<BenchModel> models;
  std::vector<std::pair<std::string, double>> ratios;  // in file order
};

struct MissingInput {
  std::string path;  // relative to RUN
  std::string what;  // what the report lacks without it
};

struct RunInputs {
  std::filesystem::path dir;
  std::optional<nlohmann::ordered_json> config;
  std::vector<TrainingLog> training;  // teacher first
  std::vector<EvalResult> evals;      // sorted by name
  std::optional<Bench> bench;
  std::vector<MissingInput> missing;
};

// Reads what exists under `dir`. Throws IoError when dir is not a directory, DataError for a file
// that is there but malformed.
RunInputs read_run(const std::filesystem::path& dir);

// The evaluations the per-model plots are drawn for: the teacher ("teacher.json") and one student
// ("student.json", else the first "student*.json"); the first evaluation when neither exists.
std::vector<const EvalResult*> plotted_evals(const RunInputs& run);

struct Figure {
  std::string file;  // relative to RUN, e.g. plots/training-teacher.png
  std::string caption;
};

struct PlotOutcome {
  std::vector<Figure> figures;
  std::vector<std::string> warnings;  // plots that could not be drawn, and why
  bool gnuplot_missing = false;
};

// Draws every plot the inputs allow into RUN/plots/ by running gnuplot. Never throws for gnuplot
// problems (a missing or failing gnuplot becomes a warning); throws IoError when a PNG cannot be
// written.
PlotOutcome draw_plots(const RunInputs& run);

std::string render_markdown(const RunInputs& run, const PlotOutcome& plots);

}  // namespace jointnlu::report
