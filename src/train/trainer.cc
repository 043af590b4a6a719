#include "train/trainer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"
#include "train/checkpoint.h"
#include "train/train_utils.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateFile = "trainer_state.json";
constexpr const char* kResumeFile = "resume.safetensors";
constexpr const char* kOptimizerFile = "optimizer.pt";
constexpr const char* kCurvesFile = "training.csv";
constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kRngTensor = "rng.torch_cpu";
constexpr const char* kModelPrefix = "model.";
const std::vector<std::string> kCurveColumns = {"epoch",
                                                "step",
                                                "lr",
                                                "train_loss",
                                                "domain_loss",
                                                "intent_loss",
                                                "slot_loss",
                                                "dev_domain_acc",
                                                "dev_intent_acc",
                                                "dev_slot_f1",
                                                "dev_sentence_acc",
                                                "epoch_seconds",
                                                "best"};

// Where the loop is; what trainer_state.json holds.
struct LoopState {
  int epoch = 0;          // epochs completed
  std::int64_t step = 0;  // optimizer steps taken
  std::size_t batch = 0;  // batches of epoch `epoch` already taken
  int best_epoch = 0;
  std::vector<double> best_key;
  int bad_epochs = 0;  // epochs since the best one
  std::string curves;  // training.csv so far

  nlohmann::json to_json() const {
    return {{"epoch", epoch},           {"step", step},         {"batch", batch},
            {"best_epoch", best_epoch}, {"best_key", best_key}, {"bad_epochs", bad_epochs}};
  }
  static LoopState from_json(const nlohmann::json& j) {
    LoopState s;
    s.epoch = j.at("epoch").get<int>();
    s.step = j.at("step").get<std::int64_t>();
    s.batch = j.at("batch").get<std::size_t>();
    s.best_epoch = j.at("best_epoch").get<int>();
    s.best_key = j.at("best_key").get<std::vector<double>>();
    s.bad_epochs = j.at("bad_epochs").get<int>();
    return s;
  }
};

struct Running {
  double total = 0, domain = 0, intent = 0, slots = 0;
  std::int64_t batches = 0;
  void add(double t, double d, double i, double s) {
    total += t, domain += d, intent += i, slots += s;
    ++batches;
  }
  double mean(double sum) const { return batches ? sum / static_cast<double>(batches) : 0.0; }
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

StateDict snapshot(const torch::nn::Module& module) {
  StateDict out = state_dict(module, /*include_tied_aliases=*/false);
  for (auto& [name, tensor] : out) tensor = tensor.clone();
  return out;
}

bool decays(const std::string& name) {
  const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
  return !bias && name.find("LayerNorm") == std::string::npos &&
         name.find("layer_norm") == std::string::npos;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& module,
                                                    const TrainerOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    (decays(p.key()) ? decay : no_decay).push_back(p.value());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay).eps(1e-8)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(o.lr).weight_decay(0.0).eps(1e-8)));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(o.lr));
}

void set_lr(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

// One epoch's batches: a random order, except that examples are sorted by length within windows of
// kSortWindow batches before being cut into batches, and the batches are then shuffled. Batches pad
// to their longest member, and utterance lengths vary a lot (SMP2019: 2 to 40+ characters), so this
// roughly halves the padding computed on while keeping batches random.
constexpr std::size_t kSortWindow = 50;

std::vector<std::vector<std::size_t>> epoch_batches(const std::vector<EncodedExample>& train,
                                                    std::size_t batch_size, std::mt19937_64& rng) {
  std::vector<std::size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const std::size_t window = batch_size * kSortWindow;
  for (std::size_t first = 0; first < order.size(); first += window) {
    const auto last =
        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), first + window));
    std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(first), last,
                     [&](std::size_t a, std::size_t b) {
                       return train[a].input.ids.size() < train[b].input.ids.size();
                     });
  }
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t first = 0; first < order.size(); first += batch_size)
    batches.emplace_back(
        order.begin() + static_cast<std::ptrdiff_t>(first),
        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), first + batch_size)));
  std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

std::string curve_row(const std::vector<std::string>& values) {
  std::string row;
  for (std::size_t i = 0; i < values.size(); ++i) row += (i ? "," : "") + values[i];
  return row + "\n";
}

