#include "train/recipes/training_run.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "data/vocab_builder.h"
#include "train/torch_env.h"

namespace jointnlu::train::recipes {

void log_environment(int threads) {
  const int n = configure_threads(threads);
  const auto blas = inspect_blas();
  spdlog::info("threads: {} | BLAS: {} ({}, sgemm {:.1f} GFLOP/s)", n,
               blas.library.empty() ? "(none found)" : blas.library,
               blas.openblas ? "OpenBLAS" : "not OpenBLAS: expect ~8x slower training",
               blas.sgemm_gflops);
}

std::vector<Example> read_training(const std::string& path, const ReadOptions& read) {
  ReadReport report;
  auto examples = read_examples(path, read, &report);
  for (const auto& e : report.skipped) spdlog::warn("skipped {}", e.what());
  if (examples.empty()) throw DataError(SourceLocation{path, 0, 0}, "no usable training examples");
  std::size_t nested = 0;
  for (const auto& e : examples) nested += e.nested.size();
  if (nested)
    spdlog::info(
        "{}: {} nested slot pairs cannot be tagged (the outer span is kept); they count as misses",
        path, nested);
  return examples;
}

std::vector<Record> read_optional(const std::string& path, const ReadOptions& read) {
  return path.empty() ? std::vector<Record>{} : read_records(path, read);
}

std::shared_ptr<const TrainingLexicon> training_lexicon(const TrainingRecipe& r,
                                                        const std::vector<Example>& train) {
  TrainingLexiconOptions options;
  for (const auto& spec : r.lexicon) options.sources.push_back(LexiconSource::parse(spec));
  options.from_train = r.lexicon_from_train;
  options.folds = static_cast<std::size_t>(r.lexicon_folds);
  options.seed = r.seed;
  if (options.empty()) return nullptr;
  const auto started = std::chrono::steady_clock::now();
  auto lexicon = TrainingLexicon::build(options, train);
  const Lexicon& full = lexicon->full();
  std::string names;
  for (const auto& c : full.categories()) names += (names.empty() ? "" : ", ") + c;
  spdlog::info(
      "lexicon: {} entries in {} categories ({} features per position): {}; {} fold "
      "lexicons; built in {:.1f} s",
      full.size(), full.categories().size(), full.feature_count(), names, lexicon->folds(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return lexicon;
}

nlohmann::json lexicon_record(const TrainingRecipe& r, const TrainingLexicon* lexicon) {
  if (!lexicon) return nullptr;
  return {{"sources", r.lexicon},
          {"from_train", r.lexicon_from_train},
          {"folds", lexicon->folds()},
          {"entries", lexicon->full().size()}};
}

nlohmann::json schedule_record(const TrainingRecipe& r, double lr) {
  return {{"lr", lr},           {"warmup", r.warmup},     {"batch_size", r.batch_size},
          {"epochs", r.epochs}, {"patience", r.patience}, {"seed", r.seed}};
}

Scores score_on(const JointPredictor& predictor, const std::vector<Record>& gold) {
  std::vector<std::string> texts;
  texts.reserve(gold.size());
  for (const auto& r : gold) texts.push_back(r.text);
  return score_records(gold, prediction_records(texts, predictor.predict(texts, kPredictBatch)));
}

// The vocabulary of a model trained from scratch: the special tokens, then every character of the
// training texts as the uncased tokenizer sees it, Latin letters and digits also as "##" pieces
// (see VocabBuilder). Only the training set: dev/test characters never seen in training become
// [UNK].
Tokenizer build_vocabulary(const std::vector<Example>& train) {
  VocabBuilder builder;
  std::vector<std::string> texts;
  for (const auto& e : train) {
    builder.force_text(e.text);
    texts.push_back(e.text);
  }
  auto vocab = builder.build();
  const std::size_t added = ensure_coverage(vocab, texts);
  if (added) spdlog::debug("vocabulary: {} tokens added for coverage", added);
  return Tokenizer(std::move(vocab));
}

TrainerOptions trainer_options(const TrainingRecipe& r, double lr) {
  TrainerOptions t;
  t.out_dir = r.out;
  t.epochs = r.epochs;
  t.batch_size = static_cast<std::size_t>(r.batch_size);
  t.lr = lr;
  t.warmup = r.warmup;
  t.patience = r.patience;
  t.seed = r.seed;
  t.resume = r.resume;
  t.max_steps = r.steps;
  return t;
}

std::shared_ptr<DataParallel> join_job(const TrainingRecipe& r) {
  const DistributedOptions options = resolve_distributed(r.distributed);
  if (!options.enabled()) return nullptr;
  if (!options.is_root()) spdlog::set_level(spdlog::level::warn);
  return DataParallel::join(options);
}

std::vector<std::pair<std::string, std::string>> job_fields(const nlohmann::json& recipe) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : recipe.items())
    if (name != "rank" && name != "master" && name != "out" && name != "threads" &&
        name != "dist_timeout")
      fields.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  return fields;
}

void add_dev_hooks(TrainerHooks& hooks, const JointPredictor& predictor,
                   const std::vector<Record>& dev, const TrainingCallbacks& callbacks) {
  if (!dev.empty()) hooks.evaluate = [&predictor, &dev] { return score_on(predictor, dev); };
  hooks.on_epoch = callbacks.on_epoch;
}

TrainingOutcome fit_and_score(Trainer& trainer, const std::vector<EncodedExample>& train,
                              const TrainingRecipe& r, const JointPredictor& predictor,
                              const std::vector<Record>& test) {
  const TrainResult result = trainer.fit(train);
  TrainingOutcome o;
  o.model_dir = r.out;
  o.epochs_completed = result.epochs_completed;
  o.best_epoch = result.best_epoch;
  o.mean_epoch_seconds = result.mean_epoch_seconds;
  o.early_stopped = result.early_stopped;
  o.stop_signal = result.stop_signal;
  o.stopped_at_max_steps = result.stopped_at_max_steps;
  if (o.stop_signal) {
    spdlog::warn("interrupted (signal {}): state saved in {}; continue with resume", o.stop_signal,
                 r.out);
    return o;
  }
  if (o.stopped_at_max_steps) {
    spdlog::info("stopped after {} steps: continue with resume", r.steps);
    return o;
  }
  spdlog::info("best model (epoch {}) in {}; {:.1f} s per epoch", o.best_epoch, r.out,
               o.mean_epoch_seconds);
  if (!r.dev.empty()) o.dev = result.best_dev;
  if (!test.empty()) o.test = score_on(predictor, test);
  return o;
}

CheckpointContents with_recipe(CheckpointContents contents, const nlohmann::json& recipe) {
  contents.files["recipe.json"] = recipe.dump(2) + "\n";
  return contents;
}

}  // namespace jointnlu::train::recipes
