// Reading a pipeline run directory for `jointnlu report` (layout in report_run.h).
#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "report/run_report.h"

namespace jointnlu::report {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Json parse_json_file(const fs::path& path) {
  const std::string text = read_file(path.string());
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw DataError({path.string()}, std::string("not valid JSON: ") + e.what());
  }
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::optional<double> parse_number(const std::string& cell, const SourceLocation& where,
                                   const std::string& column) {
  if (cell.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc() || end != cell.data() + cell.size())
    throw DataError(where, "column " + column + ": '" + cell + "' is not a number");
  return v;
}

// Columns are found by name, so a log with fewer or more columns than today's still reads.
TrainingLog read_training_csv(const std::string& model, const fs::path& path) {
  TrainingLog log{model, path.string(), {}};
  std::stringstream in(read_file(path.string()));
  std::string line;
  std::map<std::string, std::size_t> column;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cells = split_csv_line(line);
    const SourceLocation where{path.string(), 0, line_no};
    if (column.empty()) {
      for (std::size_t i = 0; i < cells.size(); ++i) column[cells[i]] = i;
      for (const char* required : {"epoch", "train_loss"})
        if (!column.count(required))
          throw DataError(where, std::string("header has no '") + required + "' column");
      continue;
    }
    auto get = [&](const char* name) -> std::optional<double> {
      const auto it = column.find(name);
      if (it == column.end() || it->second >= cells.size()) return std::nullopt;
      return parse_number(cells[it->second], where, name);
    };
    EpochRow row;
    const auto epoch = get("epoch");
    const auto loss = get("train_loss");
    if (!epoch || !loss) throw DataError(where, "epoch and train_loss must not be empty");
    row.epoch = static_cast<int>(*epoch);
    row.train_loss = *loss;
    row.dev_domain_acc = get("dev_domain_acc");
    row.dev_intent_acc = get("dev_intent_acc");
    row.dev_slot_f1 = get("dev_slot_f1");
    row.dev_sentence_acc = get("dev_sentence_acc");
    row.epoch_seconds = get("epoch_seconds");
    row.best = get("best").value_or(0.0) != 0.0;
    log.rows.push_back(row);
  }
  if (column.empty()) throw DataError({path.string()}, "empty file, expected a CSV header");
  return log;
}

EvalResult read_eval(const fs::path& path) {
  const Json j = parse_json_file(path);
  EvalResult r;
  r.name = path.stem().string();
  r.path = path.string();
  // nlohmann's messages name the key or the type that was wrong; the file is added here.
  try {
    r.utterances = j.at("utterances").get<std::size_t>();
    r.domain_acc = j.at("domain_acc").get<double>();
    r.intent_acc = j.at("intent_acc").get<double>();
    r.slot_f1 = j.at("slot_f1").get<double>();
    r.sentence_acc = j.at("sentence_acc").get<double>();
    if (j.contains("slots_by_key"))
      for (const auto& [key, s] : j.at("slots_by_key").items())
        r.slots_by_key.push_back({key, s.at("f1").get<double>(), s.at("gold").get<std::size_t>()});
    if (j.contains("domain_confusion"))
      for (const auto& c : j.at("domain_confusion"))
        r.domain_confusion.push_back({c.at("gold").get<std::string>(),
                                      c.at("predicted").get<std::string>(),
                                      c.at("count").get<std::size_t>()});
  } catch (const Json::exception& e) {
    throw DataError({path.string()}, std::string("not an `eval --json` result: ") + e.what());
  }
  return r;
}