// The files that make a checkpoint directory resumable (see trainer.h).
void add_resume_state(CheckpointContents& c, const LoopState& s, const torch::nn::Module& module,
                      torch::optim::AdamW& optimizer) {
  c.files[kStateFile] = s.to_json().dump(2) + "\n";
  c.files[kCurvesFile] = s.curves;
  std::ostringstream opt;
  torch::save(optimizer, opt);
  c.files[kOptimizerFile] = opt.str();
  StateDict resume;
  for (const auto& [name, tensor] : state_dict(module, false)) resume[kModelPrefix + name] = tensor;
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    resume[kRngTensor] = generator.get_state();
  }
  c.extra_tensor_files[kResumeFile] = std::move(resume);
}

// A file of the checkpoint directory: read on rank 0 (or alone) and sent to the other ranks, which
// need not see the directory.
std::string fetch(const fs::path& path, DataParallel* parallel) {
  std::string bytes;
  if (!parallel || parallel->is_root()) bytes = read_file(path.string());
  if (parallel) parallel->broadcast_bytes(bytes);
  return bytes;
}

// Restores what add_resume_state saved: the latest weights into the module, the optimizer, torch's
// RNG; the best weights into `best`. Returns the loop state.
LoopState load_resume_state(const std::string& dir, torch::nn::Module& module,
                            torch::optim::AdamW& optimizer, StateDict& best,
                            DataParallel* parallel) {
  const fs::path out(dir);
  if (!parallel || parallel->is_root()) {
    recover_checkpoint_dir(dir);
    if (!fs::exists(out / kStateFile))
      throw std::runtime_error(dir + ": nothing to resume (no " + kStateFile + ")");
  }
  LoopState s;
  try {
    s = LoopState::from_json(nlohmann::json::parse(fetch(out / kStateFile, parallel)));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error((out / kStateFile).string() + ": " + e.what());
  }
  s.curves = fetch(out / kCurvesFile, parallel);
  StateDict resume =
      parse_safetensors(fetch(out / kResumeFile, parallel), (out / kResumeFile).string());
  StateDict weights;
  for (const auto& [name, tensor] : resume)
    if (name.rfind(kModelPrefix, 0) == 0) weights[name.substr(std::strlen(kModelPrefix))] = tensor;
  LoadOptions strict;
  strict.error_on_unexpected = true;
  load_state_dict(module, weights, strict);
  best = parse_safetensors(fetch(out / kModelFile, parallel), (out / kModelFile).string());
  std::istringstream optimizer_bytes(fetch(out / kOptimizerFile, parallel));
  torch::load(optimizer, optimizer_bytes);
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(resume.at(kRngTensor));
  }
  return s;
}

}  // namespace

std::vector<double> selection_key(const Scores& s) {
  return {s.sentence_accuracy(), s.intent_accuracy(), s.slot_f1(), s.domain_accuracy()};
}

Trainer::Trainer(JointModel model, JointCriterion criterion, const Batcher& batcher,
                 TrainerOptions options, TrainerHooks hooks, std::shared_ptr<DataParallel> parallel)
    : model_(std::move(model)),
      criterion_(std::move(criterion)),
      batcher_(batcher),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      parallel_(std::move(parallel)) {
  if (options_.out_dir.empty()) throw std::invalid_argument("trainer: no output directory");
  if (!hooks_.checkpoint) throw std::invalid_argument("trainer: no checkpoint hook");
  if (options_.batch_size == 0) throw std::invalid_argument("trainer: batch size 0");
}

