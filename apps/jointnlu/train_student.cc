// `jointnlu train-student` (the BiLSTM on gold labels alone) and `jointnlu distill` (the BiLSTM
// taught by a frozen teacher's soft targets over an augmented transfer set).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "core/augment.h"
#include "core/corpus.h"
#include "core/label_overlap.h"
#include "core/word_vectors.h"
#include "train/bilstm.h"
#include "train/distill.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {
namespace {

// Adam-style optimisation of a small LSTM wants a larger step than a transformer (the reference
// char-BiLSTM used 2e-3).
constexpr double kStudentLr = 2e-3;

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

struct Generators {
  bool substitute = false, mask = false, ngram = false;
};

Generators parse_generators(const std::string& list) {
  Generators g;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "substitute")
      g.substitute = true;
    else if (item == "mask")
      g.mask = true;
    else if (item == "ngram")
      g.ngram = true;
    else if (!item.empty() && item != "none")
      throw std::invalid_argument("--generators: '" + item +
                                  "' is not one of substitute, mask, ngram, none");
  }
  return g;
}

// What the student is built on: vocabulary, labels and input length, and (for distillation) the
// teacher.
struct Setup {
  train::StudentSpec spec;
  std::optional<Tokenizer> tokenizer;
  std::optional<train::LoadedTeacher> teacher;
  std::shared_ptr<const TrainingLexicon> lexicon;  // nullptr: the student reads none
  std::vector<std::string> teacher_dirs;           // distill: every teacher (an ensemble if > 1)

  std::shared_ptr<const Lexicon> full_lexicon() const {
    return lexicon ? lexicon->full_ptr() : nullptr;
  }
  // What training example i / another transfer example i is matched against.
  std::function<const Lexicon*(std::size_t)> example_lexicon() const {
    return [this](std::size_t i) -> const Lexicon* {
      return lexicon ? &lexicon->for_example(i) : nullptr;
    };
  }
  const Lexicon* other_lexicon(std::size_t i) const {
    return lexicon ? &lexicon->for_other(i) : nullptr;
  }
};

// The student's architecture from the flags; embedding size follows the initialisation source.
train::StudentConfig student_config(const Options& o, int64_t vocab, int64_t embedding_size,
                                    int64_t lexicon_features) {
  train::StudentConfig c;
  c.lexicon_features = lexicon_features;
  c.vocab_size = vocab;
  c.embedding_size = embedding_size;
  c.hidden_size = o.hidden_size;
  c.num_layers = o.layers;
  c.pooling = train::parse_pooling(o.pooling);
  c.attention_size = 2 * o.hidden_size;
  c.dropout = o.dropout;
  return c;
}

// Builds the model and initialises its embeddings as --embed-init says (not on resume: the saved
// weights replace everything).
train::JointBiLSTM build_student(const Options& o, Setup& s) {
  std::optional<torch::Tensor> source;
  int64_t embedding_size = o.embedding_size;
  if (!o.resume && o.embed_init == "teacher") {
    if (!s.teacher) throw std::invalid_argument("--embed-init teacher needs --teacher DIR");
    source = s.teacher->model->albert->embeddings->word_embeddings->weight.detach().clone();
    embedding_size = source->size(1);
  } else if (!o.resume && o.embed_init != "random") {
    const auto vectors = read_vocab_vectors(o.embed_init, s.tokenizer->vocab(), o.seed);
    spdlog::info("--embed-init {}: {} of {} vocabulary entries found ({}-d); the rest random",
                 o.embed_init, vectors.found_count, s.tokenizer->vocab_size(), vectors.dim);
    source = torch::from_blob(const_cast<float*>(vectors.matrix.data()),
                              {static_cast<int64_t>(s.tokenizer->vocab_size()),
                               static_cast<int64_t>(vectors.dim)},
                              torch::kFloat32)
                 .clone();
    embedding_size = static_cast<int64_t>(vectors.dim);
  }
  if (!o.resume)
    s.spec.model =
        student_config(o, static_cast<int64_t>(s.tokenizer->vocab_size()), embedding_size,
                       s.lexicon ? static_cast<int64_t>(s.lexicon->full().feature_count()) : 0);
  torch::manual_seed(o.seed);
  train::JointBiLSTM model(s.spec.model, s.spec.labels);
  if (source) train::set_embeddings(model, *source);
  return model;
}

