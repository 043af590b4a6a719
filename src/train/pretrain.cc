#include "train/pretrain.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "core/file_io.h"
#include "core/tokenizer.h"
#include "data/dataset.h"
#include "data/vocab_builder.h"
#include "train/albert.h"
#include "train/albert_config.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/electra.h"
#include "train/lamb.h"
#include "train/mlm_metrics.h"
#include "train/recipes/recipe_checks.h"
#include "train/recipes/recipe_fields.h"
#include "train/torch_env.h"
#include "train/train_utils.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kStateFile = "trainer_state.json";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kCurveFile = "curve.csv";
constexpr const char* kTorchRng = "rng.torch_cpu";
constexpr int kEvalBatch = 64;
constexpr int kCalibrationSteps = 3;
// A --minutes run re-plans its total from its real pace once this share of the first plan has run:
// the calibration batch is synthetic and leaves out the data pipeline and host-device copies, which
// made a GPU run's first plan 1.7x too long (its rate then never reached zero).
constexpr double kReplanAt = 0.03;
// Time not spent in training steps (evaluation, checkpoints, logging), as a fraction of step time;
// used to derive the total step count from --minutes.
constexpr double kOverhead = 0.04;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fmt(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// ---- vocabulary ----

std::vector<std::string> training_texts(const std::string& path) {
  std::vector<std::string> texts;
  if (path.empty()) return texts;
  for (auto& r : read_records(path)) texts.push_back(std::move(r.text));
  return texts;
}

std::vector<std::string> build_vocabulary(const PretrainRecipe& c,
                                          const std::vector<std::string>& forced) {
  VocabBuildOptions options;
  options.min_count = static_cast<std::size_t>(std::max(1, c.min_count));
  std::vector<std::string> files;
  for (const auto& f : c.corpus) files.push_back(f.path);
  auto v = build_corpus_vocabulary(files, forced, options,
                                   [](const std::string& m) { spdlog::warn("{}", m); });
  spdlog::info(
      "vocabulary: {} tokens ({} distinct characters in {} counted; {} added to cover the train "
      "data)",
      v.tokens.size(), v.distinct_chars, v.total_chars, v.added);
  return std::move(v.tokens);
}

// ---- tensors of a batch ----

struct BatchTensors {
  torch::Tensor ids, mask, types, positions, targets, sop;
  torch::Tensor at_mask;  // per target: its input was [MASK] (see MlmHits)
  PackedLayout layout;    // defined only when some row holds isolated lines
};

BatchTensors to_tensors(const Batch& b, std::int32_t mask_id, const torch::Device& device) {
  const auto opt = torch::TensorOptions().dtype(torch::kInt64);
  BatchTensors t;
  auto copy = [&](const std::vector<std::int64_t>& v, std::vector<int64_t> shape) {
    return torch::from_blob(const_cast<std::int64_t*>(v.data()), shape, opt).clone();
  };
  t.ids = copy(b.input_ids, {b.batch, b.length});
  t.mask = copy(b.attention_mask, {b.batch, b.length});
  t.types = copy(b.token_type_ids, {b.batch, b.length});
  const auto labels = copy(b.mlm_labels, {b.batch * b.length});
  t.positions = torch::nonzero(labels != kIgnoreLabel).squeeze(1);
  t.targets = labels.index_select(0, t.positions);
  t.at_mask = t.ids.reshape({-1}).index_select(0, t.positions) == mask_id;
  t.sop = copy(b.sop_labels, {b.batch});
  if (b.isolated) {
    t.layout.position_ids = copy(b.position_ids, {b.batch, b.length});
    t.layout.attention_blocks = copy(b.attention_blocks, {b.batch, b.length});
  }
  if (device.is_cpu()) return t;
  for (auto* x : {&t.ids, &t.mask, &t.types, &t.positions, &t.targets, &t.sop, &t.at_mask,
                  &t.layout.position_ids, &t.layout.attention_blocks})
    if (x->defined()) *x = x->to(device);
  return t;
}

// Rows [first, last) of a batch: this rank's share in a data-parallel step.
BatchTensors rows_of(const BatchTensors& t, std::int64_t first, std::int64_t last) {
  const std::int64_t length = t.ids.size(1);
  BatchTensors r;
  for (auto [from, to] : {std::pair{&t.ids, &r.ids},
                          {&t.mask, &r.mask},
                          {&t.types, &r.types},
                          {&t.sop, &r.sop},
                          {&t.layout.position_ids, &r.layout.position_ids},
                          {&t.layout.attention_blocks, &r.layout.attention_blocks}})
    if (from->defined()) *to = from->slice(0, first, last);
  const auto keep = (t.positions >= first * length) & (t.positions < last * length);
  r.positions = t.positions.masked_select(keep) - first * length;
  r.targets = t.targets.masked_select(keep);
  r.at_mask = t.at_mask.masked_select(keep);
  return r;
}

// Data-parallel steps: each loss term is a mean over this rank's share of the batch; scaled by
// (local count) / (global count / ranks), the ranks' averaged gradients are those of the whole
// batch's means. Alone (no job), every factor is 1.
std::vector<double> share_factors(DataParallel* job, const std::vector<double>& local_counts) {
  if (!job) return std::vector<double>(local_counts.size(), 1.0);
  const auto global = job->all_reduce_sum(local_counts);
  std::vector<double> factors;
  for (std::size_t i = 0; i < global.size(); ++i)
    factors.push_back(global[i] > 0 ? local_counts[i] * job->world_size() / global[i] : 0.0);
  return factors;
}

// A batch of real-looking shape without reading the corpus: full rows of random ordinary tokens,
// cut into "lines" of a typical utterance's length and isolated like the real ones, so the bare
// step does the same work (block attention masks included) as a step on the corpus.
Batch synthetic_batch(const TokenIds& ids, const PretrainRecipe& c) {
  constexpr int kLineTokens = 20;
  std::mt19937_64 rng(c.seed);
  std::vector<Sequence> seqs;
  for (int r = 0; r < c.batch_size; ++r) {
    Sequence s;
    s.ids.push_back(ids.cls);
    for (int i = 1; i + 1 < c.max_length; ++i) {
      const bool line_end = i % (kLineTokens + 1) == 0;
      s.ids.push_back(line_end
                          ? ids.sep
                          : ids.first_normal + static_cast<std::int32_t>(
                                                   rng() % (ids.vocab_size - ids.first_normal)));
    }
    s.ids.push_back(ids.sep);
    s.token_types.assign(s.ids.size(), 0);
    if (c.isolate_lines && !c.sop) isolate_lines(s, ids.sep);
    s.sop_label =
        c.sop ? static_cast<std::int32_t>(rng() & 1) : static_cast<std::int32_t>(kIgnoreLabel);
    MaskConfig m;
    m.max_ngram = c.max_ngram;
    mask_sequence(s, ids, m, rng);
    seqs.push_back(std::move(s));
  }
  return make_batch(seqs, ids.pad);
}

struct StepStats {
  double loss = 0, mlm_loss = 0, sop_loss = 0;
  std::int64_t sop_n = 0, sop_correct = 0, tokens = 0;
  MlmHits mlm;
  double rtd_loss = 0;  // objective rtd: the discriminator's, summed over judged tokens
  RtdHits rtd;
};

// Forward + backward (no optimizer step). Returns the statistics of the batch.
StepStats forward_backward(AlbertForPreTraining& model, const BatchTensors& t, bool sop,
                           DataParallel* job) {
  auto out = model->forward(t.ids, t.mask, t.types, t.positions, t.layout);
  const auto targets = t.targets.size(0);
  auto mlm = targets > 0 ? torch::nn::functional::cross_entropy(out.mlm_logits, t.targets)
                         : out.mlm_logits.sum() * 0.0;
  StepStats s;
  const auto sop_valid = t.sop != kIgnoreLabel;
  s.sop_n = sop ? sop_valid.sum().item<std::int64_t>() : 0;
  const auto f = share_factors(job, {static_cast<double>(targets), static_cast<double>(s.sop_n)});
  if (job) mlm = mlm * f[0];
  auto loss = mlm;
  torch::Tensor sop_loss;
  if (s.sop_n > 0) {
    sop_loss = torch::nn::functional::cross_entropy(
        out.sop_logits, t.sop,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel));
    if (job) sop_loss = sop_loss * f[1];
    loss = loss + sop_loss;
  }
  loss.backward();
  torch::NoGradGuard no_grad;
  s.loss = loss.item<double>();
  s.mlm_loss = mlm.item<double>();
  s.mlm = score_mlm(out.mlm_logits, t.targets, t.at_mask);
  if (s.sop_n > 0) {
    s.sop_loss = sop_loss.item<double>();
    s.sop_correct = ((out.sop_logits.argmax(-1) == t.sop) & sop_valid).sum().item<std::int64_t>();
  }
  return s;
}