namespace {

// One fit(): the epochs of a fresh or resumed run, a checkpoint after each (and at a stop).
class FitRun {
 public:
  FitRun(JointModel& model, JointCriterion& criterion, const Batcher& batcher,
         const TrainerOptions& options, const TrainerHooks& hooks,
         const std::vector<EncodedExample>& train, DataParallel* parallel)
      : parallel_(parallel),
        model_(model),
        criterion_(criterion),
        batcher_(batcher),
        options_(options),
        hooks_(hooks),
        train_(train),
        module_(*model.module),
        optimizer_(make_optimizer(module_, options)),
        batches_per_epoch_((train.size() + options.batch_size - 1) / options.batch_size) {
    const auto total_steps = static_cast<std::int64_t>(batches_per_epoch_) * options_.epochs;
    schedule_.peak = options_.lr;
    schedule_.total = total_steps;
    schedule_.warmup = options_.warmup < 1.0
                           ? static_cast<std::int64_t>(std::llround(options_.warmup * total_steps))
                           : static_cast<std::int64_t>(options_.warmup);
    if (parallel_) agree_on_job();
    if (options_.resume) {
      s_ = load_resume_state(options_.out_dir, module_, *optimizer_, best_, parallel_);
      spdlog::info("resuming {} at epoch {}, step {} (best: epoch {})", options_.out_dir,
                   s_.epoch + 1, s_.step, s_.best_epoch);
    } else {
      s_.curves = curve_row(kCurveColumns);
    }
    if (parallel_) start_parallel();
  }

  TrainResult run() {
    StopSignal::install();
    while (s_.epoch < options_.epochs) {
      // Epoch e's batches depend only on (seed, e): a resumed run replays the same ones.
      std::mt19937_64 rng(options_.seed + static_cast<std::uint64_t>(s_.epoch));
      const auto batches = epoch_batches(train_, options_.batch_size, rng);
      Running running;
      double lr = 0;
      const auto started = std::chrono::steady_clock::now();
      if (!run_epoch(batches, running, lr)) {
        result_.epochs_completed = s_.epoch;
        result_.best_epoch = s_.best_epoch;
        return result_;
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      epoch_seconds_.push_back(seconds);
      ++s_.epoch;
      s_.batch = 0;
      if (end_epoch(running, lr, seconds)) {
        result_.early_stopped = true;
        break;
      }
    }
    if (!best_.empty()) load_state_dict(module_, best_);
    result_.epochs_completed = s_.epoch;
    result_.best_epoch = s_.best_epoch;
    if (!epoch_seconds_.empty())
      result_.mean_epoch_seconds =
          std::accumulate(epoch_seconds_.begin(), epoch_seconds_.end(), 0.0) /
          static_cast<double>(epoch_seconds_.size());
    if (hooks_.evaluate) result_.best_dev = hooks_.evaluate();
    return result_;
  }

 private:
  // Refuses a job whose ranks were started differently (distributed.h: agree).
  void agree_on_job() {
    Fingerprint data;
    for (const auto& e : train_) {
      for (const auto id : e.input.ids) data.add(static_cast<std::int64_t>(id));
      for (const auto t : e.slot_tags) data.add(t);
      data.add(e.domain).add(e.intent);
    }
    std::vector<std::pair<std::string, std::string>> fields = {
        {"world size", std::to_string(parallel_->world_size())},
        {"model", model_fingerprint(module_)},
        {"training examples", std::to_string(train_.size()) + " (hash " + data.hex() + ")"},
        {"batch size", std::to_string(options_.batch_size)},
        {"epochs", std::to_string(options_.epochs)},
        {"learning rate", num(options_.lr)},
        {"seed", std::to_string(options_.seed)},
        {"resume", options_.resume ? "yes" : "no"},
        {"step limit", std::to_string(options_.max_steps)}};
    fields.insert(fields.end(), hooks_.job.begin(), hooks_.job.end());
    parallel_->agree(fields);
  }

  // Every rank starts from rank 0's parameters and buffers; the other ranks then draw their own
  // dropout masks (a rank-dependent seed), as one process would for different rows.
  void start_parallel() {
    std::vector<torch::Tensor> tensors;
    for (const auto& [name, t] : state_dict(module_, /*include_tied_aliases=*/false))
      tensors.push_back(t);
    parallel_->broadcast(tensors);
    if (!parallel_->is_root())
      torch::manual_seed(options_.seed +
                         0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(parallel_->rank()) +
                         static_cast<std::uint64_t>(s_.step));
    spdlog::info("data-parallel: {} ranks, {} examples per rank and step", parallel_->world_size(),
                 (options_.batch_size + static_cast<std::size_t>(parallel_->world_size()) - 1) /
                     static_cast<std::size_t>(parallel_->world_size()));
  }

  bool writes() const { return !parallel_ || parallel_->is_root(); }

  void save(const StateDict& best_weights) {
    if (!writes()) return;
    CheckpointContents c = hooks_.checkpoint(best_weights);
    add_resume_state(c, s_, module_, *optimizer_);
    write_checkpoint_dir(options_.out_dir, c);
  }

  // The remaining batches of the epoch; false when a signal or the step limit stopped the run (a
  // resumable state is then saved).
  bool run_epoch(const std::vector<std::vector<std::size_t>>& batches, Running& running,
                 double& lr) {
    Progress progress(
        "epoch " + std::to_string(s_.epoch + 1) + "/" + std::to_string(options_.epochs),
        static_cast<std::int64_t>(train_.size()), "ex", options_.progress_interval);
    const auto tail = [&] {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "step %lld | loss %.4f (domain %.3f intent %.3f slots %.3f) | lr %.2e",
                    static_cast<long long>(s_.step), running.mean(running.total),
                    running.mean(running.domain), running.mean(running.intent),
                    running.mean(running.slots), lr);
      return std::string(buf);
    };
    for (; s_.batch < batches_per_epoch_; ++s_.batch) {
      const bool at_max = options_.max_steps > 0 && s_.step >= options_.max_steps;
      // A data-parallel job stops together: the step's first collective carries the signal.
      const bool stop = parallel_ ? shard_step_begin(batches[s_.batch]) : StopSignal::requested();
      if (stop || at_max) {
        result_.stop_signal = StopSignal::signal_number();
        if (stop && !result_.stop_signal) result_.stop_signal = SIGTERM;  // another rank's
        result_.stopped_at_max_steps = at_max && !result_.stop_signal;
        spdlog::info("{} at step {}: saving a resumable state to {}",
                     result_.stop_signal ? "stop requested" : "the step limit reached", s_.step,
                     options_.out_dir);
        save(s_.best_epoch > 0 ? best_ : snapshot(module_));
        return false;
      }
      lr = schedule_.at(s_.step);
      step(batches[s_.batch], lr, running);
      progress.update(
          static_cast<std::int64_t>(std::min(train_.size(), (s_.batch + 1) * options_.batch_size)),
          tail());
    }
    progress.finish(tail());
    return true;
  }