Bench read_bench(const fs::path& path) {
  const Json j = parse_json_file(path);
  Bench b;
  b.path = path.string();
  auto number = [](const Json& o, const char* key) -> std::optional<double> {
    if (!o.contains(key) || !o.at(key).is_number()) return std::nullopt;
    return o.at(key).get<double>();
  };
  try {
    if (!j.is_object()) throw DataError({b.path}, "expected a JSON object");
    if (j.contains("data") && j.at("data").is_string()) b.data = j.at("data").get<std::string>();
    if (const auto n = number(j, "utterances")) b.utterances = static_cast<std::size_t>(*n);
    b.mean_chars = number(j, "mean_chars");
    b.floor_us = number(j, "floor_us");
    if (j.contains("models"))
      for (const auto& m : j.at("models")) {
        BenchModel bm;
        bm.name = m.at("name").get<std::string>();
        bm.p50_us = number(m, "p50_us");
        bm.p99_us = number(m, "p99_us");
        bm.mean_us = number(m, "mean_us");
        bm.throughput_per_s = number(m, "throughput_per_s");
        if (const auto t = number(m, "threads")) bm.threads = static_cast<int>(*t);
        b.models.push_back(bm);
      }
    if (j.contains("ratios"))
      for (const auto& [name, v] : j.at("ratios").items())
        if (v.is_number()) b.ratios.emplace_back(name, v.get<double>());
  } catch (const Json::exception& e) {
    throw DataError({b.path}, std::string("not a benchmark result: ") + e.what());
  }
  return b;
}

}  // namespace

bool TrainingLog::has_dev() const {
  return std::any_of(rows.begin(), rows.end(),
                     [](const EpochRow& r) { return r.dev_sentence_acc.has_value(); });
}

const EpochRow* TrainingLog::best() const {
  const EpochRow* best = nullptr;
  for (const auto& r : rows)
    if (r.best) best = &r;
  return best;
}

RunInputs read_run(const fs::path& dir) {
  if (!fs::exists(dir)) throw IoError(dir.string(), "no such run directory");
  if (!fs::is_directory(dir))
    throw IoError(dir.string(), "not a directory, expected a run directory");
  RunInputs run;
  run.dir = dir;

  if (fs::exists(dir / "config.json"))
    run.config = parse_json_file(dir / "config.json");
  else
    run.missing.push_back({"config.json", "the pipeline configuration"});

  for (const char* model : {"teacher", "student"}) {
    const fs::path csv = dir / model / "training.csv";
    if (fs::exists(csv))
      run.training.push_back(read_training_csv(model, csv));
    else
      run.missing.push_back(
          {std::string(model) + "/training.csv", std::string(model) + " training curves"});
  }

  std::vector<fs::path> eval_files;
  if (fs::is_directory(dir / "eval"))
    for (const auto& entry : fs::directory_iterator(dir / "eval"))
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        eval_files.push_back(entry.path());
  for (const auto& path : eval_files) run.evals.push_back(read_eval(path));
  // The teacher first, then the students by name: the order of the tables and plots.
  std::sort(run.evals.begin(), run.evals.end(), [](const EvalResult& a, const EvalResult& b) {
    return std::make_pair(a.name != "teacher", a.name) <
           std::make_pair(b.name != "teacher", b.name);
  });
  if (run.evals.empty()) run.missing.push_back({"eval/*.json", "accuracy of the models"});

  if (fs::exists(dir / "bench.json"))
    run.bench = read_bench(dir / "bench.json");
  else
    run.missing.push_back({"bench.json", "latency of the models"});
  return run;
}

std::vector<const EvalResult*> plotted_evals(const RunInputs& run) {
  const EvalResult* teacher = nullptr;
  const EvalResult* student = nullptr;
  for (const auto& e : run.evals) {
    if (e.name == "teacher") teacher = &e;
    if (e.name == "student") student = &e;
  }
  for (const auto& e : run.evals)
    if (!student && e.name.rfind("student", 0) == 0) student = &e;
  std::vector<const EvalResult*> out;
  if (teacher) out.push_back(teacher);
  if (student) out.push_back(student);
  if (out.empty() && !run.evals.empty()) out.push_back(&run.evals.front());
  return out;
}

}  // namespace jointnlu::report