struct EvalResult {
  double loss = 0, accuracy = 0;
  double mask_accuracy = 0;  // at [MASK] inputs only (see BatchTensors::at_mask)
  // Objective rtd (loss and accuracies above are then the generator's).
  double rtd_loss = 0, rtd_accuracy = 0, rtd_original_accuracy = 0, rtd_replaced_accuracy = 0;
  double rtd_replaced_share = 0;
};

double ratio(std::int64_t a, std::int64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

// Calls f(batch tensors) for each evaluation batch of seqs (kEvalBatch sequences) that has masked
// targets.
template <typename F>
void for_each_eval_batch(const std::vector<Sequence>& seqs, const TokenIds& ids,
                         const torch::Device& device, F&& f) {
  for (std::size_t i = 0; i < seqs.size(); i += kEvalBatch) {
    std::vector<Sequence> part(
        seqs.begin() + static_cast<std::ptrdiff_t>(i),
        seqs.begin() + static_cast<std::ptrdiff_t>(std::min(seqs.size(), i + kEvalBatch)));
    const auto t = to_tensors(make_batch(part, ids.pad), ids.mask, device);
    if (t.targets.size(0) == 0) continue;
    f(t);
  }
}

EvalResult evaluate(AlbertForPreTraining& model, const std::vector<Sequence>& seqs,
                    const TokenIds& ids, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0;
  MlmHits total;
  for_each_eval_batch(seqs, ids, device, [&](const BatchTensors& t) {
    auto out = model->forward(t.ids, t.mask, t.types, t.positions, t.layout);
    loss_sum += torch::nn::functional::cross_entropy(
                    out.mlm_logits, t.targets,
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    total += score_mlm(out.mlm_logits, t.targets, t.at_mask);
  });
  model->train();
  if (total.targets == 0) return {};
  return {loss_sum / static_cast<double>(total.targets), ratio(total.correct, total.targets),
          ratio(total.at_mask_correct, total.at_mask)};
}

// ---- replaced-token detection (train/electra.h) ----

RtdBatch rtd_batch(const BatchTensors& t, const TokenIds& ids) {
  return {t.ids, t.mask, t.types, t.positions, t.targets, t.at_mask, t.layout, ids.cls, ids.sep};
}

StepStats rtd_forward_backward(ElectraForPreTraining& model, const BatchTensors& t,
                               const TokenIds& ids, double rtd_weight, DataParallel* job) {
  auto out = model->forward(rtd_batch(t, ids), rtd_weight);
  const double rtd_mean = out.rtd_loss.item<double>();  // before a data-parallel share scales it
  if (job) {
    const auto f = share_factors(
        job, {static_cast<double>(t.targets.size(0)), static_cast<double>(out.rtd.tokens)});
    out.mlm_loss = out.mlm_loss * f[0];
    out.rtd_loss = out.rtd_loss * f[1];
    out.loss = out.mlm_loss + rtd_weight * out.rtd_loss;
  }
  out.loss.backward();
  StepStats s;
  s.loss = out.loss.item<double>();
  s.mlm_loss = out.mlm_loss.item<double>();
  s.mlm = out.mlm;
  s.rtd_loss = rtd_mean * static_cast<double>(out.rtd.tokens);
  s.rtd = out.rtd;
  return s;
}

EvalResult evaluate_rtd(ElectraForPreTraining& model, const std::vector<Sequence>& seqs,
                        const TokenIds& ids, double rtd_weight, std::uint64_t seed,
                        const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  // A generator of its own: every evaluation draws the same replacements, and evaluating (at
  // wall-clock times) never moves the training stream, which --resume must reproduce.
  const auto sampler = at::detail::createCPUGenerator(seed);
  double mlm_sum = 0, rtd_sum = 0;
  MlmHits mlm;
  RtdHits rtd;
  for_each_eval_batch(seqs, ids, device, [&](const BatchTensors& t) {
    const auto out = model->forward(rtd_batch(t, ids), rtd_weight, sampler);
    mlm_sum += out.mlm_loss.item<double>() * static_cast<double>(out.mlm.targets);
    rtd_sum += out.rtd_loss.item<double>() * static_cast<double>(out.rtd.tokens);
    mlm += out.mlm;
    rtd += out.rtd;
  });
  model->train();
  EvalResult r;
  if (mlm.targets == 0) return r;
  r.loss = mlm_sum / static_cast<double>(mlm.targets);
  r.accuracy = ratio(mlm.correct, mlm.targets);
  r.mask_accuracy = ratio(mlm.at_mask_correct, mlm.at_mask);
  r.rtd_loss = rtd.tokens ? rtd_sum / static_cast<double>(rtd.tokens) : 0;
  r.rtd_accuracy = ratio(rtd.correct, rtd.tokens);
  r.rtd_original_accuracy = ratio(rtd.original_correct(), rtd.original());
  r.rtd_replaced_accuracy = ratio(rtd.replaced_correct, rtd.replaced);
  r.rtd_replaced_share = ratio(rtd.replaced, rtd.tokens);
  return r;
}

// The curve.csv columns an rtd run appends (an mlm run's file keeps its columns).
const std::vector<std::string> kRtdColumns = {"rtd_loss", "rtd_acc", "rtd_original_acc",
                                              "rtd_replaced_acc", "rtd_replaced_share"};

std::vector<std::string> rtd_cells(double loss, const RtdHits& h) {
  return {fmt(loss), fmt(ratio(h.correct, h.tokens)),
          fmt(ratio(h.original_correct(), h.original())),
          fmt(ratio(h.replaced_correct, h.replaced)), fmt(ratio(h.replaced, h.tokens))};
}

void check_objective(const PretrainRecipe& c) {
  recipes::check_choice("objective", c.objective, {"mlm", "rtd"});
  recipes::check_choice("masking", c.masking, {"char", "word"});
  if (c.objective != "rtd") return;
  if (c.sop) throw RecipeError("sop", "objective rtd does not combine with sop");
  recipes::check_non_negative("rtd_weight", c.rtd_weight);
  if (!(c.generator_fraction > 0 && c.generator_fraction <= 1))
    throw RecipeError("generator_fraction", "must be in (0, 1]");
}

}  // namespace

void PretrainRecipe::validate() const {
  if (out.empty()) throw RecipeError("out", "the checkpoint directory is required");
  if (corpus.empty() && !synthetic) throw RecipeError("corpus", "no files given");
  recipes::check_positive("min_count", min_count);
  recipes::check_non_negative("minutes", minutes);
  recipes::check_non_negative("steps", steps);
  recipes::check_non_negative("stop_after", stop_after);
  recipes::check_positive("batch_size", batch_size);
  recipes::check_range("max_length", max_length, 4, 4096);
  recipes::check_non_negative("lr", lr);
  recipes::check_non_negative("warmup", warmup);
  recipes::check_choice("optimizer", optimizer, {"adamw", "lamb"});
  recipes::check_range("max_ngram", max_ngram, 1, 10);
  recipes::check_positive("checkpoint_minutes", checkpoint_minutes);
  recipes::check_positive("eval_minutes", eval_minutes);
  recipes::check_positive("eval_sequences", eval_sequences);
  recipes::check_positive("log_every", log_every);
  recipes::check_choice("position_init", position_init, {"sinusoidal", "normal"});
  recipes::check_range("encoder_dropout", encoder_dropout, -1.0, 0.9);
  recipes::check_non_negative("threads", threads);
  check_objective(*this);
  const auto job = resolve_distributed(distributed);
  if (batch_size < job.world_size)
    throw RecipeError("batch_size", std::to_string(batch_size) + " sequences cannot be shared by " +
                                        std::to_string(job.world_size) + " ranks");
}

namespace {

// ---- run state ----

struct RunState {
  std::int64_t step = 0;
  std::int64_t total_steps = 0;
  std::int64_t warmup_steps = 0;
  double peak_lr = 0;
  std::int64_t tokens_seen = 0;
  double train_seconds = 0;  // over all resumptions
  nlohmann::json hyper;      // the settings the run was started with
};

nlohmann::json hyper_of(const PretrainRecipe& c) {
  nlohmann::json corpus = nlohmann::json::array();
  for (const auto& f : c.corpus) corpus.push_back({{"path", f.path}, {"weight", f.weight}});
  return {{"corpus", corpus},
          {"size", c.size},
          {"batch_size", c.batch_size},
          {"max_length", c.max_length},
          {"lr", c.lr},
          {"warmup", c.warmup},
          {"optimizer", c.optimizer},
          {"max_ngram", c.max_ngram},
          {"sop", c.sop},
          {"isolate_lines", c.isolate_lines},
          {"seed", c.seed},
          {"unit_projection_init", c.unit_projection_init},
          {"position_init", c.position_init},
          {"synthetic", c.synthetic},
          {"objective", c.objective},
          {"generator_fraction", c.generator_fraction},
          {"rtd_weight", c.rtd_weight},
          {"masking", c.masking},
          {"word_list", c.word_list}};
}

// Settings that cannot change on --resume are taken from the saved state.
PretrainRecipe resumed_config(PretrainRecipe c, const nlohmann::json& hyper) {
  const auto corpus = hyper.at("corpus");
  if (corpus.size() != c.corpus.size())
    throw RecipeError("resume", "the run was started with " + std::to_string(corpus.size()) +
                                    " corpus files, this one gives " +
                                    std::to_string(c.corpus.size()));
  for (std::size_t i = 0; i < corpus.size(); ++i)
    c.corpus[i].weight = corpus[i].at("weight").get<double>();
  c.size = hyper.at("size").get<std::string>();
  c.batch_size = hyper.at("batch_size").get<int>();
  c.max_length = hyper.at("max_length").get<int>();
  c.lr = hyper.at("lr").get<double>();
  c.warmup = hyper.at("warmup").get<double>();
  c.optimizer = hyper.at("optimizer").get<std::string>();
  c.max_ngram = hyper.at("max_ngram").get<int>();
  c.sop = hyper.at("sop").get<bool>();
  c.isolate_lines = hyper.value("isolate_lines", false);  // runs saved before it existed: packed
  c.seed = hyper.at("seed").get<std::uint64_t>();
  c.synthetic = hyper.at("synthetic").get<bool>();
  // Runs saved before RTD existed were masked-LM runs.
  c.objective = hyper.value("objective", std::string("mlm"));
  c.generator_fraction = hyper.value("generator_fraction", c.generator_fraction);
  c.rtd_weight = hyper.value("rtd_weight", c.rtd_weight);
  c.masking = hyper.value("masking", std::string("char"));
  c.word_list = hyper.value("word_list", c.word_list);
  return c;
}

class Saver {
 public:
  Saver(const PretrainRecipe& c, const AlbertConfig& model_config, const Tokenizer& tokenizer)
      : config_(c), model_config_(model_config), tokenizer_(tokenizer) {}

  void save(const torch::nn::Module& model, const AdamLamb& optimizer, const RunState& run,
            const nlohmann::json& pipeline, std::optional<CsvLog>& curve,
            const std::vector<std::string>& columns) {
    CheckpointContents c;
    auto cfg = model_config_.to_json();
    // An rtd checkpoint's config describes the discriminator, a plain ALBERT under albert.*.
    cfg["architectures"] = {config_.objective == "rtd" ? "AlbertModel" : "AlbertForPreTraining"};
    c.files["config.json"] = cfg.dump(2) + "\n";
    c.files["vocab.txt"] = tokenizer_.vocab_text();
    c.files["tokenizer_config.json"] =
        nlohmann::json{{"tokenizer_class", "BertTokenizer"}, {"do_lower_case", true}}.dump(2) +
        "\n";
    nlohmann::json state = {{"step", run.step},
                            {"total_steps", run.total_steps},
                            {"warmup_steps", run.warmup_steps},
                            {"peak_lr", run.peak_lr},
                            {"tokens_seen", run.tokens_seen},
                            {"train_seconds", run.train_seconds},
                            {"hyper", run.hyper},
                            {"pipeline", pipeline}};
    c.files[kStateFile] = state.dump() + "\n";
    const fs::path curve_path = fs::path(config_.out) / kCurveFile;
    if (fs::exists(curve_path)) c.files[kCurveFile] = read_file(curve_path.string());
    c.tensors = state_dict(model);
    c.metadata["format"] = "pt";
    c.metadata["step"] = std::to_string(run.step);
    auto opt = optimizer.state();
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      opt[kTorchRng] = gen.get_state().clone();
    }
    c.extra_tensor_files[kOptimizerFile] = std::move(opt);
    curve.reset();  // the file moves with the directory; reopen after the swap
    write_checkpoint_dir(config_.out, c);
    curve.emplace(curve_path.string(), columns);
  }

 private:
  const PretrainRecipe& config_;
  AlbertConfig model_config_;
  const Tokenizer& tokenizer_;
};

// One pretraining run. The constructor prepares it (state, tokenizer, model, data, schedule) in
// the order that fixes the random streams; train() runs the steps, evaluating and checkpointing as
// the recipe asks, and returns the summary.
class PretrainRun {
 public:
  explicit PretrainRun(const PretrainRecipe& input);
  PretrainSummary train();

 private:
  void read_state(const PretrainRecipe& input);
  void make_tokenizer();
  void build_model();
  void build_data();
  void restore();
  void log_setup() const;
  void plan_schedule();
  void open_curve();
  void eval();
  void save();
  void replan();
  void step();
  void log_window(double lr);
  PretrainSummary summary(bool stopped);
  StepStats train_step(const BatchTensors& t, DataParallel* job = nullptr) {
    return rtd_ ? rtd_forward_backward(electra_, t, ids_, c_.rtd_weight, job)
                : forward_backward(model_, t, c_.sop, job);
  }
  // Data-parallel.
  std::string fetch(const std::string& file) const;
  void start_parallel();
  std::int64_t roots(std::int64_t value) const;
  void reduce_stats(StepStats& s) const;
  bool writes() const { return !job_ || job_->is_root(); }

  PretrainRecipe c_;
  std::shared_ptr<DataParallel> job_;  // null when training alone
  int threads_ = 1;
  torch::Device device_{torch::kCPU};
  fs::path out_;
  RunState run_;
  std::optional<nlohmann::json> saved_;  // the state of the run resumed
  std::optional<Tokenizer> tokenizer_;
  TokenIds ids_;
  AlbertConfig model_config_;
  // One of the two is built; net_ is whichever it is, for what both share (parameters, state).
  bool rtd_ = false;
  AlbertForPreTraining model_{nullptr};
  ElectraForPreTraining electra_{nullptr};
  torch::nn::Module* net_ = nullptr;
  std::unique_ptr<AdamLamb> optimizer_;
  std::int64_t n_params_ = 0;
  PipelineConfig pc_;
  std::unique_ptr<PretrainPipeline> pipeline_;
  std::vector<Sequence> heldout_;
  Batch synthetic_;
  LinearSchedule schedule_;
  std::vector<std::string> columns_;
  std::optional<CsvLog> curve_;
  std::optional<Saver> saver_;
  // The loop's clocks and counters.
  Clock::time_point start_, last_save_, last_eval_, window_start_;
  double step_seconds_total_ = 0, pipeline_seconds_ = 0, base_seconds_ = 0;
  std::int64_t tokens_this_run_ = 0, first_step_ = 0, replan_at_ = 0;
  StepStats window_;
  std::int64_t window_steps_ = 0;
  EvalResult last_eval_result_;
  CommunicationStats comm_start_;  // the job's collectives before this process's first step
  std::optional<Progress> progress_;
};

PretrainRun::PretrainRun(const PretrainRecipe& input) : c_(input) {
  c_.validate();  // before lr 0 is resolved, so that a negative lr is refused, not replaced
  if (c_.lr == 0) c_.lr = c_.optimizer == "lamb" ? 2e-3 : 1e-3;  // the optimizer's own
  if (const auto d = resolve_distributed(c_.distributed); d.enabled()) {
    if (!d.is_root()) spdlog::set_level(spdlog::level::warn);
    job_ = DataParallel::join(d);
  }
  StopSignal::install();
  threads_ = configure_threads(c_.threads);
  device_ = resolve_device(c_.device);
  out_ = fs::path(c_.out);
  if (c_.resume && writes()) recover_checkpoint_dir(c_.out);
  read_state(input);
  make_tokenizer();
  build_model();
  build_data();
  if (saved_) restore();
  if (job_) start_parallel();
  log_setup();
  plan_schedule();
  open_curve();
}

void PretrainRun::read_state(const PretrainRecipe& input) {
  const fs::path state_path = out_ / kStateFile;
  if (!c_.resume) {
    if (writes() && fs::exists(state_path))
      throw RecipeError("out", c_.out +
                                   " already holds a pretraining run: resume it, or choose another "
                                   "directory");
    if (c_.vocab.empty() == !c_.build_vocab)
      throw RecipeError("vocab", "give exactly one: a vocab file, or build_vocab");
    run_.hyper = hyper_of(c_);
    return;
  }
  if (writes() && !fs::exists(state_path))
    throw RecipeError("resume", state_path.string() + " does not exist (nothing to resume)");
  try {
    saved_ = nlohmann::json::parse(fetch(kStateFile));
    c_ = resumed_config(c_, saved_->at("hyper"));
    run_.step = saved_->at("step").get<std::int64_t>();
    run_.total_steps = saved_->at("total_steps").get<std::int64_t>();
    run_.warmup_steps = saved_->at("warmup_steps").get<std::int64_t>();
    run_.peak_lr = saved_->at("peak_lr").get<double>();
    run_.tokens_seen = saved_->at("tokens_seen").get<std::int64_t>();
    run_.train_seconds = saved_->at("train_seconds").get<double>();
    run_.hyper = saved_->at("hyper");
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(state_path.string() + ": malformed trainer state: " + e.what());
  }
  if (input.steps > 0) run_.total_steps = input.steps;  // extend (or shorten) a finished schedule
  check_objective(c_);
}

void PretrainRun::make_tokenizer() {
  std::vector<std::string> vocab;
  const auto forced = c_.resume ? std::vector<std::string>{} : training_texts(c_.train);
  if (c_.resume) {
    // Rank 0 reads and checks the file; the others get its tokens, one per line.
    std::string lines;
    if (writes()) {
      const Tokenizer saved = Tokenizer::from_vocab_file((out_ / "vocab.txt").string());
      for (const auto& token : saved.vocab()) lines += token + "\n";
    }
    if (job_) job_->broadcast_bytes(lines);
    std::istringstream in(lines);
    for (std::string token; std::getline(in, token);) vocab.push_back(token);
  } else if (c_.build_vocab) {
    vocab = build_vocabulary(c_, forced);
  } else {
    vocab = Tokenizer::from_vocab_file(c_.vocab).vocab();
    const Tokenizer probe(vocab);
    std::size_t unk = 0;
    for (const auto& t : forced)
      for (const int id : probe.encode(t).ids) unk += id == probe.unk_id();
    if (unk > 0) spdlog::warn("{}: {} [UNK] tokens in the train data's texts", c_.vocab, unk);
  }
  tokenizer_.emplace(vocab);
  ids_ = TokenIds::of(*tokenizer_);
}

void PretrainRun::build_model() {
  torch::manual_seed(c_.seed);
  // A resumed run takes the shape it saved, so a --size config file may change or vanish meanwhile.
  model_config_ = c_.resume ? AlbertConfig::from_json(nlohmann::json::parse(fetch("config.json")))
                            : AlbertConfig::from_preset_or_file(
                                  c_.size, static_cast<int64_t>(tokenizer_->vocab_size()));
  model_config_.pad_token_id = tokenizer_->pad_id();
  if (c_.max_length > model_config_.max_position_embeddings)
    throw RecipeError("max_length", std::to_string(c_.max_length) + " exceeds the model's " +
                                        std::to_string(model_config_.max_position_embeddings) +
                                        " positions");
  if (!c_.resume && c_.encoder_dropout >= 0) {
    model_config_.hidden_dropout_prob = c_.encoder_dropout;
    model_config_.attention_probs_dropout_prob = c_.encoder_dropout;
  }
  rtd_ = c_.objective == "rtd";
  if (rtd_)
    electra_ = ElectraForPreTraining(model_config_,
                                     generator_config(model_config_, c_.generator_fraction));
  else
    model_ = AlbertForPreTraining(model_config_);
  net_ = rtd_ ? static_cast<torch::nn::Module*>(electra_.get()) : model_.get();
  AlbertModelImpl& encoder = rtd_ ? *electra_->albert : *model_->albert;
  if (!c_.resume) {
    if (c_.unit_projection_init) init_embedding_projection_unit_scale(encoder);
    if (AlbertConfig::is_bert_preset(c_.size)) init_embedding_projection_identity(encoder);
    init_position_embeddings(encoder, parse_position_init(c_.position_init));
  }
  // Before the optimizer captures the parameters: its moments are made alike (same device).
  net_->to(device_);
  net_->train();
  OptimizerConfig opt_config;
  opt_config.kind = parse_optimizer(c_.optimizer);
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& p : net_->named_parameters()) params.emplace_back(p.key(), p.value());
  optimizer_ = std::make_unique<AdamLamb>(params, opt_config);
  for (const auto& p : net_->parameters()) n_params_ += p.numel();
}