  // Data-parallel: this rank's share of the batch is collated, and one all-reduce sums the loss
  // denominators of the shards and the ranks' stop requests. Returns whether any rank must stop.
  bool shard_step_begin(const std::vector<std::size_t>& indices) {
    const auto [first, last] = parallel_->shard(indices.size());
    std::vector<const EncodedExample*> members;
    for (std::size_t i = first; i < last; ++i) members.push_back(&train_[indices[i]]);
    shard_.reset();
    std::vector<double> sums(6, 0.0);
    if (!members.empty()) {
      shard_ = batcher_.collate(members);
      sums = criterion_.denominators(*shard_).values();
      sums.push_back(0.0);
    }
    sums[5] = StopSignal::requested() ? 1.0 : 0.0;
    sums = parallel_->all_reduce_sum(sums);
    // Each rank divides by the global denominators over world size: the average of the ranks'
    // gradients is then the gradient of the whole batch's loss.
    for (std::size_t i = 0; i < 5; ++i) sums[i] /= parallel_->world_size();
    over_ = LossDenominators::from(sums);
    return sums[5] > 0;
  }

  void step(const std::vector<std::size_t>& indices, double lr, Running& running) {
    module_.train();
    set_lr(*optimizer_, lr);
    optimizer_->zero_grad();
    JointLoss loss;
    if (parallel_) {
      std::vector<double> parts(4, 0.0);
      if (shard_) {
        loss = criterion_(model_.forward(*shard_), *shard_, over_);
        loss.total.backward();
        parts = {loss.total.item<double>(), loss.domain.item<double>(), loss.intent.item<double>(),
                 loss.slots.item<double>()};
      }
      parallel_->average_gradients(module_.parameters());
      parts = parallel_->all_reduce_sum(parts);
      for (auto& p : parts) p /= parallel_->world_size();
      running.add(parts[0], parts[1], parts[2], parts[3]);
    } else {
      std::vector<const EncodedExample*> members;
      for (std::size_t i : indices) members.push_back(&train_[i]);
      const Batch batch = batcher_.collate(members);
      loss = criterion_(model_.forward(batch), batch);
      loss.total.backward();
      running.add(loss.total.item<double>(), loss.domain.item<double>(), loss.intent.item<double>(),
                  loss.slots.item<double>());
    }
    if (options_.clip_norm > 0)
      torch::nn::utils::clip_grad_norm_(module_.parameters(), options_.clip_norm);
    optimizer_->step();
    ++s_.step;
  }

