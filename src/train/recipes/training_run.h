// The steps the training recipes share (internal to src/train/recipes): reading the data, the
// vocabulary of a model trained from scratch, the lexicon, the trainer's options, fitting and
// scoring, and saving the recipe beside the model.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "data/dataset.h"
#include "data/metrics.h"
#include "data/training_lexicon.h"
#include "train/batching.h"
#include "train/predictor.h"
#include "train/recipes/training_recipe.h"
#include "train/trainer.h"

namespace jointnlu::train::recipes {

inline constexpr std::size_t kPredictBatch = 64;

// Sets the thread count and logs it with the BLAS libtorch actually uses.
void log_environment(int threads);
// Training examples; skipped records are logged; none at all is a DataError.
std::vector<Example> read_training(const std::string& path, const ReadOptions& read);
// The dev or test records of `path` ("" : none).
std::vector<Record> read_optional(const std::string& path, const ReadOptions& read);
Scores score_on(const JointPredictor& predictor, const std::vector<Record>& gold);
// The vocabulary of a model trained from scratch (every character of the training texts).
Tokenizer build_vocabulary(const std::vector<Example>& train);

// The lexicon the recipe's lexicon fields give (nullptr when none), its categories logged.
std::shared_ptr<const TrainingLexicon> training_lexicon(const TrainingRecipe& r,
                                                        const std::vector<Example>& train);
// The lexicon settings, for the record in config.json.
nlohmann::json lexicon_record(const TrainingRecipe& r, const TrainingLexicon* lexicon);
// The optimisation settings a checkpoint records: lr (as resolved), warmup, batch_size, epochs,
// patience, seed.
nlohmann::json schedule_record(const TrainingRecipe& r, double lr);

TrainerOptions trainer_options(const TrainingRecipe& r, double lr);
// Joins the data-parallel job the recipe names; nullptr when it names none. Ranks other than 0
// then log warnings and errors only.
std::shared_ptr<DataParallel> join_job(const TrainingRecipe& r);
// What the ranks of a job must agree on: every recipe field but those a rank may set for itself
// (rank, master, out, threads, dist_timeout).
std::vector<std::pair<std::string, std::string>> job_fields(const nlohmann::json& recipe);
// The trainer's hooks for a dev set (evaluate) and the callbacks (on_epoch).
void add_dev_hooks(TrainerHooks& hooks, const JointPredictor& predictor,
                   const std::vector<Record>& dev, const TrainingCallbacks& callbacks);
// Fits, then scores the best model on `test`; the outcome as a value.
TrainingOutcome fit_and_score(Trainer& trainer, const std::vector<EncodedExample>& train,
                              const TrainingRecipe& r, const JointPredictor& predictor,
                              const std::vector<Record>& test);

// The checkpoint with the recipe that made it (recipe.json), so every saved model says how it was
// made and can be made again.
CheckpointContents with_recipe(CheckpointContents contents, const nlohmann::json& recipe);

}  // namespace jointnlu::train::recipes