void PretrainRun::build_data() {
  pc_.max_length = c_.max_length;
  pc_.batch_size = c_.batch_size;
  pc_.seed = c_.seed;
  pc_.sop = c_.sop;
  pc_.isolate_lines = c_.isolate_lines;
  pc_.mask.max_ngram = c_.max_ngram;
  if (c_.masking == "word" && !c_.synthetic) {
    pc_.words = std::make_shared<const WordSegmenter>(WordSegmenter::read_word_list(c_.word_list),
                                                      tokenizer_->vocab());
    pc_.mask.whole_words = true;
    spdlog::info("whole-word masking: {} words of 2-{} characters from {}", pc_.words->size(),
                 WordSegmenter::kMaxWordTokens, c_.word_list);
  }
  if (c_.synthetic) {
    synthetic_ = synthetic_batch(ids_, c_);
    return;
  }
  const auto warn = [](const std::string& m) { spdlog::warn("{}", m); };
  pipeline_ = std::make_unique<PretrainPipeline>(c_.corpus, *tokenizer_, pc_, warn);
  // Rank 0 alone evaluates.
  if (writes())
    heldout_ = heldout_sequences(c_.corpus, *tokenizer_, c_.max_length, c_.eval_sequences, pc_.mask,
                                 c_.seed, warn, pc_.isolate_lines && !pc_.sop, pc_.words.get());
  for (std::size_t i = 0; i < c_.corpus.size(); ++i)
    spdlog::info("corpus {} weight {} share {:.1f}%", c_.corpus[i].path, c_.corpus[i].weight,
                 100 * pipeline_->file_shares()[i]);
  spdlog::info("held-out evaluation set: {} sequences", heldout_.size());
}

