#include "bench/speed_bench.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "bench/runtime_floor.h"
#include "core/utf8.h"
#include "data/predict_input.h"
#include "jointnlu/jointnlu.h"
#include "runtime/export.h"
#include "runtime/kernels.h"
#include "runtime/student_model.h"
#include "train/predictor.h"

namespace jointnlu::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kWarmup = 20;
// Per engine: the time its rounds' single-thread passes take together, and again their all-threads
// passes.
constexpr double kMinSeconds = 1.0;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// A model's speed while it is being measured: every timed parse, and the texts parsed and seconds
// spent by the all-threads passes.
struct Timing : ModelSpeed {
  std::vector<double> all_us;
  double done = 0, busy = 0;
};

// How bench drives one engine: a text at a time on one thread, and a whole file as batches on all
// threads (switching the thread count where the engine has a global one).
struct Engine {
  std::function<void(const std::string&)> parse_one;
  std::function<void(const std::vector<std::string>&)> parse_all;
  std::function<void()> use_one_thread = [] {};
  std::function<void()> use_all_threads = [] {};
};

// Warm-up: a few single parses and one batched pass, so that no round pays first-use costs.
void warm_up(const std::vector<std::string>& texts, const Engine& e) {
  e.use_one_thread();
  for (int i = 0; i < kWarmup; ++i) e.parse_one(texts[static_cast<std::size_t>(i) % texts.size()]);
  e.use_all_threads();
  e.parse_all(texts);
}

// One round of one engine: a single-thread batch-1 pass (every text timed alone, at least once and
// again until its share of kMinSeconds is used), then an all-threads throughput pass of the same
// length. On a shared VM the machine's speed drifts by tens of percent over seconds, so everything
// is compared round by round: run_bench interleaves the engines within each round, the scaling is
// the median of the rounds' ratios, every ratio between engines the median of theirs, and the
// rounds' own p50s show how far the speed moved.
void measure_round(const std::vector<std::string>& texts, const Engine& e, int rounds, Timing& m) {
  e.use_one_thread();
  std::vector<double> us;
  auto start = Clock::now();
  do {
    for (const auto& t : texts) {
      const auto t0 = Clock::now();
      e.parse_one(t);
      us.push_back(seconds_since(t0) * 1e6);
    }
  } while (seconds_since(start) < kMinSeconds / rounds);
  m.round_p50_us.push_back(percentile(us, 0.5));
  double sum = 0;
  for (double u : us) sum += u;
  m.all_us.insert(m.all_us.end(), us.begin(), us.end());

  e.use_all_threads();
  double round_done = 0;
  start = Clock::now();
  do {
    e.parse_all(texts);
    round_done += static_cast<double>(texts.size());
  } while (seconds_since(start) < kMinSeconds / rounds);
  const double seconds = seconds_since(start);
  m.done += round_done;
  m.busy += seconds;
  m.round_scaling.push_back(round_done / seconds / (1e6 / (sum / static_cast<double>(us.size()))));
}

void finish(Timing& m) {
  m.p50_us = percentile(m.all_us, 0.5);
  m.p99_us = percentile(m.all_us, 0.99);
  double sum = 0;
  for (double u : m.all_us) sum += u;
  m.mean_us = sum / static_cast<double>(m.all_us.size());
  m.throughput_per_s = m.done / m.busy;
  m.all_us = {};
}

// Every engine is loaded first and then timed round by round, all engines within each round, so
// the ratios between engines compare the same stretches of the machine's speed.
struct Timed {
  Engine engine;
  Timing m;
  std::shared_ptr<const runtime::StudentModel> model;  // runtime engines: for the floor
};

Timed torch_engine(const std::string& name, const std::string& dir, int threads) {
  const auto predictor = std::make_shared<const train::JointPredictor>(train::load_predictor(dir));
  Timed t;
  t.m.name = name;
  t.m.threads = threads;
  t.engine.parse_one = [predictor](const std::string& text) { predictor->predict({text}, 1); };
  t.engine.parse_all = [predictor](const std::vector<std::string>& all) {
    predictor->predict(all, 64);
  };
  t.engine.use_one_thread = [] { torch::set_num_threads(1); };
  t.engine.use_all_threads = [threads] { torch::set_num_threads(threads); };
  return t;
}

