// The generic fine-tuning loop for joint models (the ALBERT teacher now, the BiLSTM student later):
// AdamW with linear warm-up and decay, gradient clipping, early stopping on dev sentence accuracy,
// and one checkpoint directory that always holds the best model and everything needed to resume.
//
// The checkpoint directory (written atomically with write_checkpoint_dir, at every epoch end and on
// SIGINT/SIGTERM):
//   config.json, vocab.txt, model.safetensors  the best model so far (from
//   TrainerHooks::checkpoint) training.csv                               the curves, one row per
//   epoch trainer_state.json                         epoch, step, position in the epoch, best
//   score, ... resume.safetensors                         the latest weights ("model.*") and
//   torch's RNG state optimizer.pt                               AdamW's state (torch::save)
// The curves live inside the directory, not beside it, because the directory is replaced as a
// whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/metrics.h"
#include "train/batching.h"
#include "train/checkpoint.h"
#include "train/epoch_report.h"
#include "train/joint_loss.h"
#include "train/joint_model.h"

namespace jointnlu::train {

struct TrainerOptions {
  // The checkpoint directory (see above). Required.
  std::string out_dir;
  // Maximum number of passes over the training set.
  int epochs = 30;
  // Examples per optimizer step.
  std::size_t batch_size = 32;
  // Peak learning rate, reached at the end of the warm-up.
  double lr = 5e-4;
  // Warm-up length: a fraction of all steps when < 1, else a number of steps.
  double warmup = 0.1;
  // AdamW's decoupled weight decay; biases and LayerNorm parameters are never decayed (BERT
  // practice).
  double weight_decay = 0.01;
  // Gradients are rescaled to this global L2 norm at most; 0 disables clipping.
  double clip_norm = 1.0;
  // Early stopping: stop after this many epochs without a better dev score; 0 never stops early.
  int patience = 5;
  // Seeds the shuffling (epoch e uses seed + e, so a resumed run reshuffles identically). Seed
  // torch (torch::manual_seed) before building the model: initialisation and dropout draw from it.
  std::uint64_t seed = 42;
  // Continue from the state saved in out_dir instead of starting over.
  bool resume = false;
  // Stop after this many optimizer steps in total, saving a resumable state (0: no limit). The
  // schedule is still planned for `epochs`, so a run stopped here and resumed equals one run
  // straight through.
  std::int64_t max_steps = 0;
  // Seconds between progress lines on stderr.
  double progress_interval = 2.0;
};

struct TrainerHooks {
  // Scores the current model on the dev set. Unset: no dev set, the last epoch counts as the best.
  std::function<Scores()> evaluate;
  // The model's checkpoint files (config.json, vocab.txt, ...) for the given weights, which must go
  // unchanged into model.safetensors (the default tensors_file): resuming reads the best weights
  // back from there.
  std::function<CheckpointContents(StateDict)> checkpoint;
  // Called after every epoch, once it is saved. Unset: nothing.
  std::function<void(const EpochReport&)> on_epoch;
};

struct TrainResult {
  int epochs_completed = 0;         // including those of a resumed run
  int best_epoch = 0;               // 1-based; 0 if no epoch completed
  Scores best_dev;                  // empty without a dev set
  double mean_epoch_seconds = 0.0;  // training time per epoch (dev evaluation excluded), this run
  bool early_stopped = false;
  int stop_signal = 0;  // SIGINT/SIGTERM that interrupted the run, or 0
  bool stopped_at_max_steps = false;
};

class Trainer {
 public:
  // The batcher is used for collation only and must outlive fit().
  Trainer(JointModel model, JointCriterion criterion, const Batcher& batcher,
          TrainerOptions options, TrainerHooks hooks);

  // Trains, checkpointing to options.out_dir; on return the model holds the best weights. Throws
  // std::runtime_error when resuming from a directory without a resumable state.
  TrainResult fit(const std::vector<EncodedExample>& train);

 private:
  JointModel model_;
  JointCriterion criterion_;
  const Batcher& batcher_;
  TrainerOptions options_;
  TrainerHooks hooks_;
};

// Dev model selection: sentence accuracy first, then intent accuracy, slot F1 and domain accuracy
// (early epochs often tie at sentence accuracy 0).
std::vector<double> selection_key(const Scores& scores);

}  // namespace jointnlu::train
