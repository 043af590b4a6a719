// What the trainer tells its caller after every epoch (TrainerHooks::on_epoch, and through the
// recipes TrainingCallbacks::on_epoch). Torch-free, so the recipes' headers stay torch-free.
#pragma once

#include <cstdint>
#include <optional>

#include "data/metrics.h"

namespace jointnlu::train {

// One finished epoch, as the trainer reports it to TrainingCallbacks::on_epoch.
struct EpochReport {
  int epoch = 0;   // 1-based
  int epochs = 0;  // planned
  std::int64_t step = 0;
  double seconds = 0;  // training time of the epoch
  double loss = 0;     // mean training loss
  std::optional<Scores> dev;
  bool best = false;  // the best so far (saved as the model)
};

}  // namespace jointnlu::train