void PretrainRun::restore() {
  load_state_dict(
      *net_, parse_safetensors(fetch("model.safetensors"), (out_ / "model.safetensors").string()));
  auto opt_state = parse_safetensors(fetch(kOptimizerFile), (out_ / kOptimizerFile).string());
  optimizer_->load_state(opt_state);
  if (auto it = opt_state.find(kTorchRng); it != opt_state.end()) {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(it->second);
  }
  if (pipeline_) pipeline_->restore(saved_->at("pipeline"));
  spdlog::info("resumed {} at step {} of {} ({} tokens seen)", c_.out, run_.step, run_.total_steps,
               run_.tokens_seen);
}

void PretrainRun::log_setup() const {
  spdlog::info(
      "model {} on {}: {} parameters, vocab {}, {} threads; batch {} x {} tokens, {} lr {:.2e}, "
      "{} masking up to {}, SOP {}, lines {}, dropout {}, positions {}, objective {}",
      c_.size, device_.str(), n_params_, tokenizer_->vocab_size(), threads_, c_.batch_size,
      c_.max_length, c_.optimizer, c_.lr, c_.masking == "word" ? "whole-word" : "span",
      c_.max_ngram, c_.sop ? "on" : "off",
      c_.isolate_lines && !c_.sop ? "isolated" : "attend across", model_config_.hidden_dropout_prob,
      c_.resume ? "resumed" : c_.position_init,
      rtd_ ? "rtd (generator x" + fmt(c_.generator_fraction, 2) + ", weight " +
                 fmt(c_.rtd_weight, 1) + ")"
           : "mlm");
}

