// `jointnlu bench`: per-utterance latency and batched throughput of the teacher (libtorch), the
// student (libtorch) and the student runtime (fp32 and int8), over every utterance of a file, with
// the ratios and the runtime's own floor (the time its arithmetic and weight traffic need at the
// speeds this machine measurably reaches). Lives in the plugin because two of the four engines are
// libtorch models.
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "core/predict_input.h"
#include "core/utf8.h"
#include "jointnlu/jointnlu.h"
#include "runtime/export.h"
#include "runtime/kernels.h"
#include "runtime/student_model.h"
#include "train/predictor.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {
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

struct Measurement {
  std::string name;
  double p50_us = 0, p99_us = 0, mean_us = 0;  // over every timed parse of every round
  std::vector<double> round_p50_us;            // p50 of each round alone
  // Each round's all-threads throughput over its own single-thread rate (1 / mean latency).
  std::vector<double> round_scaling;
  double throughput_per_s = 0;
  int threads = 0;
  std::string note;
  std::vector<double> all_us;  // every timed parse, until finish()
  double done = 0, busy = 0;   // texts parsed and seconds spent by the all-threads passes

  double best_round_p50() const {
    return round_p50_us.empty() ? p50_us
                                : *std::min_element(round_p50_us.begin(), round_p50_us.end());
  }
  double scaling() const { return round_scaling.empty() ? 0.0 : percentile(round_scaling, 0.5); }
  double worst_round_p50() const {
    return round_p50_us.empty() ? p50_us
                                : *std::max_element(round_p50_us.begin(), round_p50_us.end());
  }
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
void measure_round(const std::vector<std::string>& texts, const Engine& e, int rounds,
                   Measurement& m) {
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

void finish(Measurement& m) {
  m.p50_us = percentile(m.all_us, 0.5);
  m.p99_us = percentile(m.all_us, 0.99);
  double sum = 0;
  for (double u : m.all_us) sum += u;
  m.mean_us = sum / static_cast<double>(m.all_us.size());
  m.throughput_per_s = m.done / m.busy;
  m.all_us = {};
}

// What this core reaches: the runtime's own fp32 / int8 GEMM on cache-resident operands, and the
// read bandwidth (the widest loads the kernels use) over a buffer as large as the biggest matrix
// the model re-reads at every time step: where that matrix sits (L1, L2 or memory) decides the
// speed.
struct MachineSpeed {
  double f32_flops = 0, int8_ops = 0, bytes_per_s = 0;
};

// The best rate of many short timed rounds of round() (each doing `work` units) over `seconds`: a
// floor wants the speed the hardware can give, not the average over interruptions (on a shared
// 2-vCPU VM the average of one 0.2 s run moved the floor by up to 40% between runs).
template <typename Round>
double best_rate(double work, double seconds, Round&& round) {
  double best = 0;
  const auto start = Clock::now();
  do {
    const auto t0 = Clock::now();
    round();
    best = std::max(best, work / seconds_since(t0));
  } while (seconds_since(start) < seconds);
  return best;
}

MachineSpeed measure_machine(std::size_t working_set_bytes) {
  MachineSpeed s;
  const std::size_t n = 256, k = 256, m = 32;
  std::vector<float> w(n * k), x(m * k), y(m * n);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) * 0.01f;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.1f;
  const auto& kern = runtime::kernels();
  const auto pf = runtime::PackedMatrix::pack_f32(w, n, k);
  const auto pq = runtime::PackedMatrix::pack_int8(w, n, k);
  runtime::QuantizedActivations qx(m, k);
  kern.quantize_rows(x.data(), m, k, qx);
  constexpr int kCalls = 20;  // per round
  const double ops = 2.0 * static_cast<double>(m * n * k) * kCalls;
  s.f32_flops = best_rate(ops, 0.3, [&] {
    for (int r = 0; r < kCalls; ++r) kern.gemm_f32(pf, x.data(), m, nullptr, y.data(), false);
  });
  s.int8_ops = best_rate(ops, 0.3, [&] {
    for (int r = 0; r < kCalls; ++r) kern.gemm_int8(pq, qx, nullptr, y.data(), false);
  });
  const std::size_t bytes = std::max<std::size_t>((working_set_bytes + 255) / 256 * 256, 4096);
  const runtime::AlignedBytes buffer = runtime::allocate_aligned(bytes);
  volatile std::uint64_t sink = 0;
  const std::size_t passes = std::max<std::size_t>(1, (1u << 20) / bytes);
  const auto read_all = [&] {
    for (std::size_t i = 0; i < passes; ++i) sink = sink + kern.read_bytes(buffer.get(), bytes);
  };
  read_all();  // warm: the buffer should sit wherever the model's matrix would
  s.bytes_per_s = best_rate(static_cast<double>(bytes * passes), 0.2, read_all);
  return s;
}

// FLOPs and weight bytes touched by one utterance of `tokens` tokens through the runtime student.
// Each input projection W_ih needs reading once (one product over all time steps), but every
// recurrent step needs all of W_hh again: at H = 128 one direction's W_hh is 256 KB fp32 (64 KB
// int8), too big for L1, so it streams from L2 at each of the tokens - 1 steps. That stream, not
// the arithmetic, is what bounds a batch-1 BiLSTM.
struct Cost {
  double flops = 0, bytes = 0, working_set = 0;
};

Cost student_cost(const runtime::StudentConfig& c, double tokens, double weight_width) {
  Cost cost;
  const double h = static_cast<double>(c.hidden_size), e = static_cast<double>(c.embedding_size);
  const double tags = static_cast<double>(c.labels.tags().size());
  const double classes = static_cast<double>(c.labels.domains().size() + c.labels.intents().size());
  const double steps = std::max(0.0, tokens - 1);
  for (std::size_t l = 0; l < c.num_layers; ++l) {
    const double in = l == 0 ? e : 2 * h;
    cost.flops += 2 * (2 * tokens * 4 * h * in + 2 * steps * 4 * h * h);
    cost.bytes += 2 * (4 * h * in + steps * 4 * h * h) * weight_width;
    cost.working_set = std::max(cost.working_set, 4 * h * h * weight_width);
  }
  if (c.pooling == runtime::Pooling::kAttention) {
    const double a = static_cast<double>(c.attention_size);
    cost.flops += 2 * tokens * a * 2 * h + 2 * tokens * a;
    cost.bytes += a * 2 * h * weight_width;
  }
  cost.flops += 2 * classes * 2 * h + 2 * tokens * tags * 2 * h;
  cost.bytes += (classes + tags) * 2 * h * weight_width + tokens * e * weight_width;
  return cost;
}

void print_table(std::ostream& out, const std::vector<Measurement>& ms) {
  out << std::left << std::setw(26) << "model" << std::right << std::setw(11) << "p50 us"
      << std::setw(19) << "rounds' p50 us" << std::setw(11) << "p99 us" << std::setw(11)
      << "mean us" << std::setw(14) << "utt/s (all)"
      << "\n";
  out << std::fixed << std::setprecision(1);
  for (const auto& m : ms) {
    std::ostringstream range;
    range << std::fixed << std::setprecision(1) << m.best_round_p50() << "-" << m.worst_round_p50();
    out << std::left << std::setw(26) << m.name << std::right << std::setw(11) << m.p50_us
        << std::setw(19) << range.str() << std::setw(11) << m.p99_us << std::setw(11) << m.mean_us
        << std::setw(14) << m.throughput_per_s << (m.note.empty() ? "" : "  " + m.note) << "\n";
  }
}

}  // namespace