  // Dev evaluation, model selection, the log line, the curve row, the checkpoint and the
  // on_epoch callback; true when early stopping ends the run.
  bool end_epoch(const Running& running, double lr, double seconds) {
    std::vector<std::string> dev_cells(4, "");
    bool improved = true;
    std::string dev_text;
    EpochReport report;
    report.epoch = s_.epoch;
    report.epochs = options_.epochs;
    report.step = s_.step;
    report.seconds = seconds;
    report.loss = running.mean(running.total);
    if (hooks_.evaluate) {
      const auto t0 = std::chrono::steady_clock::now();
      const Scores dev = hooks_.evaluate();
      report.dev = dev;
      const double eval_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto key = selection_key(dev);
      improved = s_.best_epoch == 0 || key > s_.best_key;
      // Rank 0's judgement decides for every rank (their scores agree; its decision is the law).
      if (parallel_)
        improved = parallel_->all_reduce_sum({parallel_->is_root() && improved ? 1.0 : 0.0})[0] > 0;
      if (improved) s_.best_key = key;
      dev_cells = {num(dev.domain_accuracy()), num(dev.intent_accuracy()), num(dev.slot_f1()),
                   num(dev.sentence_accuracy())};
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    " | dev domain %.4f intent %.4f slot F1 %.4f sentence %.4f (%.1f s)",
                    dev.domain_accuracy(), dev.intent_accuracy(), dev.slot_f1(),
                    dev.sentence_accuracy(), eval_seconds);
      dev_text = buf;
    }
    if (improved) {
      best_ = snapshot(module_);
      s_.best_epoch = s_.epoch;
      s_.bad_epochs = 0;
    } else {
      ++s_.bad_epochs;
    }
    spdlog::info("epoch {}/{}: {:.1f} s, loss {:.4f}{}{}", s_.epoch, options_.epochs, seconds,
                 running.mean(running.total), dev_text, improved ? " (best)" : "");
    s_.curves += curve_row({std::to_string(s_.epoch), std::to_string(s_.step), num(lr),
                            num(running.mean(running.total)), num(running.mean(running.domain)),
                            num(running.mean(running.intent)), num(running.mean(running.slots)),
                            dev_cells[0], dev_cells[1], dev_cells[2], dev_cells[3], num(seconds),
                            improved ? "1" : "0"});
    save(best_);
    report.best = improved;
    if (hooks_.on_epoch) hooks_.on_epoch(report);
    if (hooks_.evaluate && options_.patience > 0 && s_.bad_epochs >= options_.patience) {
      spdlog::info("early stopping: no dev improvement for {} epochs (best: epoch {})",
                   s_.bad_epochs, s_.best_epoch);
      return true;
    }
    return false;
  }

  DataParallel* parallel_;
  std::optional<Batch> shard_;  // this rank's share of the current batch (data-parallel)
  LossDenominators over_;       // what the shards divide by (data-parallel)
  JointModel& model_;
  JointCriterion& criterion_;
  const Batcher& batcher_;
  const TrainerOptions& options_;
  const TrainerHooks& hooks_;
  const std::vector<EncodedExample>& train_;
  torch::nn::Module& module_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  const std::size_t batches_per_epoch_;
  LinearSchedule schedule_;
  LoopState s_;
  StateDict best_;
  TrainResult result_;
  std::vector<double> epoch_seconds_;
};

}  // namespace

TrainResult Trainer::fit(const std::vector<EncodedExample>& train) {
  if (train.empty()) throw std::invalid_argument("trainer: no training examples");
  return FitRun(model_, criterion_, batcher_, options_, hooks_, train, parallel_.get()).run();
}

}  // namespace jointnlu::train