// A further teacher of an ensemble must read what the first one read: the same vocabulary, labels,
// input length and lexicon categories, so its logits line up position by position and class by
// class.
void check_same_inputs(const Setup& s, const std::string& dir) {
  const auto& t = *s.teacher;
  const auto mismatch = [&](const std::string& what) {
    return std::invalid_argument("teacher " + dir + ": its " + what + " differs from that of " +
                                 s.teacher_dirs.front() + " (an ensemble shares them)");
  };
  if (t.tokenizer.vocab() != s.tokenizer->vocab()) throw mismatch("vocabulary");
  if (t.spec.labels.to_json() != s.spec.labels.to_json()) throw mismatch("label space");
  if (t.spec.max_length != s.spec.max_length) throw mismatch("max_length");
  if (t.spec.lexicon_categories != s.spec.lexicon_categories)
    throw mismatch("lexicon (categories)");
}

void restore_for_resume(const Options& o, Setup& s) {
  const auto saved = train::parse_student_config(train::read_config(o.out), o.out + "/config.json");
  if (saved.labels.to_json() != s.spec.labels.to_json())
    throw std::invalid_argument("--resume: the labels differ from those of the model in " + o.out);
  if (saved.lexicon_categories != s.spec.lexicon_categories)
    throw std::invalid_argument(
        "--resume: the lexicon flags give other categories than those of "
        "the model in " +
        o.out + " (give the same --lexicon flags)");
  s.spec.model = saved.model;
  s.spec.max_length = saved.max_length;
  s.tokenizer = Tokenizer::from_vocab_file(o.out + "/vocab.txt", saved.tokenizer);
}

// Trains the student on `encoded` and reports; shared by both commands.
int train_student(const Options& o, Setup& s, train::JointBiLSTM& model,
                  const std::vector<train::EncodedExample>& encoded,
                  const std::vector<Example>& gold_examples, const train::Batcher& batcher,
                  const std::optional<train::DistillOptions>& distill) {
  const ReadOptions read = o.read_options();
  const auto dev = o.dev.empty() ? std::vector<Record>{} : read_records(o.dev, read);
  const auto test = o.test.empty() ? std::vector<Record>{} : read_records(o.test, read);
  for (const auto& w : label_overlap_warnings(gold_examples, dev, o.dev)) spdlog::warn("{}", w);
  const auto weights = train::LossWeights::parse(o.weights);
  const auto weighting = train::parse_class_weighting(o.class_weights);
  // Class weights from the gold labels only (augmented examples carry none).
  const auto counts = train::count_labels(batcher.encode_all(gold_examples), s.spec.labels);
  const double lr = o.lr > 0 ? o.lr : kStudentLr;
  s.spec.training = {{"train", o.train},
                     {"dev", o.dev},
                     {"teacher", s.teacher_dirs.size() > 1    ? nlohmann::json(s.teacher_dirs)
                                 : s.teacher_dirs.size() == 1 ? nlohmann::json(s.teacher_dirs[0])
                                                              : nlohmann::json(o.teacher)},
                     {"embed_init", o.embed_init},
                     {"loss_weights", weights.to_string()},
                     {"class_weights", train::class_weighting_name(weighting)},
                     {"lr", lr},
                     {"warmup", o.warmup},
                     {"batch_size", o.batch_size},
                     {"epochs", o.epochs},
                     {"patience", o.patience},
                     {"seed", o.seed},
                     {"transfer_examples", encoded.size()},
                     {"lexicon", lexicon_record(o, s.lexicon.get())}};
  if (distill)
    s.spec.training["distill"] = {{"alpha", distill->alpha},
                                  {"temperature", distill->temperature},
                                  {"loss", train::distill_loss_name(distill->loss)},
                                  {"augment", o.augment},
                                  {"generators", o.generators},
                                  {"corpus_lines", o.corpus_lines}};
  spdlog::info(
      "student: BiLSTM E{} H{} x{} layers, {} pooling, {:.2f} M parameters; {} training examples; "
      "lr {:.1e}, batch {}, up to {} epochs, loss weights {}, class weights {}{}",
      s.spec.model.embedding_size, s.spec.model.hidden_size, s.spec.model.num_layers,
      train::pooling_name(s.spec.model.pooling), static_cast<double>(parameter_count(*model)) / 1e6,
      encoded.size(), lr, o.batch_size, o.epochs, weights.to_string(),
      train::class_weighting_name(weighting),
      distill ? " | distillation alpha " + std::to_string(distill->alpha) + ", T " +
                    std::to_string(distill->temperature) + ", " +
                    train::distill_loss_name(distill->loss)
              : std::string());

  train::JointCriterion criterion(weights, train::class_weights(counts.domain, weighting),
                                  train::class_weights(counts.intent, weighting),
                                  train::class_weights(counts.tags, weighting));
  if (distill) criterion.distill(*distill);
  const train::JointPredictor predictor(train::as_joint_model(model), batcher);
  train::TrainerHooks hooks;
  if (!dev.empty()) hooks.evaluate = [&] { return score_on(predictor, dev); };
  hooks.checkpoint = [&](train::StateDict tensors) {
    return train::student_checkpoint(s.spec, *s.tokenizer, std::move(tensors),
                                     s.lexicon ? &s.lexicon->full() : nullptr);
  };
  train::Trainer trainer(train::as_joint_model(model), criterion, batcher, trainer_options(o, lr),
                         hooks);
  return fit_and_report(trainer, encoded, o, predictor, dev, test);
}

}  // namespace

