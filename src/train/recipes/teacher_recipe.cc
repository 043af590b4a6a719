// train_teacher(): the ALBERT teacher recipe (what `jointnlu train-teacher` runs).
#include "train/recipes/teacher_recipe.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <optional>

#include "core/model_directory.h"
#include "data/label_overlap.h"
#include "data/shipped_encoder.h"
#include "train/albert_config.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train/recipes/recipe_checks.h"
#include "train/recipes/recipe_fields.h"
#include "train/recipes/training_run.h"

namespace jointnlu::train {

using namespace recipes;

namespace {

// Fine-tuning a pretrained encoder wants small steps (BERT/ALBERT practice: 1e-4 and below for
// small models); a randomly initialised one needs larger ones to get going (5e-4: the SMP2019 runs
// in docs/RESULTS.md; not tuned further).
constexpr double kLrFromScratch = 5e-4;
constexpr double kLrPretrained = 1e-4;
// The shape of a teacher trained from scratch (init "none") when no size is given.
constexpr const char* kScratchPreset = "tiny";

void log_load_report(const LoadReport& r, const std::string& dir) {
  spdlog::info(
      "init {}: {} tensors loaded, {} new (the heads){}", dir, r.loaded.size(), r.missing.size(),
      r.prefix_remapped
          ? ", encoder prefix '" + r.checkpoint_prefix + "' mapped to '" + r.module_prefix + "'"
          : "");
  if (!r.unexpected.empty()) {
    std::string names;
    for (std::size_t i = 0; i < r.unexpected.size() && i < 6; ++i)
      names += (i ? ", " : "") + r.unexpected[i];
    spdlog::info("init {}: {} tensors not used (pretraining heads): {}{}", dir, r.unexpected.size(),
                 names, r.unexpected.size() > 6 ? ", ..." : "");
  }
}

nlohmann::json class_weight_summary(const torch::Tensor& w) {
  if (!w.defined()) return nullptr;
  return {{"min", w.min().item<double>()}, {"max", w.max().item<double>()}};
}

// The per-class loss weights of the three heads, from the training set's label counts.
struct HeadWeights {
  torch::Tensor domain, intent, tags;
};

// What the teacher checkpoint records of its training ("training" in config.json).
nlohmann::json training_record(const TeacherRecipe& r, const std::string& init,
                               const TeacherSpec& spec, const LossWeights& weights,
                               ClassWeighting weighting, const HeadWeights& w, double lr,
                               const TrainingLexicon* lexicon) {
  nlohmann::json t = {
      {"train", r.train},
      {"dev", r.dev},
      {"init", r.resume       ? "(resumed)"
               : init.empty() ? "none"
                              : init},
      {"size", init.empty() && !r.resume ? (r.size.empty() ? kScratchPreset : r.size) : ""},
      {"position_init", init.empty() ? r.position_init : ""},
      {"encoder_dropout", spec.albert.hidden_dropout_prob},
      {"loss_weights", weights.to_string()},
      {"class_weights", class_weighting_name(weighting)},
      {"class_weight_range",
       {{"domain", class_weight_summary(w.domain)},
        {"intent", class_weight_summary(w.intent)},
        {"tags", class_weight_summary(w.tags)}}},
      {"lexicon", lexicon_record(r, lexicon)}};
  t.update(schedule_record(r, lr));
  return t;
}

// Where the encoder comes from: "" = a fresh initialisation of the size preset (init "none"),
// else a Hugging Face ALBERT, BERT or ELECTRA directory (by default the shipped encoder).
std::string resolve_init(const TeacherRecipe& r) {
  if (r.resume) {
    if (!r.init.empty()) throw RecipeError("init", "resume continues out; give no init");
    return "";
  }
  if (r.init == "none") return "";
  if (!r.size.empty())
    throw RecipeError("size", r.size +
                                  " shapes a teacher trained from scratch: set init to none "
                                  "with it (otherwise the encoder's own shape is used)");
  if (!r.init.empty()) return r.init;
  const ShippedEncoder shipped = find_shipped_encoder();
  if (shipped.dir.empty())
    throw RecipeError("init", "none given and " + shipped.problem +
                                  ": give a directory, or none to train from scratch");
  return shipped.dir;
}

// The architecture, vocabulary and starting weights: those of the run being resumed, of the
// pretrained encoder, or of a fresh preset.
struct Encoder {
  std::optional<Tokenizer> tokenizer;
  std::optional<PretrainedEncoder> pretrained;
};

Encoder choose_encoder(const TeacherRecipe& r, const std::string& init,
                       const std::vector<Example>& train, TeacherSpec& spec) {
  Encoder e;
  if (r.resume) {
    const ModelDirectory d(r.out);
    const auto saved = parse_teacher_config(d.config(), d.config_path());
    if (saved.labels.to_json() != spec.labels.to_json())
      throw RecipeError("resume",
                        "the labels of " + r.train + " differ from those of the model in " + r.out);
    if (saved.lexicon_categories != spec.lexicon_categories)
      throw RecipeError("lexicon", "other categories than those of the model in " + r.out +
                                       " (give the same lexicon sources to resume)");
    spec.albert = saved.albert;
    spec.pooling = saved.pooling;
    e.tokenizer = d.tokenizer(saved.tokenizer, static_cast<std::size_t>(saved.albert.vocab_size));
  } else if (!init.empty()) {
    e.pretrained = read_pretrained(init);
    spec.albert = e.pretrained->config;
    e.tokenizer = e.pretrained->tokenizer;
  } else {
    e.tokenizer = build_vocabulary(train);
    const auto v = static_cast<int64_t>(e.tokenizer->vocab_size());
    spec.albert = AlbertConfig::from_preset_or_file(r.size.empty() ? kScratchPreset : r.size, v);
  }
  if (!r.resume && r.encoder_dropout >= 0) {
    spec.albert.hidden_dropout_prob = r.encoder_dropout;
    spec.albert.attention_probs_dropout_prob = r.encoder_dropout;
  }
  if (r.max_length > spec.albert.max_position_embeddings)
    throw RecipeError("max_length", std::to_string(r.max_length) + " exceeds the model's " +
                                        std::to_string(spec.albert.max_position_embeddings) +
                                        " positions");
  spec.max_length = static_cast<std::size_t>(r.max_length);
  spec.tokenizer = e.tokenizer->options();
  if (!r.resume) spec.pooling = parse_classifier_pooling(r.classifier_pooling);
  return e;
}

void log_training_set(const std::vector<EncodedExample>& encoded, const TeacherSpec& spec,
                      const Tokenizer& tokenizer, JointAlbert& model) {
  std::size_t unk = 0, tokens = 0, truncated = 0;
  for (const auto& e : encoded) {
    tokens += e.input.kept_tokens;
    truncated += e.input.kept_tokens < e.input.encoding.size();
    for (std::size_t t = 1; t + 1 < e.input.ids.size(); ++t)
      unk += e.input.ids[t] == tokenizer.unk_id();
  }
  int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  spdlog::info(
      "train: {} examples, {} tokens ({} [UNK], {} texts truncated to {}); {} domains, {} "
      "intents, {} pairs, {} slot keys; vocabulary {}; ALBERT H{} x{} layers, {:.2f} M parameters",
      encoded.size(), tokens, unk, truncated, spec.max_length, spec.labels.domains().size(),
      spec.labels.intents().size(), spec.labels.pairs().size(), spec.labels.slot_keys().size(),
      tokenizer.vocab_size(), spec.albert.hidden_size, spec.albert.num_hidden_layers,
      static_cast<double>(parameters) / 1e6);
}

}  // namespace

void TeacherRecipe::validate() const {
  TrainingRecipe::validate();
  check_choice("position_init", position_init, {"sinusoidal", "normal"});
  check_range("encoder_dropout", encoder_dropout, -1.0, 0.9);
  check_choice("classifier_pooling", classifier_pooling, {"cls", "mean"});
  if (!size.empty() && !size.ends_with(".json")) {
    const auto presets = AlbertConfig::preset_names();
    if (std::find(presets.begin(), presets.end(), size) == presets.end())
      throw RecipeError("size", "'" + size + "' is neither a preset nor a config .json file");
  }
}

TrainingOutcome train_teacher(const TeacherRecipe& r, const TrainingCallbacks& callbacks) {
  r.validate();
  auto job = join_job(r);
  r.check_out();
  const std::string init = resolve_init(r);
  log_environment(r.threads);
  const ReadOptions read = r.read_options();
  const auto train_examples = read_training(r.train, read);
  const auto dev = read_optional(r.dev, read);
  const auto test = read_optional(r.test, read);
  for (const auto& w : label_overlap_warnings(train_examples, dev, r.dev)) spdlog::warn("{}", w);
  const auto weights = LossWeights::parse(r.weights);
  const auto weighting = parse_class_weighting(r.class_weights);
  const auto lexicon = training_lexicon(r, train_examples);

  TeacherSpec spec;
  if (lexicon) spec.lexicon_categories = lexicon->full().categories();
  spec.labels = LabelSpace::from_examples(train_examples);
  Encoder encoder = choose_encoder(r, init, train_examples, spec);
  const Tokenizer& tokenizer = *encoder.tokenizer;
  const double lr = r.lr > 0 ? r.lr : encoder.pretrained ? kLrPretrained : kLrFromScratch;

  torch::manual_seed(r.seed);
  JointAlbert model(spec.albert, spec.labels, spec.pooling,
                    lexicon ? static_cast<int64_t>(lexicon->full().feature_count()) : 0);
  if (encoder.pretrained)
    log_load_report(load_pretrained(model, *encoder.pretrained), init);
  else if (!r.resume) {
    init_position_embeddings(*model->albert, parse_position_init(r.position_init));
    if (AlbertConfig::is_bert_preset(r.size)) init_embedding_projection_identity(*model->albert);
  }
  encoder.pretrained.reset();  // the checkpoint's tensors are copied into the model

  const Batcher batcher(tokenizer, spec.labels, spec.max_length,
                        lexicon ? lexicon->full_ptr() : nullptr);
  const auto encoded = batcher.encode_all(train_examples, [&](std::size_t i) -> const Lexicon* {
    return lexicon ? &lexicon->for_example(i) : nullptr;
  });
  const auto counts = count_labels(encoded, spec.labels);
  const HeadWeights head_weights{class_weights(counts.domain, weighting),
                                 class_weights(counts.intent, weighting),
                                 class_weights(counts.tags, weighting)};
  log_training_set(encoded, spec, tokenizer, model);
  spec.training =
      training_record(r, init, spec, weights, weighting, head_weights, lr, lexicon.get());
  const nlohmann::json recipe_json = recipe_to_json(r);

  const JointPredictor predictor(as_joint_model(model), batcher);
  TrainerHooks hooks;
  add_dev_hooks(hooks, predictor, dev, callbacks);
  hooks.checkpoint = [&](StateDict tensors) {
    return with_recipe(teacher_checkpoint(spec, tokenizer, std::move(tensors),
                                          lexicon ? &lexicon->full() : nullptr),
                       recipe_json);
  };
  spdlog::info(
      "training: lr {:.1e}, batch {}, up to {} epochs, loss weights {}, class weights {}{}", lr,
      r.batch_size, r.epochs, weights.to_string(), class_weighting_name(weighting),
      dev.empty() ? " (no dev set: no early stopping, the last epoch is kept)" : "");
  hooks.job = job_fields(recipe_json);
  Trainer trainer(
      as_joint_model(model),
      JointCriterion(weights, head_weights.domain, head_weights.intent, head_weights.tags), batcher,
      trainer_options(r, lr), hooks, std::move(job));
  return fit_and_score(trainer, encoded, r, predictor, test);
}

}  // namespace jointnlu::train