// A fresh run derives its total from steps, or from minutes and a measured step time; a resumed
// one keeps the schedule it saved.
void PretrainRun::plan_schedule() {
  if (!saved_) {
    run_.peak_lr = c_.lr;
    if (c_.steps > 0) {
      run_.total_steps = c_.steps;
    } else if (c_.minutes > 0) {
      const auto t = to_tensors(synthetic_batch(ids_, c_), ids_.mask, device_);
      double secs = 0;
      for (int i = 0; i <= kCalibrationSteps; ++i) {
        const auto t0 = Clock::now();
        train_step(t);
        optimizer_->zero_grad();
        if (i > 0) secs += seconds_since(t0);  // the first step warms up allocations
      }
      const double step_seconds = secs / kCalibrationSteps * (1 + kOverhead);
      // The ranks' clocks differ; rank 0's plan is everyone's.
      run_.total_steps = roots(
          std::max<std::int64_t>(1, static_cast<std::int64_t>(c_.minutes * 60 / step_seconds)));
      spdlog::info("calibration: {:.2f} s per step -> {} steps in {} minutes", step_seconds,
                   run_.total_steps, c_.minutes);
    }
    run_.warmup_steps =
        c_.warmup < 1 ? static_cast<std::int64_t>(c_.warmup * static_cast<double>(run_.total_steps))
                      : static_cast<std::int64_t>(c_.warmup);
  }
  // Without a total (neither steps nor minutes) the rate stays at its peak after warm-up.
  schedule_ = LinearSchedule{
      run_.peak_lr, run_.warmup_steps,
      run_.total_steps > 0 ? run_.total_steps : std::numeric_limits<std::int64_t>::max()};
}