// The runtime engines of one student: fp32 and int8 (named `label` fp32 / int8). int8 from a
// directory goes through a temporary export in `tmp`, exactly what users deploy.
void add_runtime_engines(std::vector<Timed>& engines, const std::string& student,
                         const std::string& label, const BenchRecipe& r, int threads,
                         const fs::path& tmp) {
  const bool dir = fs::is_directory(student);
  std::string f32_path = student, int8_path;
  if (dir) {
    fs::create_directories(tmp);
    int8_path = (tmp / (label.substr(0, label.find(' ')) + ".int8.safetensors")).string();
    runtime::export_student(student, int8_path, true);
  }
  for (const auto& [name, path] : {std::pair<std::string, std::string>{label + " fp32", f32_path},
                                   {label + " int8", int8_path}}) {
    if (path.empty()) continue;
    Timed t;
    t.model = runtime::StudentModel::load(path);
    const bool int8 = t.model->weight_type() == runtime::WeightType::kInt8;
    t.m.name = dir ? name : label + (int8 ? " int8" : " fp32");
    t.m.threads = threads;
    ParserOptions single;
    single.max_chars = r.max_chars;
    const auto parser = std::make_shared<const Parser>(Parser::open(path, single));
    ParserOptions many = single;
    many.threads = threads;
    const auto batch_parser = std::make_shared<const Parser>(Parser::open(path, many));
    t.engine.parse_one = [parser](const std::string& text) { parser->parse(text); };
    t.engine.parse_all = [batch_parser](const std::vector<std::string>& all) {
      batch_parser->parse_batch(all);
    };
    engines.push_back(std::move(t));
  }
}

// The floor of a runtime engine at the mean input length ([CLS] + tokens + [SEP]; about one token
// a character), recorded in the result and in the engine's note.
void add_floor(Timed& t, double mean_chars, BenchResult& result) {
  ModelSpeed& m = t.m;
  const bool int8 = t.model->weight_type() == runtime::WeightType::kInt8;
  const Cost cost = student_cost(t.model->config(), mean_chars + 2, int8 ? 1.0 : 4.0);
  const MachineSpeed speed = measure_machine(static_cast<std::size_t>(cost.working_set));
  const double compute_us = cost.flops / (int8 ? speed.int8_ops : speed.f32_flops) * 1e6;
  const double memory_us = cost.bytes / speed.bytes_per_s * 1e6;
  const double floor = std::max(compute_us, memory_us);
  if (!int8) result.floor_us = floor;
  // The floor is timed best-of, i.e. at the machine's fastest moments; the best round's p50
  // compares like with like, the overall p50 includes the slow stretches.
  m.note = "floor " + std::to_string(static_cast<int>(floor + 0.5)) + " us (" +
           (compute_us >= memory_us ? "compute" : "memory") + "), p50/floor " +
           std::to_string(m.p50_us / floor).substr(0, 4) + " (best round " +
           std::to_string(m.best_round_p50() / floor).substr(0, 4) + ")";
  result.floors[m.name] = {{"flops", cost.flops},
                           {"weight_bytes", cost.bytes},
                           {"working_set_bytes", cost.working_set},
                           {"peak_ops_per_s", int8 ? speed.int8_ops : speed.f32_flops},
                           {"read_bytes_per_s", speed.bytes_per_s},
                           {"compute_us", compute_us},
                           {"memory_us", memory_us},
                           {"floor_us", floor},
                           {"p50_over_floor", m.p50_us / floor},
                           {"best_round_p50_over_floor", m.best_round_p50() / floor}};
  spdlog::info("{}: floor {:.1f} us", m.name, floor);
}

// Each ratio is the median of the rounds' own ratios of p50s (the two engines ran seconds apart
// within a round), with their range.
void add_ratios(BenchResult& result) {
  const auto find = [&](const std::string& name) -> const ModelSpeed* {
    for (const auto& m : result.models)
      if (m.name == name) return &m;
    return nullptr;
  };
  const auto ratio = [&](const std::string& slow, const std::string& fast) {
    const auto *a = find(slow), *b = find(fast);
    if (!a || !b) return;
    std::vector<double> per_round;
    for (std::size_t r = 0; r < a->round_p50_us.size() && r < b->round_p50_us.size(); ++r)
      if (b->round_p50_us[r] > 0) per_round.push_back(a->round_p50_us[r] / b->round_p50_us[r]);
    if (per_round.empty()) return;
    const std::string key = slow + " / " + fast;
    result.ratios[key] = percentile(per_round, 0.5);
    result.ratio_rounds[key] = per_round;
  };
  ratio("teacher (libtorch)", "student (libtorch)");
  ratio("teacher (libtorch)", "runtime fp32");
  ratio("teacher (libtorch)", "runtime int8");
  ratio("student (libtorch)", "runtime fp32");
  ratio("student (libtorch)", "runtime int8");
  ratio("runtime fp32", "runtime int8");
  ratio("runtime fp32", "compare fp32");
  ratio("runtime int8", "compare int8");
}

}  // namespace