int run_bench(const Options& o) {
  if (o.student.empty() && o.teacher.empty())
    throw std::invalid_argument("bench needs --student and/or --teacher");
  const std::string& data = o.data;
  const auto texts = read_predict_input(data, o.max_chars);
  if (texts.empty()) throw std::invalid_argument(data + ": no utterances to time");
  const int all_threads = std::max(1u, std::thread::hardware_concurrency());
  const int threads = o.threads > 0 ? o.threads : all_threads;
  double chars = 0;
  for (const auto& t : texts) chars += static_cast<double>(decode_utf8(t)->chars.size());
  spdlog::info(
      "bench: {} utterances from {} ({:.1f} characters on average), {} threads for "
      "throughput",
      texts.size(), data, chars / static_cast<double>(texts.size()), threads);

  // Every engine is loaded first and then timed round by round, all engines within each round, so
  // the ratios between engines compare the same stretches of the machine's speed.
  struct Timed {
    Engine engine;
    Measurement m;
    std::shared_ptr<const runtime::StudentModel> model;  // runtime engines: for the floor
  };
  std::vector<Timed> engines;
  const auto torch_engine = [&](const std::string& name, const std::string& dir) {
    const auto predictor =
        std::make_shared<const train::JointPredictor>(train::load_predictor(dir));
    Timed t;
    t.m.name = name;
    t.m.threads = threads;
    t.engine.parse_one = [predictor](const std::string& text) { predictor->predict({text}, 1); };
    t.engine.parse_all = [predictor](const std::vector<std::string>& all) {
      predictor->predict(all, 64);
    };
    t.engine.use_one_thread = [] { torch::set_num_threads(1); };
    t.engine.use_all_threads = [threads] { torch::set_num_threads(threads); };
    engines.push_back(std::move(t));
  };
  if (!o.teacher.empty()) torch_engine("teacher (libtorch)", o.teacher);
  const bool student_dir = !o.student.empty() && fs::is_directory(o.student);
  if (student_dir) torch_engine("student (libtorch)", o.student);

  const fs::path tmp = fs::temp_directory_path() / ("jointnlu-bench-" + std::to_string(::getpid()));
  // The runtime engines of one student: fp32 and int8 (named `label` fp32 / int8).
  const auto runtime_engines = [&](const std::string& student, const std::string& label) {
    const bool dir = fs::is_directory(student);
    // int8 from a directory goes through a temporary export, exactly what users deploy.
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
      single.max_chars = o.max_chars;
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
  };
  if (!o.student.empty()) runtime_engines(o.student, "runtime");
  // A second student timed in the same rounds (e.g. the same architecture without a lexicon).
  if (!o.compare_student.empty()) runtime_engines(o.compare_student, "compare");
  for (const auto& t : engines) warm_up(texts, t.engine);
  for (int r = 0; r < o.rounds; ++r) {
    for (auto& t : engines) measure_round(texts, t.engine, o.rounds, t.m);
    spdlog::info("bench: round {}/{} done", r + 1, o.rounds);
  }
  if (fs::exists(tmp)) fs::remove_all(tmp);

  std::vector<Measurement> ms;
  std::optional<double> floor_f32, floor_int8;
  nlohmann::json floors = nlohmann::json::object();
  for (auto& t : engines) {
    Measurement& m = t.m;
    finish(m);
    spdlog::info("{}: p50 {:.1f} us", m.name, m.p50_us);
    if (t.model) {
      const bool int8 = t.model->weight_type() == runtime::WeightType::kInt8;
      // The floor at the mean input length ([CLS] + tokens + [SEP]; about one token a character).
      const double tokens = chars / static_cast<double>(texts.size()) + 2;
      const Cost cost = student_cost(t.model->config(), tokens, int8 ? 1.0 : 4.0);
      const MachineSpeed speed = measure_machine(static_cast<std::size_t>(cost.working_set));
      const double compute_us = cost.flops / (int8 ? speed.int8_ops : speed.f32_flops) * 1e6;
      const double memory_us = cost.bytes / speed.bytes_per_s * 1e6;
      const double floor = std::max(compute_us, memory_us);
      (int8 ? floor_int8 : floor_f32) = floor;
      // The floor is timed best-of, i.e. at the machine's fastest moments; the best round's p50
      // compares like with like, the overall p50 includes the slow stretches.
      m.note = "floor " + std::to_string(static_cast<int>(floor + 0.5)) + " us (" +
               (compute_us >= memory_us ? "compute" : "memory") + "), p50/floor " +
               std::to_string(m.p50_us / floor).substr(0, 4) + " (best round " +
               std::to_string(m.best_round_p50() / floor).substr(0, 4) + ")";
      floors[m.name] = {{"flops", cost.flops},
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
    ms.push_back(m);
  }

  // Each ratio is the median of the rounds' own ratios of p50s (the two engines ran seconds apart
  // within a round), with their range.
  nlohmann::json ratios = nlohmann::json::object(), ratio_rounds = nlohmann::json::object();
  const auto find = [&](const std::string& name) -> const Measurement* {
    for (const auto& m : ms)
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
    ratios[key] = percentile(per_round, 0.5);
    ratio_rounds[key] = per_round;
  };
  ratio("teacher (libtorch)", "student (libtorch)");
  ratio("teacher (libtorch)", "runtime fp32");
  ratio("teacher (libtorch)", "runtime int8");
  ratio("student (libtorch)", "runtime fp32");
  ratio("student (libtorch)", "runtime int8");
  ratio("runtime fp32", "runtime int8");
  ratio("runtime fp32", "compare fp32");
  ratio("runtime int8", "compare int8");
  nlohmann::json scaling = nlohmann::json::object();
  for (const auto& m : ms) scaling[m.name] = m.scaling();

  if (o.json) {
    nlohmann::json j{{"data", data},
                     {"utterances", texts.size()},
                     {"mean_chars", chars / static_cast<double>(texts.size())},
                     {"threads", threads},
                     {"isa", runtime::isa_name(runtime::kernels().isa)},
                     {"ratios", ratios},
                     {"ratios_rounds", ratio_rounds},
                     {"throughput_over_single_thread", scaling},
                     {"floors", floors}};
    for (const auto& m : ms)
      j["models"].push_back({{"name", m.name},
                             {"p50_us", m.p50_us},
                             {"p99_us", m.p99_us},
                             {"p50_rounds_us", m.round_p50_us},
                             {"throughput_over_single_thread_rounds", m.round_scaling},
                             {"mean_us", m.mean_us},
                             {"throughput_per_s", m.throughput_per_s},
                             {"threads", m.threads}});
    if (floor_f32) j["floor_us"] = *floor_f32;
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  std::cout << texts.size() << " utterances, " << std::setprecision(3)
            << chars / static_cast<double>(texts.size())
            << " characters on average; latency: 1 thread, batch 1, " << o.rounds
            << " rounds; throughput: " << threads << " threads, batches\n\n";
  print_table(std::cout, ms);
  std::cout << "\n";
  for (const auto& [name, value] : ratios.items()) {
    const std::vector<double> rounds = ratio_rounds[name];
    const auto [lo, hi] = std::minmax_element(rounds.begin(), rounds.end());
    std::cout << std::left << std::setw(52) << name << std::right << std::fixed
              << std::setprecision(1) << value.get<double>() << "x (rounds " << *lo << "-" << *hi
              << ")\n";
  }
  for (const auto& m : ms) {
    const auto [lo, hi] = std::minmax_element(m.round_scaling.begin(), m.round_scaling.end());
    std::cout << std::left << std::setw(52) << ("throughput / single-thread, " + m.name)
              << std::right << std::fixed << std::setprecision(2) << m.scaling() << "x (rounds "
              << *lo << "-" << *hi << ")\n";
  }
  return 0;
}

}  // namespace jointnlu::cli