void PretrainRun::open_curve() {
  if (!writes()) return;  // rank 0 alone writes the curve and the checkpoints
  fs::create_directories(out_);
  columns_ = {"kind",     "step",    "tokens",   "elapsed_s", "lr",           "loss",
              "mlm_loss", "mlm_acc", "sop_loss", "sop_acc",   "tokens_per_s", "mask_acc"};
  if (rtd_) columns_.insert(columns_.end(), kRtdColumns.begin(), kRtdColumns.end());
  if (c_.resume) {
    const std::size_t dropped = drop_csv_rows_after((out_ / kCurveFile).string(), 1, run_.step);
    if (dropped > 0)
      spdlog::info("{}: dropped {} rows logged after the checkpoint (the run ended without saving)",
                   kCurveFile, dropped);
  }
  curve_.emplace((out_ / kCurveFile).string(), columns_);
  saver_.emplace(c_, model_config_, *tokenizer_);
}

void PretrainRun::eval() {
  if (heldout_.empty()) return;
  last_eval_result_ = rtd_ ? evaluate_rtd(electra_, heldout_, ids_, c_.rtd_weight, c_.seed, device_)
                           : evaluate(model_, heldout_, ids_, device_);
  const auto& e = last_eval_result_;
  std::vector<std::string> row = {"eval",
                                  std::to_string(run_.step),
                                  std::to_string(run_.tokens_seen),
                                  fmt(run_.train_seconds, 1),
                                  "",
                                  fmt(e.loss),
                                  fmt(e.loss),
                                  fmt(e.accuracy),
                                  "",
                                  "",
                                  "",
                                  fmt(e.mask_accuracy)};
  if (rtd_)
    row.insert(row.end(), {fmt(e.rtd_loss), fmt(e.rtd_accuracy), fmt(e.rtd_original_accuracy),
                           fmt(e.rtd_replaced_accuracy), fmt(e.rtd_replaced_share)});
  curve_->row(row);
  spdlog::info("step {}: held-out MLM loss {:.4f}, accuracy {:.2f}% ({:.2f}% at [MASK] inputs)",
               run_.step, e.loss, 100 * e.accuracy, 100 * e.mask_accuracy);
  if (rtd_)
    spdlog::info(
        "step {}: held-out discriminator accuracy {:.2f}% ({:.2f}% on original tokens, {:.2f}% "
        "on the replaced ones, which are {:.2f}% of all)",
        run_.step, 100 * e.rtd_accuracy, 100 * e.rtd_original_accuracy,
        100 * e.rtd_replaced_accuracy, 100 * e.rtd_replaced_share);
  last_eval_ = Clock::now();
}

