// The pretraining optimizer: AdamW (decoupled weight decay) or LAMB (AdamW's update scaled per
// tensor by the trust ratio ||w|| / ||update||, You et al. 2019), with a state that can be saved
// and loaded exactly (moments and step count as named tensors), which libtorch's optimizers do not
// offer in a file format of our own.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/state_dict.h"

namespace jointnlu::train {

enum class OptimizerKind { kAdamW, kLamb };

// "adamw" | "lamb"; throws std::invalid_argument otherwise.
OptimizerKind parse_optimizer(const std::string& name);

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kAdamW;
  double beta1 = 0.9;          // first-moment decay
  double beta2 = 0.999;        // second-moment decay
  double eps = 1e-6;           // added to the root of the second moment (BERT's value)
  double weight_decay = 0.01;  // decoupled; not applied to biases and LayerNorm weights
};

class AdamLamb {
 public:
  // Named parameters (e.g. from module.named_parameters()); each must be a leaf that requires grad.
  AdamLamb(std::vector<std::pair<std::string, torch::Tensor>> params, OptimizerConfig config);

  void zero_grad();
  // One update with learning rate lr (parameters without a gradient are left alone).
  void step(double lr);

  // "<param>.exp_avg", "<param>.exp_avg_sq" and "optimizer.step" (int64 scalar). Tensors are
  // copies.
  StateDict state() const;
  // Throws CheckpointError naming a missing tensor or a shape mismatch.
  void load_state(const StateDict& state);

  std::int64_t steps() const { return step_; }

 private:
  struct Slot {
    std::string name;
    torch::Tensor param;
    torch::Tensor exp_avg;
    torch::Tensor exp_avg_sq;
    bool decay = true;
  };
  std::vector<Slot> slots_;
  OptimizerConfig config_;
  std::int64_t step_ = 0;
};

}  // namespace jointnlu::train
