// `jointnlu train-teacher`, `jointnlu predict` and `jointnlu eval --model`: the ALBERT teacher.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/dataset.h"
#include "core/decoding.h"
#include "core/file_io.h"
#include "core/label_overlap.h"
#include "core/metrics.h"
#include "core/predict_input.h"
#include "core/predict_stream.h"
#include "core/utf8.h"
#include "core/vocab_builder.h"
#include "report.h"
#include "shipped_encoder.h"
#include "train/batching.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train/predictor.h"
#include "train/torch_env.h"
#include "train/trainer.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {
namespace {

namespace fs = std::filesystem;

// Fine-tuning a pretrained encoder wants small steps (BERT/ALBERT practice: 1e-4 and below for
// small models); a randomly initialised one needs larger ones to get going (5e-4: the SMP2019 runs
// in docs/RESULTS.md; not tuned further).
constexpr double kLrFromScratch = 5e-4;
constexpr double kLrPretrained = 1e-4;
// The shape of a teacher trained from scratch (--init none) when --size is not given.
constexpr const char* kScratchPreset = "tiny";

void log_load_report(const train::LoadReport& r, const std::string& dir) {
  spdlog::info(
      "--init {}: {} tensors loaded, {} new (the heads){}", dir, r.loaded.size(), r.missing.size(),
      r.prefix_remapped
          ? ", encoder prefix '" + r.checkpoint_prefix + "' mapped to '" + r.module_prefix + "'"
          : "");
  if (!r.unexpected.empty()) {
    std::string names;
    for (std::size_t i = 0; i < r.unexpected.size() && i < 6; ++i)
      names += (i ? ", " : "") + r.unexpected[i];
    spdlog::info("--init {}: {} tensors not used (pretraining heads): {}{}", dir,
                 r.unexpected.size(), names, r.unexpected.size() > 6 ? ", ..." : "");
  }
}

nlohmann::json class_weight_summary(const torch::Tensor& w) {
  if (!w.defined()) return nullptr;
  return {{"min", w.min().item<double>()}, {"max", w.max().item<double>()}};
}

// Where the encoder comes from: "" = a fresh initialisation of the --size preset (--init none),
// else a directory in the Hugging Face ALBERT layout (--init DIR, by default the shipped encoder).
std::string resolve_init(const Options& o) {
  if (o.resume) {
    if (!o.init.empty())
      throw std::invalid_argument("--resume continues --out; do not give --init");
    return "";
  }
  if (o.init == "none") return "";
  if (!o.size.empty())
    throw std::invalid_argument("--size " + o.size +
                                " shapes a teacher trained from scratch: give --init none with it "
                                "(otherwise the encoder's own shape is used)");
  if (!o.init.empty()) return o.init;
  const ShippedEncoder shipped = find_shipped_encoder();
  if (shipped.dir.empty())
    throw std::invalid_argument("no --init given and " + shipped.problem +
                                ": give --init DIR, or --init none to train from scratch");
  return shipped.dir;
}

}  // namespace

