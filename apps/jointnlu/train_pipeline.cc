// `jointnlu pipeline`: data to deployed model in one command — fine-tune the teacher, distill the
// student (with augmentation), export fp32 and int8, evaluate everything on test, benchmark speed,
// and print one summary. Every stage records completion in RUN/stages.json, so re-running skips
// finished stages and resumes an interrupted training stage from its checkpoint.
//
// RUN layout (what `jointnlu report RUN` reads):
//   config.json                      the effective configuration (defaults filled in)
//   teacher/, student/               checkpoint directories (each with training.csv)
//   student.fp32.safetensors, student.int8.safetensors
//   eval/{teacher,student,student-fp32,student-int8}.json   scores on --test
//   bench.json                       speed (jointnlu bench --json)
//   logs/<stage>.txt                 what each stage printed
//   stages.json                      finished stages
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/speed_bench.h"
#include "core/decoding.h"
#include "core/file_io.h"
#include "data/metrics.h"
#include "pipeline_config.h"
#include "report/scores.h"
#include "runtime/export.h"
#include "runtime/student_parser.h"
#include "train/predictor.h"
#include "train/recipes/student_recipe.h"
#include "train/recipes/teacher_recipe.h"
#include "train/train_utils.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Sends std::cout to a string while a stage runs (its own report goes to logs/, the pipeline
// prints one summary instead).
class CaptureStdout {
 public:
  CaptureStdout() : old_(std::cout.rdbuf(buffer_.rdbuf())) {}
  ~CaptureStdout() { std::cout.rdbuf(old_); }
  std::string text() const { return buffer_.str(); }

 private:
  std::ostringstream buffer_;
  std::streambuf* old_;
};

class Stages {
 public:
  explicit Stages(std::string run) : path_((fs::path(run) / "stages.json").string()) {
    if (fs::exists(path_)) done_ = nlohmann::json::parse(read_file(path_));
  }
  bool done(const std::string& stage) const { return done_.contains(stage); }
  void finish(const std::string& stage, double seconds) {
    done_[stage] = {{"seconds", seconds}};
    write_file_atomic(path_, done_.dump(1) + "\n");
  }

 private:
  std::string path_;
  nlohmann::json done_ = nlohmann::json::object();
};

nlohmann::json eval_json(const std::vector<Record>& gold, const std::vector<Prediction>& preds) {
  std::vector<std::string> texts;
  for (const auto& r : gold) texts.push_back(r.text);
  return report::scores_json(score_records(gold, train::prediction_records(texts, preds)));
}

std::vector<std::string> texts_of_records(const std::vector<Record>& records) {
  std::vector<std::string> texts;
  for (const auto& r : records) texts.push_back(r.text);
  return texts;
}

// Runs the pipeline's stages in order: skips those stages.json lists, captures what a stage prints
// into logs/STAGE.txt, and records it finished.
class StageRunner {
 public:
  StageRunner(fs::path run, Stages& stages, std::vector<std::string> order)
      : run_(std::move(run)), stages_(stages), order_(std::move(order)) {}

  void operator()(const std::string& name, const std::function<int()>& body) {
    ++index_;
    if (stages_.done(name)) {
      spdlog::info("[{}/{}] {}: done already (stages.json), skipped", index_, order_.size(), name);
      return;
    }
    spdlog::info("[{}/{}] {} ...", index_, order_.size(), name);
    const auto t0 = Clock::now();
    int code = 0;
    std::string printed;
    {
      CaptureStdout capture;
      code = body();
      printed = capture.text();
    }
    const std::string log = (run_ / "logs" / (name + ".txt")).string();
    write_file_atomic(log, printed);
    if (code != 0)
      throw std::runtime_error("pipeline stage '" + name + "' ended with exit code " +
                               std::to_string(code) + " (see " + log +
                               "); re-run the same command to resume");
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    stages_.finish(name, seconds);
    spdlog::info("[{}/{}] {} finished in {}", index_, order_.size(), name,
                 train::format_duration(seconds));
  }

 private:
  fs::path run_;
  Stages& stages_;
  std::vector<std::string> order_;
  std::size_t index_ = 0;
};