int run_train_student(const Options& o) {
  log_environment(o.threads);
  const auto examples = read_training(o.train, o.read_options());
  Setup s;
  s.spec.labels = LabelSpace::from_examples(examples);
  s.spec.max_length = static_cast<std::size_t>(o.max_length);
  s.lexicon = training_lexicon(o, examples);
  if (s.lexicon) s.spec.lexicon_categories = s.lexicon->full().categories();
  if (o.resume) {
    restore_for_resume(o, s);
  } else if (!o.teacher.empty()) {
    // The teacher's vocabulary (and, with --embed-init teacher, its embeddings), so that this
    // baseline differs from the distilled student only in its targets.
    s.teacher = train::load_teacher(o.teacher);
    s.tokenizer = s.teacher->tokenizer;
  } else {
    s.tokenizer = build_vocabulary(examples);
  }
  s.spec.tokenizer = s.tokenizer->options();
  auto model = build_student(o, s);
  s.teacher.reset();
  const train::Batcher batcher(*s.tokenizer, s.spec.labels, s.spec.max_length, s.full_lexicon());
  const auto encoded = batcher.encode_all(examples, s.example_lexicon());
  return train_student(o, s, model, encoded, examples, batcher, std::nullopt);
}

int run_distill(const Options& o) {
  log_environment(o.threads);
  const auto examples = read_training(o.train, o.read_options());
  Setup s;
  s.teacher_dirs = o.teachers.empty() ? std::vector<std::string>{o.teacher} : o.teachers;
  const std::string& first = s.teacher_dirs.front();
  s.teacher = train::load_teacher(first);
  // The student reads exactly what the teacher read: same vocabulary, labels and length, so the
  // teacher's logits line up with the student's positions and classes.
  s.spec.labels = s.teacher->spec.labels;
  s.spec.max_length = s.teacher->spec.max_length;
  s.tokenizer = s.teacher->tokenizer;
  if (s.teacher->lexicon) {
    // ... and the same lexicon features.
    if (!o.lexicon.empty() || o.lexicon_from_train)
      throw std::invalid_argument("the teacher " + first +
                                  " has a lexicon, which the student reads too: give no --lexicon "
                                  "or --lexicon-from-train");
    s.lexicon = TrainingLexicon::from_full(s.teacher->lexicon, examples,
                                           static_cast<std::size_t>(o.lexicon_folds), o.seed);
    spdlog::info("lexicon of the teacher: {} entries in {} categories; {} fold lexicons",
                 s.lexicon->full().size(), s.lexicon->full().categories().size(),
                 s.lexicon->folds());
  } else {
    s.lexicon = training_lexicon(o, examples);  // the student's own
  }
  if (s.lexicon) s.spec.lexicon_categories = s.lexicon->full().categories();
  if (o.resume) restore_for_resume(o, s);
  s.spec.tokenizer = s.tokenizer->options();
  auto model = build_student(o, s);
  const train::Batcher batcher(*s.tokenizer, s.spec.labels, s.spec.max_length, s.full_lexicon());

  // The transfer set: gold examples, augmented variants, unlabelled corpus lines.
  auto encoded = batcher.encode_all(examples, s.example_lexicon());
  const std::size_t gold_count = encoded.size();
  const Generators g = parse_generators(o.generators);
  std::size_t variant_count = 0;
  if (o.augment > 0) {
    SlotValueBank bank;
    bank.add_examples(examples);
    if (!o.gazetteers.empty()) {
      for (const auto& [file, keys] :
           bank.add_gazetteer_dir(o.gazetteers, s.spec.labels.slot_keys())) {
        std::string joined;
        for (const auto& k : keys) joined += (joined.empty() ? "" : ", ") + k;
        spdlog::info("gazetteer {}: {}", file,
                     keys.empty() ? "matches no slot key, unused" : joined);
      }
      for (const auto& p : bank.problems()) spdlog::warn("gazetteer line skipped: {}", p);
    }
    AugmentOptions a;
    a.per_example = o.augment;
    a.substitute = g.substitute;
    a.mask = g.mask;
    a.ngram = g.ngram;
    a.seed = o.seed;
    AugmentStats stats;
    const auto variants = augment(examples, &bank, a, &stats);
    for (const auto& v : variants)
      encoded.push_back(train::encode_variant(batcher, v, s.other_lexicon(encoded.size())));
    variant_count = variants.size();
    spdlog::info(
        "augmentation ({}): {} variants from {} utterances; {} slot values substituted (bank of "
        "{}), "
        "{} characters masked, {} n-gram cuts, {} duplicates skipped",
        o.generators, stats.variants, examples.size(), stats.substituted_spans, bank.total_values(),
        stats.masked_chars, stats.ngram_cuts, stats.duplicates_skipped);
  }
  std::size_t corpus_count = 0;
  if (o.corpus_lines > 0) {
    if (o.corpus.empty()) throw std::invalid_argument("--corpus-lines needs --corpus FILE...");
    std::vector<std::string> paths;
    for (const auto& c : o.corpus) paths.push_back(parse_corpus_spec(c).path);  // weights unused
    std::size_t skipped = 0;
    const auto lines = sample_lines(paths, static_cast<std::size_t>(o.corpus_lines), o.seed,
                                    o.max_chars, &skipped);
    for (const auto& line : lines)
      encoded.push_back(train::encode_unlabelled(batcher, line, s.other_lexicon(encoded.size())));
    corpus_count = lines.size();
    spdlog::info("corpus: {} lines sampled ({} unusable lines skipped)", corpus_count, skipped);
  }
  train::DistillOptions d;
  d.alpha = o.alpha;
  d.temperature = o.temperature;
  d.loss = train::parse_distill_loss(o.kd_loss);
  spdlog::info(
      "{} teacher(s): computing soft targets for {} examples ({} gold, {} augmented, {} "
      "corpus)",
      s.teacher_dirs.size(), encoded.size(), gold_count, variant_count, corpus_count);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<train::SoftTargets>> per_teacher;
  for (std::size_t k = 0; k < s.teacher_dirs.size(); ++k) {
    if (k > 0) {
      s.teacher = train::load_teacher(s.teacher_dirs[k]);
      check_same_inputs(s, s.teacher_dirs[k]);
    }
    train::attach_teacher_logits(train::as_joint_model(s.teacher->model), batcher, encoded, 64);
    s.teacher.reset();  // frozen and no longer needed: free its memory before the next one
    if (s.teacher_dirs.size() > 1) {
      auto& soft = per_teacher.emplace_back();
      for (auto& e : encoded) soft.push_back(std::move(*e.soft));
    }
  }
  if (per_teacher.size() > 1) {
    auto averaged = train::average_soft_targets(per_teacher, d);
    per_teacher.clear();
    for (std::size_t i = 0; i < encoded.size(); ++i) encoded[i].soft = std::move(averaged[i]);
  }
  spdlog::info("soft targets ready in {:.1f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return train_student(o, s, model, encoded, examples, batcher, d);
}

}  // namespace jointnlu::cli
