// train_student() and distill(): the BiLSTM student recipes (what `jointnlu train-student` and
// `jointnlu distill` run). The transfer set of distillation is assembled in transfer_set.cc.
#include "train/recipes/student_recipe.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <optional>

#include "core/model_directory.h"
#include "data/label_overlap.h"
#include "data/word_vectors.h"
#include "train/bilstm.h"
#include "train/joint_loss.h"
#include "train/recipes/recipe_checks.h"
#include "train/recipes/recipe_fields.h"
#include "train/recipes/student_setup.h"
#include "train/recipes/training_run.h"

namespace jointnlu::train {

using namespace recipes;

namespace {

// Adam-style optimisation of a small LSTM wants a larger step than a transformer (the reference
// char-BiLSTM used 2e-3).
constexpr double kStudentLr = 2e-3;

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The student's architecture from the recipe; the embedding size follows the initialisation
// source.
void set_architecture(const StudentRecipe& r, std::size_t vocab, int64_t embedding_size,
                      StudentSpec& spec) {
  spec.vocab_size = vocab;
  spec.embedding_size = static_cast<std::size_t>(embedding_size);
  spec.hidden_size = static_cast<std::size_t>(r.hidden_size);
  spec.num_layers = static_cast<std::size_t>(r.layers);
  spec.pooling = parse_pooling(r.pooling);
  spec.attention_size = 2 * spec.hidden_size;
  spec.dropout = r.dropout;
}

// Builds the model and initialises its embeddings as embed_init says (not on resume: the saved
// weights replace everything).
JointBiLSTM build_student(const StudentRecipe& r, StudentSetup& s) {
  std::optional<torch::Tensor> source;
  int64_t embedding_size = r.embedding_size;
  if (!r.resume && r.embed_init == "teacher") {
    if (!s.teacher) throw RecipeError("embed_init", "teacher needs a teacher");
    source = s.teacher->model->albert->embeddings->word_embeddings->weight.detach().clone();
    embedding_size = source->size(1);
  } else if (!r.resume && r.embed_init != "random") {
    const auto vectors = read_vocab_vectors(r.embed_init, s.tokenizer->vocab(), r.seed);
    spdlog::info("embed_init {}: {} of {} vocabulary entries found ({}-d); the rest random",
                 r.embed_init, vectors.found_count, s.tokenizer->vocab_size(), vectors.dim);
    source = torch::from_blob(const_cast<float*>(vectors.matrix.data()),
                              {static_cast<int64_t>(s.tokenizer->vocab_size()),
                               static_cast<int64_t>(vectors.dim)},
                              torch::kFloat32)
                 .clone();
    embedding_size = static_cast<int64_t>(vectors.dim);
  }
  if (!r.resume) set_architecture(r, s.tokenizer->vocab_size(), embedding_size, s.spec);
  torch::manual_seed(r.seed);
  JointBiLSTM model(s.spec);
  if (source) set_embeddings(model, *source);
  return model;
}

void restore_for_resume(const StudentRecipe& r, StudentSetup& s) {
  const ModelDirectory d(r.out);
  const StudentSpec saved = parse_student_config(d.config(), d.config_path());
  if (saved.labels.to_json() != s.spec.labels.to_json())
    throw RecipeError("resume", "the labels differ from those of the model in " + r.out);
  if (saved.lexicon_categories != s.spec.lexicon_categories)
    throw RecipeError("lexicon", "other categories than those of the model in " + r.out +
                                     " (give the same lexicon sources to resume)");
  s.tokenizer = d.tokenizer(saved.tokenizer, saved.vocab_size);
  s.spec = saved;  // the architecture and the input length as saved
}

nlohmann::json training_record(const StudentRecipe& r, const StudentSetup& s, double lr,
                               std::size_t transfer_examples,
                               const std::optional<DistillOptions>& distill) {
  nlohmann::json t = {
      {"train", r.train},
      {"dev", r.dev},
      {"teacher", r.teacher.size() > 1    ? nlohmann::json(r.teacher)
                  : r.teacher.size() == 1 ? nlohmann::json(r.teacher[0])
                                          : nlohmann::json("")},
      {"embed_init", r.embed_init},
      {"loss_weights", LossWeights::parse(r.weights).to_string()},
      {"class_weights", class_weighting_name(parse_class_weighting(r.class_weights))},
      {"transfer_examples", transfer_examples},
      {"lexicon", lexicon_record(r, s.lexicon.get())}};
  t.update(schedule_record(r, lr));
  if (distill)
    t["distill"] = {{"alpha", distill->alpha},
                    {"temperature", distill->temperature},
                    {"loss", distill_loss_name(distill->loss)},
                    {"augment", r.augment},
                    {"generators", r.generators},
                    {"corpus_lines", r.corpus_lines}};
  return t;
}

// Trains the student on `encoded` (gold, and for distillation the whole transfer set); shared by
// both recipes.
TrainingOutcome fit_student(const StudentRecipe& r, StudentSetup& s, JointBiLSTM& model,
                            const std::vector<EncodedExample>& encoded,
                            const std::vector<Example>& gold_examples, const Batcher& batcher,
                            const std::optional<DistillOptions>& distill,
                            const TrainingCallbacks& callbacks, std::shared_ptr<DataParallel> job) {
  const ReadOptions read = r.read_options();
  const auto dev = read_optional(r.dev, read);
  const auto test = read_optional(r.test, read);
  for (const auto& w : label_overlap_warnings(gold_examples, dev, r.dev)) spdlog::warn("{}", w);
  const auto weights = LossWeights::parse(r.weights);
  const auto weighting = parse_class_weighting(r.class_weights);
  // Class weights from the gold labels only (augmented examples carry none).
  const auto counts = count_labels(batcher.encode_all(gold_examples), s.spec.labels);
  const double lr = r.lr > 0 ? r.lr : kStudentLr;
  s.spec.training = training_record(r, s, lr, encoded.size(), distill);
  spdlog::info(
      "student: BiLSTM E{} H{} x{} layers, {} pooling, {:.2f} M parameters; {} training examples; "
      "lr {:.1e}, batch {}, up to {} epochs, loss weights {}, class weights {}{}",
      s.spec.embedding_size, s.spec.hidden_size, s.spec.num_layers, pooling_name(s.spec.pooling),
      static_cast<double>(parameter_count(*model)) / 1e6, encoded.size(), lr, r.batch_size,
      r.epochs, weights.to_string(), class_weighting_name(weighting),
      distill ? " | distillation alpha " + std::to_string(distill->alpha) + ", T " +
                    std::to_string(distill->temperature) + ", " + distill_loss_name(distill->loss)
              : std::string());

  JointCriterion criterion(weights, class_weights(counts.domain, weighting),
                           class_weights(counts.intent, weighting),
                           class_weights(counts.tags, weighting));
  if (distill) criterion.distill(*distill);
  const nlohmann::json recipe_json = recipe_to_json(r);
  const JointPredictor predictor(as_joint_model(model), batcher);
  TrainerHooks hooks;
  add_dev_hooks(hooks, predictor, dev, callbacks);
  hooks.checkpoint = [&](StateDict tensors) {
    return with_recipe(student_checkpoint(s.spec, *s.tokenizer, std::move(tensors),
                                          s.lexicon ? &s.lexicon->full() : nullptr),
                       recipe_json);
  };
  hooks.job = job_fields(recipe_json);
  Trainer trainer(as_joint_model(model), criterion, batcher, trainer_options(r, lr), hooks,
                  std::move(job));
  return fit_and_score(trainer, encoded, r, predictor, test);
}

}  // namespace

void StudentRecipe::validate(bool distilling) const {
  TrainingRecipe::validate();
  check_range("hidden_size", hidden_size, 1, 4096);
  check_range("layers", layers, 1, 8);
  check_range("embedding_size", embedding_size, 1, 4096);
  check_choice("pooling", pooling, {"max", "attention"});
  check_range("dropout", dropout, 0.0, 0.95);
  if (embed_init == "teacher" && teacher.empty())
    throw RecipeError("embed_init", "teacher needs a teacher");
  if (!distilling) {
    if (teacher.size() > 1)
      throw RecipeError("teacher", "the student alone takes at most one (its vocabulary)");
    return;
  }
  if (teacher.empty()) throw RecipeError("teacher", "distillation needs a teacher directory");
  check_range("alpha", alpha, 0.0, 1.0);
  check_positive("temperature", temperature);
  check_choice("kd_loss", kd_loss, {"kl", "mse"});
  check_range("augment", augment, 0, 1000);
  (void)parse_generators(generators);
  check_non_negative("corpus_lines", corpus_lines);
  if (corpus_lines > 0 && corpus.empty())
    throw RecipeError("corpus_lines", "needs corpus files to sample from");
}

TrainingOutcome train_student(const StudentRecipe& r, const TrainingCallbacks& callbacks) {
  r.validate(false);
  auto job = join_job(r);
  r.check_out();
  log_environment(r.threads);
  const auto examples = read_training(r.train, r.read_options());
  StudentSetup s;
  s.spec.labels = LabelSpace::from_examples(examples);
  s.spec.max_length = static_cast<std::size_t>(r.max_length);
  s.lexicon = training_lexicon(r, examples);
  if (s.lexicon) s.spec.lexicon_categories = s.lexicon->full().categories();
  if (r.resume) {
    restore_for_resume(r, s);
  } else if (!r.teacher.empty()) {
    // The teacher's vocabulary (and, with embed_init teacher, its embeddings), so that this
    // baseline differs from the distilled student only in its targets.
    s.teacher = load_teacher(r.teacher.front());
    s.tokenizer = s.teacher->tokenizer;
  } else {
    s.tokenizer = build_vocabulary(examples);
  }
  s.spec.tokenizer = s.tokenizer->options();
  auto model = build_student(r, s);
  s.teacher.reset();
  const Batcher batcher(*s.tokenizer, s.spec.labels, s.spec.max_length, s.full_lexicon());
  const auto encoded = batcher.encode_all(examples, s.example_lexicon());
  return fit_student(r, s, model, encoded, examples, batcher, std::nullopt, callbacks,
                     std::move(job));
}

TrainingOutcome distill(const StudentRecipe& r, const TrainingCallbacks& callbacks) {
  r.validate(true);
  auto job = join_job(r);
  r.check_out();
  log_environment(r.threads);
  const auto examples = read_training(r.train, r.read_options());
  StudentSetup s = setup_from_teacher(r, examples);
  if (r.resume) restore_for_resume(r, s);
  s.spec.tokenizer = s.tokenizer->options();
  auto model = build_student(r, s);
  const Batcher batcher(*s.tokenizer, s.spec.labels, s.spec.max_length, s.full_lexicon());
  auto encoded = build_transfer_set(r, s, batcher, examples);
  DistillOptions d;
  d.alpha = r.alpha;
  d.temperature = r.temperature;
  d.loss = parse_distill_loss(r.kd_loss);
  attach_soft_targets(r, s, batcher, encoded, d);
  return fit_student(r, s, model, encoded, examples, batcher, d, callbacks, std::move(job));
}

}  // namespace jointnlu::train
