// The model-agnostic joint interface: what the trainer, the losses and the predictor need from a
// model (the ALBERT teacher, the BiLSTM student), and nothing more.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "train/batching.h"

namespace jointnlu::train {

// Raw scores of the three heads (no softmax applied).
struct JointLogits {
  torch::Tensor domain;  // [B, domains]
  torch::Tensor intent;  // [B, intents]
  torch::Tensor slots;   // [B, L, tags], one row per input position
};

// A model as the generic code sees it: a module (parameters, train()/eval()) and its forward pass.
struct JointModel {
  std::shared_ptr<torch::nn::Module> module;
  std::function<JointLogits(const Batch&)> forward;
};

}  // namespace jointnlu::train
