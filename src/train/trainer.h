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
#include "train/distributed.h"
#include "train/epoch_report.h"
#include "train/joint_loss.h"
#include "train/joint_model.h"
#include "train/trainer_options.h"

namespace jointnlu::train {

struct TrainerHooks {
  // Scores the current model on the dev set. Unset: no dev set, the last epoch counts as the best.
  std::function<Scores()> evaluate;
  // The model's checkpoint files (config.json, vocab.txt, ...) for the given weights, which must go
  // unchanged into model.safetensors (the default tensors_file): resuming reads the best weights
  // back from there.
  std::function<CheckpointContents(StateDict)> checkpoint;
  // Called after every epoch, once it is saved. Unset: nothing.
  std::function<void(const EpochReport&)> on_epoch;
  // Data-parallel runs: what the ranks must agree on besides what the trainer checks itself (the
  // model's shape, the training examples, the schedule), e.g. {"vocab", text_fingerprint(...)}.
  std::vector<std::pair<std::string, std::string>> job;
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
  // The batcher is used for collation only and must outlive fit(). With `parallel` (a joined
  // job of several ranks), every rank calls fit() with the same examples; each step's batch is
  // split between the ranks and their gradients averaged, rank 0's parameters are broadcast at
  // the start, only rank 0 writes the checkpoint directory, and a resumed run reads it on rank 0
  // and sends it to the others.
  Trainer(JointModel model, JointCriterion criterion, const Batcher& batcher,
          TrainerOptions options, TrainerHooks hooks,
          std::shared_ptr<DataParallel> parallel = nullptr);

  // Trains, checkpointing to options.out_dir; on return the model holds the best weights. Throws
  // std::runtime_error when resuming from a directory without a resumable state.
  TrainResult fit(const std::vector<EncodedExample>& train);

 private:
  JointModel model_;
  JointCriterion criterion_;
  const Batcher& batcher_;
  TrainerOptions options_;
  TrainerHooks hooks_;
  std::shared_ptr<DataParallel> parallel_;
};

// Dev model selection: sentence accuracy first, then intent accuracy, slot F1 and domain accuracy
// (early epochs often tie at sentence accuracy 0).
std::vector<double> selection_key(const Scores& scores);

}  // namespace jointnlu::train