void PretrainRun::save() {
  if (!writes()) return;
  saver_->save(*net_, *optimizer_, run_, pipeline_ ? pipeline_->state() : nlohmann::json{}, curve_,
               columns_);
  spdlog::info("checkpoint saved: {} (step {})", c_.out, run_.step);
  last_save_ = Clock::now();
}

// A time-boxed run re-plans its total once, on its own measured pace.
void PretrainRun::replan() {
  const auto planned = run_.total_steps;
  run_.total_steps =
      roots(replan_total_steps(first_step_, run_.step, seconds_since(start_), c_.minutes * 60));
  schedule_.total = run_.total_steps;
  progress_->set_total(run_.total_steps);
  spdlog::info("re-planned on the real pace after {} steps: {} steps in {} minutes (was {})",
               run_.step, run_.total_steps, c_.minutes, planned);
  replan_at_ = 0;
}

void PretrainRun::step() {
  const auto t0 = Clock::now();
  const Batch batch = pipeline_ ? pipeline_->next_batch() : synthetic_;
  auto t = to_tensors(batch, ids_.mask, device_);
  pipeline_seconds_ += seconds_since(t0);
  const double lr = schedule_.at(run_.step);
  StepStats s;
  if (job_) {
    // Every rank read the same global batch; each trains on its rows.
    const auto [first, last] = job_->shard(static_cast<std::size_t>(t.ids.size(0)));
    s = train_step(rows_of(t, static_cast<std::int64_t>(first), static_cast<std::int64_t>(last)),
                   job_.get());
    job_->average_gradients(net_->parameters());
    reduce_stats(s);
  } else {
    s = train_step(t);
  }
  torch::nn::utils::clip_grad_norm_(net_->parameters(), 1.0);
  optimizer_->step(lr);
  optimizer_->zero_grad();
  step_seconds_total_ += seconds_since(t0);
  run_.train_seconds = base_seconds_ + seconds_since(start_);
  ++run_.step;
  run_.tokens_seen += batch.real_tokens;
  tokens_this_run_ += batch.real_tokens;
  window_.loss += s.loss;
  window_.mlm_loss += s.mlm_loss;
  window_.sop_loss += s.sop_loss * static_cast<double>(s.sop_n);
  window_.mlm += s.mlm;
  window_.sop_n += s.sop_n;
  window_.sop_correct += s.sop_correct;
  window_.tokens += batch.real_tokens;
  window_.rtd_loss += s.rtd_loss;
  window_.rtd += s.rtd;
  ++window_steps_;
  log_window(lr);
}

// The progress line every step; a curve row every log_every steps, which starts a new window.
void PretrainRun::log_window(double lr) {
  const auto& w = window_;
  const double tps = static_cast<double>(tokens_this_run_) / std::max(1e-9, step_seconds_total_);
  const double acc = static_cast<double>(w.mlm.correct) /
                     static_cast<double>(std::max<std::int64_t>(1, w.mlm.targets));
  const double sop_acc =
      w.sop_n ? static_cast<double>(w.sop_correct) / static_cast<double>(w.sop_n) : 0;
  const double ws = static_cast<double>(window_steps_);
  char tail[256];
  std::snprintf(tail, sizeof tail,
                "loss %.3f mlm %.3f acc %.1f%% sop %.3f/%.0f%% lr %.2e | %.0f tok/s | %.1fM tokens",
                w.loss / ws, w.mlm_loss / ws, 100 * acc,
                w.sop_n ? w.sop_loss / static_cast<double>(w.sop_n) : 0.0, 100 * sop_acc, lr, tps,
                static_cast<double>(run_.tokens_seen) / 1e6);
  progress_->update(run_.step, tail);
  if (window_steps_ < c_.log_every || !curve_) return;
  const double wtps = static_cast<double>(w.tokens) / std::max(1e-9, seconds_since(window_start_));
  std::vector<std::string> row = {
      "train",
      std::to_string(run_.step),
      std::to_string(run_.tokens_seen),
      fmt(run_.train_seconds, 1),
      fmt(lr, 8),
      fmt(w.loss / ws),
      fmt(w.mlm_loss / ws),
      fmt(acc),
      w.sop_n ? fmt(w.sop_loss / static_cast<double>(w.sop_n)) : "",
      w.sop_n ? fmt(sop_acc) : "",
      fmt(wtps, 1),
      fmt(static_cast<double>(w.mlm.at_mask_correct) /
          static_cast<double>(std::max<std::int64_t>(1, w.mlm.at_mask)))};
  if (rtd_) {
    const auto cells =
        rtd_cells(w.rtd_loss / static_cast<double>(std::max<std::int64_t>(1, w.rtd.tokens)), w.rtd);
    row.insert(row.end(), cells.begin(), cells.end());
  }
  curve_->row(row);
  window_ = StepStats{};
  window_steps_ = 0;
  window_start_ = Clock::now();
}

// A checkpoint file: read on rank 0 (or alone), sent to the other ranks, which need not see `out`.
std::string PretrainRun::fetch(const std::string& file) const {
  std::string bytes;
  if (writes()) bytes = read_file((out_ / file).string());
  if (job_) job_->broadcast_bytes(bytes);
  return bytes;
}

// Refuses a job whose ranks were started differently, then gives every rank rank 0's weights;
// the other ranks draw their own random streams (dropout, RTD samples) from here on.
void PretrainRun::start_parallel() {
  std::string vocab;
  for (const auto& token : tokenizer_->vocab()) vocab += token + "\n";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"world size", std::to_string(job_->world_size())}};
  for (const auto& [name, value] : run_.hyper.items()) fields.emplace_back(name, value.dump());
  fields.insert(fields.end(), {{"model", model_fingerprint(*net_)},
                               {"vocabulary", text_fingerprint(vocab)},
                               {"step", std::to_string(run_.step)}});
  job_->agree(fields);
  std::vector<torch::Tensor> tensors;
  for (const auto& [name, t] : state_dict(*net_, /*include_tied_aliases=*/false))
    tensors.push_back(t);
  job_->broadcast(tensors);
  if (!job_->is_root())
    torch::manual_seed(c_.seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(job_->rank()) +
                       static_cast<std::uint64_t>(run_.step));
  spdlog::info("data-parallel: {} ranks, {} of the {} sequences of a step each", job_->world_size(),
               c_.batch_size / job_->world_size(), c_.batch_size);
}

