// Pieces shared by the training commands (teacher, student, distillation).
#include "train_common.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/vocab_builder.h"
#include "report.h"
#include "train/torch_env.h"

namespace jointnlu::cli {

void log_environment(int threads) {
  const int n = train::configure_threads(threads);
  const auto blas = train::inspect_blas();
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

std::shared_ptr<const TrainingLexicon> training_lexicon(const Options& o,
                                                        const std::vector<Example>& train) {
  TrainingLexiconOptions options;
  for (const auto& spec : o.lexicon) options.sources.push_back(LexiconSource::parse(spec));
  options.from_train = o.lexicon_from_train;
  options.folds = static_cast<std::size_t>(o.lexicon_folds);
  options.seed = o.seed;
  if (options.empty()) return nullptr;
  const auto started = std::chrono::steady_clock::now();
  auto lexicon = TrainingLexicon::build(options, train);
  const Lexicon& full = lexicon->full();
  std::string names;
  for (const auto& c : full.categories()) names += (names.empty() ? "" : ", ") + c;
  spdlog::info("lexicon: {} entries in {} categories ({} features per position): {}; {} fold "
               "lexicons; built in {:.1f} s",
               full.size(), full.categories().size(), full.feature_count(), names,
               lexicon->folds(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return lexicon;
}

nlohmann::json lexicon_record(const Options& o, const TrainingLexicon* lexicon) {
  if (!lexicon) return nullptr;
  return {{"sources", o.lexicon},
          {"from_train", o.lexicon_from_train},
          {"folds", lexicon->folds()},
          {"entries", lexicon->full().size()}};
}

std::vector<std::string> texts_of(const std::vector<Record>& records) {
  std::vector<std::string> texts;
  texts.reserve(records.size());
  for (const auto& r : records) texts.push_back(r.text);
  return texts;
}

Scores score_on(const train::JointPredictor& predictor, const std::vector<Record>& gold) {
  const auto texts = texts_of(gold);
  return score_records(gold,
                       train::prediction_records(texts, predictor.predict(texts, kPredictBatch)));
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

train::TrainerOptions trainer_options(const Options& o, double lr) {
  train::TrainerOptions t;
  t.out_dir = o.out;
  t.epochs = o.epochs;
  t.batch_size = static_cast<std::size_t>(o.batch_size);
  t.lr = lr;
  t.warmup = o.warmup;
  t.patience = o.patience;
  t.seed = o.seed;
  t.resume = o.resume;
  t.max_steps = o.steps;
  return t;
}

int fit_and_report(train::Trainer& trainer, const std::vector<train::EncodedExample>& train,
                   const Options& o, const train::JointPredictor& predictor,
                   const std::vector<Record>& dev, const std::vector<Record>& test) {
  const auto result = trainer.fit(train);
  if (result.stop_signal) {
    spdlog::warn("interrupted (signal {}): state saved in {}; continue with --resume",
                 result.stop_signal, o.out);
    return 128 + result.stop_signal;
  }
  if (result.stopped_at_max_steps) {
    spdlog::info("stopped after --steps {}: continue with --resume", o.steps);
    return 0;
  }
  spdlog::info("best model (epoch {}) in {}; {:.1f} s per epoch", result.best_epoch, o.out,
               result.mean_epoch_seconds);
  const std::optional<Scores> test_scores =
      test.empty() ? std::nullopt : std::optional<Scores>(score_on(predictor, test));
  if (o.json) {
    nlohmann::json j{{"model", o.out},
                     {"best_epoch", result.best_epoch},
                     {"epochs", result.epochs_completed},
                     {"seconds_per_epoch", result.mean_epoch_seconds}};
    if (!dev.empty()) j["dev"] = scores_json(result.best_dev);
    if (test_scores) j["test"] = scores_json(*test_scores);
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "model           " << o.out << "\n"
            << "best_epoch      " << result.best_epoch << "\n"
            << "epochs          " << result.epochs_completed << "\n"
            << "seconds/epoch   " << result.mean_epoch_seconds << "\n";
  if (!dev.empty()) {
    std::cout << "\ndev (" << o.dev << ")\n";
    print_scores(std::cout, result.best_dev, false);
  }
  if (test_scores) {
    std::cout << "\ntest (" << o.test << ")\n";
    print_scores(std::cout, *test_scores, false);
  }
  return 0;
}

}  // namespace jointnlu::cli
