// Pieces shared by the training commands (teacher, student, distillation): reading the training
// data, vocabulary, scoring, and running the trainer with one way of reporting.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/metrics.h"
#include "core/tokenizer.h"
#include "core/training_lexicon.h"
#include "options.h"
#include "train/batching.h"
#include "train/predictor.h"
#include "train/trainer.h"

namespace jointnlu::cli {

inline constexpr std::size_t kPredictBatch = 64;

// Sets the thread count and logs it with the BLAS libtorch actually uses.
void log_environment(int threads);
// Training examples; skipped records are logged; none at all is a DataError.
std::vector<Example> read_training(const std::string& path, const ReadOptions& read);
std::vector<std::string> texts_of(const std::vector<Record>& records);
Scores score_on(const train::JointPredictor& predictor, const std::vector<Record>& gold);
// The vocabulary of a model trained from scratch (every character of the training texts).
Tokenizer build_vocabulary(const std::vector<Example>& train);

// The lexicon of --lexicon / --lexicon-from-train / --lexicon-folds (nullptr when none is given),
// its categories and sizes logged.
std::shared_ptr<const TrainingLexicon> training_lexicon(const Options& o,
                                                        const std::vector<Example>& train);
// The lexicon settings, for the record in config.json.
nlohmann::json lexicon_record(const Options& o, const TrainingLexicon* lexicon);

// The trainer settings the common flags give (--out, --epochs, --batch-size, --warmup, ...).
train::TrainerOptions trainer_options(const Options& o, double lr);
// Fits, then prints the outcome on stdout (text, or one JSON object with --json) with dev and
// test scores. Returns the exit code (128 + signal when interrupted).
int fit_and_report(train::Trainer& trainer, const std::vector<train::EncodedExample>& train,
                   const Options& o, const train::JointPredictor& predictor,
                   const std::vector<Record>& dev, const std::vector<Record>& test);

}  // namespace jointnlu::cli