// The summary: test scores of every model, then speed, then example parses.
void print_summary(const fs::path& run, const std::string& out,
                   const std::vector<std::string>& examples, const std::string& int8,
                   double seconds) {
  std::cout << "pipeline " << out << " (" << train::format_duration(seconds) << " this run)\n\n"
            << std::left << std::setw(16) << "model" << std::right << std::setw(9) << "domain"
            << std::setw(9) << "intent" << std::setw(9) << "slot F1" << std::setw(10) << "sentence"
            << "\n";
  for (const char* name : {"teacher", "student", "student-fp32", "student-int8"}) {
    const fs::path f = run / "eval" / (std::string(name) + ".json");
    if (!fs::exists(f)) continue;
    const auto j = nlohmann::json::parse(read_file(f.string()));
    std::cout << std::left << std::setw(16) << name << std::right << std::fixed
              << std::setprecision(2) << std::setw(9) << 100 * j.value("domain_acc", 0.0)
              << std::setw(9) << 100 * j.value("intent_acc", 0.0) << std::setw(9)
              << 100 * j.value("slot_f1", 0.0) << std::setw(10)
              << 100 * j.value("sentence_acc", 0.0) << "\n";
  }
  if (fs::exists(run / "bench.json")) {
    const auto b = nlohmann::json::parse(read_file((run / "bench.json").string()));
    std::cout << "\n"
              << std::left << std::setw(22) << "latency (1 thread)" << std::right << std::setw(10)
              << "p50 us" << std::setw(10) << "p99 us"
              << "\n";
    const auto models = b.value("models", nlohmann::json::array());
    const auto ratios = b.value("ratios", nlohmann::json::object());
    for (const auto& m : models)
      std::cout << std::left << std::setw(22) << m.value("name", "") << std::right
                << std::setprecision(1) << std::setw(10) << m.value("p50_us", 0.0) << std::setw(10)
                << m.value("p99_us", 0.0) << "\n";
    for (const auto& [k, v] : ratios.items())
      if (v.is_number())
        std::cout << "  " << k << ": " << std::setprecision(1) << v.get<double>() << "x\n";
  }
  if (!examples.empty()) {
    std::cout << "\nexamples (" << int8 << ")\n";
    const auto parser = runtime::StudentParser::open(int8);
    for (const auto& text : examples)
      std::cout << prediction_json_line(text, parser.parse(text)) << "\n";
  }
  std::cout << "\nnext: jointnlu report " << out << "   |   jointnlu serve --model " << int8
            << "\n";
}

}  // namespace

int run_pipeline(const Options& o) {
  const PipelineConfig config = PipelineConfig::load(o.config);
  const fs::path run(o.out);
  fs::create_directories(run / "logs");
  fs::create_directories(run / "eval");
  write_file_atomic((run / "config.json").string(), config.to_json().dump(2) + "\n");
  Stages stages(o.out);
  const ReadOptions read = o.read_options();
  const auto test = read_records(o.test, read);  // fail early on a bad test file

  const auto started = Clock::now();
  StageRunner stage(run, stages, {"teacher", "student", "export", "eval", "bench"});
  const std::string teacher_dir = (run / "teacher").string();
  const std::string student_dir = (run / "student").string();
  const std::string fp32 = (run / "student.fp32.safetensors").string();
  const std::string int8 = (run / "student.int8.safetensors").string();
  // A stage interrupted half-way left a resumable checkpoint: continue it.
  const auto resumable = [](const std::string& dir) {
    return fs::exists(fs::path(dir) / "trainer_state.json");
  };

  stage("teacher", [&] {
    train::TeacherRecipe t = config.teacher_recipe(o, teacher_dir);
    t.resume = resumable(teacher_dir);
    if (t.resume) t.init.clear();
    return print_outcome(train::train_teacher(t), t, false);
  });
  stage("student", [&] {
    train::StudentRecipe s = config.student_recipe(o, teacher_dir, student_dir);
    s.resume = resumable(student_dir);
    return print_outcome(train::distill(s), s, false);
  });
  stage("export", [&] {
    for (const auto& [path, q] : {std::pair{fp32, false}, std::pair{int8, true}}) {
      const auto r = runtime::export_student(student_dir, path, q);
      spdlog::info("exported {}: {:.2f} MB", path, static_cast<double>(r.file_bytes) / 1e6);
    }
    return 0;
  });
  stage("eval", [&] {
    const auto texts = texts_of_records(test);
    const auto write = [&](const std::string& name, const nlohmann::json& j) {
      write_file_atomic((run / "eval" / (name + ".json")).string(), j.dump(1) + "\n");
    };
    write("teacher", eval_json(test, train::load_predictor(teacher_dir).predict(texts, 64)));
    write("student", eval_json(test, train::load_predictor(student_dir).predict(texts, 64)));
    for (const auto& [name, path] :
         {std::pair<std::string, std::string>{"student-fp32", fp32}, {"student-int8", int8}}) {
      const auto parser = runtime::StudentParser::open(path);
      write(name, eval_json(test, parser.parse_batch(texts, 1)));
    }
    return 0;
  });
  stage("bench", [&] {
    if (!config.bench) return 0;
    bench::BenchRecipe b;
    b.teacher = teacher_dir;
    b.student = student_dir;
    b.data = o.test;
    b.max_chars = o.max_chars;
    write_file_atomic((run / "bench.json").string(),
                      bench::run_speed_bench(b).to_json().dump(1) + "\n");
    return 0;
  });

  print_summary(run, o.out, config.examples, int8,
                std::chrono::duration<double>(Clock::now() - started).count());
  return 0;
}

}  // namespace jointnlu::cli