// Rank 0's value on every rank.
std::int64_t PretrainRun::roots(std::int64_t value) const {
  if (!job_) return value;
  return static_cast<std::int64_t>(
      job_->all_reduce_sum({job_->is_root() ? static_cast<double>(value) : 0.0})[0]);
}

// The statistics of the whole batch: losses averaged (each rank's is its share of the batch's
// mean, scaled), counts summed.
void PretrainRun::reduce_stats(StepStats& s) const {
  const double n = job_->world_size();
  const auto v = job_->all_reduce_sum(
      {s.loss, s.mlm_loss, s.sop_loss, static_cast<double>(s.sop_n),
       static_cast<double>(s.sop_correct), static_cast<double>(s.mlm.targets),
       static_cast<double>(s.mlm.correct), static_cast<double>(s.mlm.at_mask),
       static_cast<double>(s.mlm.at_mask_correct), s.rtd_loss, static_cast<double>(s.rtd.tokens),
       static_cast<double>(s.rtd.correct), static_cast<double>(s.rtd.replaced),
       static_cast<double>(s.rtd.replaced_correct)});
  const auto count = [&](std::size_t i) { return static_cast<std::int64_t>(std::llround(v[i])); };
  s.loss = v[0] / n;
  s.mlm_loss = v[1] / n;
  s.sop_loss = v[2] / n;
  s.sop_n = count(3);
  s.sop_correct = count(4);
  s.mlm = {count(5), count(6), count(7), count(8)};
  s.rtd_loss = v[9];  // a sum over judged tokens already
  s.rtd = {count(10), count(11), count(12), count(13)};
}

PretrainSummary PretrainRun::train() {
  start_ = last_save_ = last_eval_ = window_start_ = Clock::now();
  progress_.emplace("pretrain", run_.total_steps, "steps", 30.0);
  base_seconds_ = run_.train_seconds;
  first_step_ = run_.step;
  if (job_) comm_start_ = job_->stats();
  if (!saved_) eval();
  // Only a fresh minutes run re-plans (a resumed one keeps the schedule it saved).
  replan_at_ =
      !saved_ && c_.steps <= 0 && c_.minutes > 0
          ? std::max<std::int64_t>(
                20, static_cast<std::int64_t>(kReplanAt * static_cast<double>(run_.total_steps)))
          : 0;
  bool stopped = false;
  while (run_.total_steps <= 0 || run_.step < run_.total_steps) {
    const bool time_up = c_.minutes > 0 && seconds_since(start_) >= c_.minutes * 60;
    if (job_) {
      // One collective per step carries a signal on any rank and rank 0's clock.
      const auto votes = job_->all_reduce_sum(
          {StopSignal::requested() ? 1.0 : 0.0, job_->is_root() && time_up ? 1.0 : 0.0});
      if (votes[0] > 0) {
        stopped = true;
        break;
      }
      if (votes[1] > 0) break;
    } else {
      if (StopSignal::requested()) {
        stopped = true;
        break;
      }
      if (time_up) break;
    }
    if (c_.stop_after > 0 && run_.step - first_step_ >= c_.stop_after) break;
    if (replan_at_ > 0 && run_.step >= replan_at_) replan();
    step();
    if (seconds_since(last_eval_) >= c_.eval_minutes * 60) eval();
    if (seconds_since(last_save_) >= c_.checkpoint_minutes * 60) {
      if (seconds_since(last_eval_) > 1) eval();
      save();
    }
  }
  eval();
  save();
  return summary(stopped);
}

PretrainSummary PretrainRun::summary(bool stopped) {
  PretrainSummary summary;
  summary.objective = c_.objective;
  summary.step = run_.step;
  summary.total_steps = run_.total_steps;
  summary.tokens_seen = run_.tokens_seen;
  summary.seconds = seconds_since(start_);
  summary.tokens_per_second =
      static_cast<double>(tokens_this_run_) / std::max(1e-9, step_seconds_total_);
  summary.pipeline_fraction = step_seconds_total_ > 0 ? pipeline_seconds_ / step_seconds_total_ : 0;
  const auto& e = last_eval_result_;
  summary.eval_mlm_loss = e.loss;
  summary.eval_mlm_accuracy = e.accuracy;
  summary.eval_mask_accuracy = e.mask_accuracy;
  summary.eval_rtd_accuracy = e.rtd_accuracy;
  summary.eval_rtd_original_accuracy = e.rtd_original_accuracy;
  summary.eval_rtd_replaced_accuracy = e.rtd_replaced_accuracy;
  summary.eval_rtd_replaced_share = e.rtd_replaced_share;
  summary.stopped_by_signal = stopped;
  if (job_) {
    const auto steps = static_cast<double>(std::max<std::int64_t>(1, run_.step - first_step_));
    summary.world_size = job_->world_size();
    summary.communication_fraction =
        (job_->stats().seconds - comm_start_.seconds) / std::max(1e-9, step_seconds_total_);
    summary.communication_bytes_per_step =
        static_cast<double>(job_->stats().bytes - comm_start_.bytes) / steps;
    spdlog::info(
        "data-parallel: {:.1f}% of step time in collectives, {:.2f} MB all-reduced per step",
        100 * summary.communication_fraction, summary.communication_bytes_per_step / 1e6);
  }
  if (stopped)
    spdlog::warn("stopped by signal {} at step {}; checkpoint saved, continue with resume",
                 StopSignal::signal_number(), run_.step);
  progress_->finish("step " + std::to_string(run_.step) + ", " + std::to_string(run_.tokens_seen) +
                    " tokens, " + fmt(summary.tokens_per_second, 0) + " tok/s (pipeline " +
                    fmt(100 * summary.pipeline_fraction, 2) + "% of step time), peak RSS " +
                    fmt(peak_rss_mib(), 0) + " MiB");
  return summary;
}

}  // namespace

PretrainSummary run_pretraining(const PretrainRecipe& recipe) {
  PretrainRun run(recipe);
  return run.train();
}

}  // namespace jointnlu::train