double ModelSpeed::best_round_p50() const {
  return round_p50_us.empty() ? p50_us
                              : *std::min_element(round_p50_us.begin(), round_p50_us.end());
}
double ModelSpeed::worst_round_p50() const {
  return round_p50_us.empty() ? p50_us
                              : *std::max_element(round_p50_us.begin(), round_p50_us.end());
}
double ModelSpeed::scaling() const {
  return round_scaling.empty() ? 0.0 : percentile(round_scaling, 0.5);
}

nlohmann::json BenchResult::to_json() const {
  nlohmann::json scaling = nlohmann::json::object();
  for (const auto& m : models) scaling[m.name] = m.scaling();
  nlohmann::json j{{"data", data},
                   {"utterances", utterances},
                   {"mean_chars", mean_chars},
                   {"threads", threads},
                   {"isa", isa},
                   {"ratios", ratios},
                   {"ratios_rounds", ratio_rounds},
                   {"throughput_over_single_thread", scaling},
                   {"floors", floors}};
  for (const auto& m : models)
    j["models"].push_back({{"name", m.name},
                           {"p50_us", m.p50_us},
                           {"p99_us", m.p99_us},
                           {"p50_rounds_us", m.round_p50_us},
                           {"throughput_over_single_thread_rounds", m.round_scaling},
                           {"mean_us", m.mean_us},
                           {"throughput_per_s", m.throughput_per_s},
                           {"threads", m.threads}});
  if (floor_us) j["floor_us"] = *floor_us;
  return j;
}

BenchResult run_speed_bench(const BenchRecipe& r) {
  if (r.student.empty() && r.teacher.empty())
    throw std::invalid_argument("bench: no model to time (give a student and/or a teacher)");
  const auto texts = read_predict_input(r.data, r.max_chars);
  if (texts.empty()) throw std::invalid_argument(r.data + ": no utterances to time");
  BenchResult result;
  result.data = r.data;
  result.utterances = texts.size();
  result.rounds = r.rounds;
  result.isa = runtime::isa_name(runtime::kernels().isa);
  const int all_threads = std::max(1u, std::thread::hardware_concurrency());
  result.threads = r.threads > 0 ? r.threads : all_threads;
  double chars = 0;
  for (const auto& t : texts) chars += static_cast<double>(decode_utf8(t)->chars.size());
  result.mean_chars = chars / static_cast<double>(texts.size());
  spdlog::info(
      "bench: {} utterances from {} ({:.1f} characters on average), {} threads for "
      "throughput",
      texts.size(), r.data, result.mean_chars, result.threads);

  std::vector<Timed> engines;
  if (!r.teacher.empty())
    engines.push_back(torch_engine("teacher (libtorch)", r.teacher, result.threads));
  if (!r.student.empty() && fs::is_directory(r.student))
    engines.push_back(torch_engine("student (libtorch)", r.student, result.threads));
  const fs::path tmp = fs::temp_directory_path() / ("jointnlu-bench-" + std::to_string(::getpid()));
  if (!r.student.empty())
    add_runtime_engines(engines, r.student, "runtime", r, result.threads, tmp);
  // A second student timed in the same rounds (e.g. the same architecture without a lexicon).
  if (!r.compare_student.empty())
    add_runtime_engines(engines, r.compare_student, "compare", r, result.threads, tmp);
  for (const auto& t : engines) warm_up(texts, t.engine);
  for (int round = 0; round < r.rounds; ++round) {
    for (auto& t : engines) measure_round(texts, t.engine, r.rounds, t.m);
    spdlog::info("bench: round {}/{} done", round + 1, r.rounds);
  }
  if (fs::exists(tmp)) fs::remove_all(tmp);
  for (auto& t : engines) {
    finish(t.m);
    spdlog::info("{}: p50 {:.1f} us", t.m.name, t.m.p50_us);
    if (t.model) add_floor(t, result.mean_chars, result);
    result.models.push_back(static_cast<const ModelSpeed&>(t.m));
  }
  add_ratios(result);
  return result;
}

}  // namespace jointnlu::bench
