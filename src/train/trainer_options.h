// The fine-tuning loop's settings (trainer.h), torch-free so that the recipes, which the CLI binary
// includes, take their defaults from here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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

}  // namespace jointnlu::train
