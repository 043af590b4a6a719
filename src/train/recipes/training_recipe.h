// What every supervised training run shares (the teacher, the student alone, the distilled
// student): the data, the optimisation schedule, the loss weighting and the lexicon. Each field has
// its one default here; TeacherRecipe and StudentRecipe extend it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/metrics.h"
#include "train/distributed_options.h"
#include "train/epoch_report.h"
#include "train/trainer_options.h"

namespace jointnlu::train {

struct TrainingRecipe {
  // Data.
  std::string train;  // training data (SMP JSON, JSON Lines or CoNLL). Required.
  std::string dev;    // development data: model selection and early stopping ("": none)
  std::string test;   // test data, scored once at the end ("": none)
  std::string out;    // the checkpoint directory to write. Required.
  std::size_t max_chars = ReadOptions{}.max_chars;  // longer texts are errors (or skipped)
  std::string on_error = "reject";       // bad records: reject (alias stop) | skip and report
  std::string conll_domain = "default";  // the domain given to CoNLL records (the format has none)
  int max_length = 64;                   // longest token sequence, [CLS] and [SEP] included
  // Loss.
  std::string weights = "1,1,2";       // loss weights domain,intent,slots
  std::string class_weights = "none";  // imbalance weighting per head: none | inverse | sqrt
  // Schedule.
  int epochs = TrainerOptions{}.epochs;  // most passes over the training set
  int batch_size = static_cast<int>(TrainerOptions{}.batch_size);  // examples per optimizer step
  // Peak learning rate; 0: the recipe's own (teacher: 1e-4 from a pretrained encoder, 5e-4 from
  // scratch; student: 2e-3).
  double lr = 0;
  double warmup =
      TrainerOptions{}.warmup;  // warm-up: a fraction of all steps (< 1) or a step count (>= 1)
  int patience = TrainerOptions{}.patience;  // early stopping: epochs without dev improvement
  std::int64_t steps = 0;  // stop (resumably) after this many optimizer steps (0: no limit)
  std::uint64_t seed = TrainerOptions{}.seed;  // the same seed repeats a run exactly
  int threads = 0;                             // compute threads (0: all cores)
  bool resume = false;                         // continue from the checkpoint in `out`
  bool overwrite = false;  // replace a model already in `out` (refused without this or resume)
  // Lexicon (core/lexicon_sources.h).
  std::vector<std::string> lexicon;  // sources NAME=FILE | PREFIX=DIR | jieba[=FILE]
  bool lexicon_from_train = false;   // the training set's slot values as categories train.KEY
  int lexicon_folds = 5;  // k-fold split of those values: an utterance sees other folds' (1: none)
  DistributedFields distributed;  // data-parallel job (train/distributed.h); default: none

  template <class V>
  void visit(V&& v) {
    v("train", train, "Training data (SMP JSON, JSON Lines or CoNLL)");
    v("dev", dev, "Development data: model selection and early stopping");
    v("test", test, "Test data, scored at the end");
    v("out", out, "The model (checkpoint) directory to write");
    v("max_chars", max_chars, "Reject texts longer than this many characters");
    v("on_error", on_error, "Bad records: reject (stop = reject), or skip and report them");
    v("conll_domain", conll_domain, "Domain given to CoNLL records (the format has none)");
    v("max_length", max_length, "Longest token sequence, [CLS] and [SEP] included");
    v("weights", weights, "Loss weights for domain,intent,slots");
    v("class_weights", class_weights,
      "Class weighting of imbalanced labels per head: none, inverse frequency, or sqrt inverse");
    v("epochs", epochs, "Maximum number of epochs");
    v("batch_size", batch_size, "Examples per optimizer step");
    v("lr", lr, "Peak learning rate (0: the recipe's default)");
    v("warmup", warmup, "Warm-up: fraction of all steps if < 1, else a step count");
    v("patience", patience, "Early stopping: epochs without dev improvement");
    v("steps", steps, "Stop after this many optimizer steps, resumably (0: no limit)");
    v("seed", seed, "Random seed (same seed, same run)");
    v("threads", threads, "Compute threads (0: all cores)");
    v("resume", resume, "Continue from the checkpoint in out");
    v("overwrite", overwrite,
      "Replace the model already in out (without it or resume, training refuses to start)");
    v("lexicon", lexicon,
      "Lexicon source, repeatable: NAME=FILE (one entry per line), PREFIX=DIR (every *.txt as "
      "PREFIX.STEM) or jieba[=FILE] (python3-jieba's dictionary by POS)");
    v("lexicon_from_train", lexicon_from_train,
      "Add the training set's slot values as lexicon categories train.KEY");
    v("lexicon_folds", lexicon_folds,
      "With lexicon_from_train: an utterance sees only the values of the other folds, as test "
      "utterances see values of training (1: no folds)");
    distributed.visit(v);
  }

  ReadOptions read_options() const;
  // Throws RecipeError naming the first field out of range.
  void validate() const;
  // Throws RecipeError("out") when `out` already holds a model or checkpoint and neither resume nor
  // overwrite is set: a rerun must not silently replace a trained model.
  void check_out() const;
};

struct TrainingCallbacks {
  std::function<void(const EpochReport&)> on_epoch;  // after every epoch (unset: nothing)
};

// What a training run ended with.
struct TrainingOutcome {
  std::string model_dir;
  int epochs_completed = 0;  // including those of a resumed run
  int best_epoch = 0;        // 1-based; 0 if no epoch completed
  double mean_epoch_seconds = 0;
  bool early_stopped = false;
  int stop_signal = 0;                // SIGINT/SIGTERM that interrupted the run (state saved)
  bool stopped_at_max_steps = false;  // `steps` reached (state saved)
  std::optional<Scores> dev;          // the best model's dev scores (with a dev set)
  std::optional<Scores> test;  // the best model's test scores (with a test set, when finished)
};

}  // namespace jointnlu::train