int run_train_teacher(const Options& o) {
  if (o.out.empty())
    throw std::invalid_argument("train-teacher needs --out DIR (the model directory)");
  const std::string init = resolve_init(o);
  const std::string scratch_size = o.size.empty() ? kScratchPreset : o.size;
  log_environment(o.threads);
  const ReadOptions read = o.read_options();
  const auto train_examples = read_training(o.train, read);
  const auto dev = o.dev.empty() ? std::vector<Record>{} : read_records(o.dev, read);
  const auto test = o.test.empty() ? std::vector<Record>{} : read_records(o.test, read);
  for (const auto& w : label_overlap_warnings(train_examples, dev, o.dev)) spdlog::warn("{}", w);
  const auto weights = train::LossWeights::parse(o.weights);
  const auto weighting = train::parse_class_weighting(o.class_weights);
  const auto max_length = static_cast<std::size_t>(o.max_length);
  const auto lexicon = training_lexicon(o, train_examples);

  train::TeacherSpec spec;
  if (lexicon) spec.lexicon_categories = lexicon->full().categories();
  spec.labels = LabelSpace::from_examples(train_examples);
  std::optional<Tokenizer> tokenizer;
  std::optional<train::PretrainedEncoder> pretrained;
  if (o.resume) {
    // The architecture, vocabulary and labels are those of the run being resumed.
    const auto saved =
        train::parse_teacher_config(train::read_config(o.out), o.out + "/config.json");
    if (saved.labels.to_json() != spec.labels.to_json())
      throw std::invalid_argument("--resume: the labels of " + o.train +
                                  " differ from those of the model in " + o.out);
    spec.albert = saved.albert;
    spec.pooling = saved.pooling;
    if (saved.lexicon_categories != spec.lexicon_categories)
      throw std::invalid_argument(
          "--resume: the lexicon flags give other categories than those of "
          "the model in " +
          o.out + " (give the same --lexicon flags)");
    tokenizer = Tokenizer::from_vocab_file(o.out + "/vocab.txt", saved.tokenizer);
  } else if (!init.empty()) {
    pretrained = train::read_pretrained(init);
    spec.albert = pretrained->config;
    tokenizer = pretrained->tokenizer;
  } else {
    tokenizer = build_vocabulary(train_examples);
    const auto v = static_cast<int64_t>(tokenizer->vocab_size());
    spec.albert = train::AlbertConfig::from_preset_or_file(scratch_size, v);
  }
  if (!o.resume && o.encoder_dropout >= 0) {
    spec.albert.hidden_dropout_prob = o.encoder_dropout;
    spec.albert.attention_probs_dropout_prob = o.encoder_dropout;
  }
  if (static_cast<int64_t>(max_length) > spec.albert.max_position_embeddings)
    throw std::invalid_argument("--max-length " + std::to_string(max_length) +
                                " exceeds the model's " +
                                std::to_string(spec.albert.max_position_embeddings) + " positions");
  spec.max_length = max_length;
  spec.tokenizer = tokenizer->options();
  if (!o.resume) spec.pooling = train::parse_classifier_pooling(o.classifier_pooling);
  const double lr = o.lr > 0 ? o.lr : pretrained ? kLrPretrained : kLrFromScratch;

  torch::manual_seed(o.seed);
  train::JointAlbert model(spec.albert, spec.labels, spec.pooling,
                           lexicon ? static_cast<int64_t>(lexicon->full().feature_count()) : 0);
  if (pretrained)
    log_load_report(train::load_pretrained(model, *pretrained), init);
  else if (!o.resume)
    train::init_position_embeddings(*model->albert, train::parse_position_init(o.position_init));
  pretrained.reset();  // the checkpoint's tensors are copied into the model

  const train::Batcher batcher(*tokenizer, spec.labels, max_length,
                               lexicon ? lexicon->full_ptr() : nullptr);
  const auto encoded = batcher.encode_all(train_examples, [&](std::size_t i) -> const Lexicon* {
    return lexicon ? &lexicon->for_example(i) : nullptr;
  });
  std::size_t unk = 0, tokens = 0, truncated = 0;
  for (const auto& e : encoded) {
    tokens += e.input.kept_tokens;
    truncated += e.input.kept_tokens < e.input.encoding.size();
    for (std::size_t t = 1; t + 1 < e.input.ids.size(); ++t)
      unk += e.input.ids[t] == tokenizer->unk_id();
  }
  const auto counts = train::count_labels(encoded, spec.labels);
  const auto domain_w = train::class_weights(counts.domain, weighting);
  const auto intent_w = train::class_weights(counts.intent, weighting);
  const auto tag_w = train::class_weights(counts.tags, weighting);
  spdlog::info(
      "train: {} examples, {} tokens ({} [UNK], {} texts truncated to {}); {} domains, {} intents, "
      "{} "
      "pairs, {} slot keys; vocabulary {}; ALBERT H{} x{} layers, {:.2f} M parameters",
      encoded.size(), tokens, unk, truncated, max_length, spec.labels.domains().size(),
      spec.labels.intents().size(), spec.labels.pairs().size(), spec.labels.slot_keys().size(),
      tokenizer->vocab_size(), spec.albert.hidden_size, spec.albert.num_hidden_layers, [&] {
        int64_t n = 0;
        for (const auto& p : model->parameters()) n += p.numel();
        return static_cast<double>(n) / 1e6;
      }());

  spec.training = {{"train", o.train},
                   {"dev", o.dev},
                   {"init", o.resume       ? "(resumed)"
                            : init.empty() ? "none"
                                           : init},
                   {"size", init.empty() && !o.resume ? scratch_size : ""},
                   {"position_init", init.empty() ? o.position_init : ""},
                   {"encoder_dropout", spec.albert.hidden_dropout_prob},
                   {"loss_weights", weights.to_string()},
                   {"class_weights", train::class_weighting_name(weighting)},
                   {"class_weight_range",
                    {{"domain", class_weight_summary(domain_w)},
                     {"intent", class_weight_summary(intent_w)},
                     {"tags", class_weight_summary(tag_w)}}},
                   {"lr", lr},
                   {"warmup", o.warmup},
                   {"batch_size", o.batch_size},
                   {"epochs", o.epochs},
                   {"patience", o.patience},
                   {"seed", o.seed},
                   {"lexicon", lexicon_record(o, lexicon.get())}};

  const train::JointPredictor predictor(train::as_joint_model(model), batcher);
  train::TrainerHooks hooks;
  if (!dev.empty()) hooks.evaluate = [&] { return score_on(predictor, dev); };
  hooks.checkpoint = [&](train::StateDict tensors) {
    return train::teacher_checkpoint(spec, *tokenizer, std::move(tensors),
                                     lexicon ? &lexicon->full() : nullptr);
  };
  spdlog::info(
      "training: lr {:.1e}, batch {}, up to {} epochs, loss weights {}, class weights {}{}", lr,
      o.batch_size, o.epochs, weights.to_string(), train::class_weighting_name(weighting),
      dev.empty() ? " (no --dev: no early stopping, the last epoch is kept)" : "");
  train::Trainer trainer(train::as_joint_model(model),
                         train::JointCriterion(weights, domain_w, intent_w, tag_w), batcher,
                         trainer_options(o, lr), hooks);
  return fit_and_report(trainer, encoded, o, predictor, dev, test);
}

int run_predict(const Options& o) {
  if (o.model.empty()) throw std::invalid_argument("predict needs --model DIR");
  train::configure_threads(o.threads);
  const auto predictor = train::load_predictor(o.model);
  const auto report = predict_stream(
      o.input, o.out, o.max_chars,
      [&](const std::vector<std::string>& texts) {
        return predictor.predict(texts, kPredictBatch);
      },
      o.predict_stream_options());
  if (report.skipped > 0)
    spdlog::warn("{} records skipped (error lines in the output), {} parsed", report.skipped,
                 report.predicted);
  return 0;
}

int run_eval_model(const Options& o) {
  train::configure_threads(o.threads);
  const auto gold = read_records(o.data, o.read_options());
  const auto predictor = train::load_predictor(o.model);
  const Scores scores = score_on(predictor, gold);
  if (o.json)
    std::cout << scores_json(scores).dump(1) << "\n";
  else
    print_scores(std::cout, scores);
  return 0;
}

}  // namespace jointnlu::cli
