// Masked-LM accuracy, split by what the model saw at each predicted position.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace jointnlu::train {

struct MlmHits {
  std::int64_t targets = 0, correct = 0;
  // Targets whose input was [MASK]. BERT also scores 10% kept and 10% random inputs, and a kept
  // token is trivially copied, so accuracy over all targets flatters a model that has learned no
  // context; accuracy at [MASK] inputs is the honest figure.
  std::int64_t at_mask = 0, at_mask_correct = 0;

  MlmHits& operator+=(const MlmHits& o);
};

// logits [N,V], targets [N] int64, at_mask [N] bool: argmax hits overall and at [MASK] inputs.
MlmHits score_mlm(const torch::Tensor& logits, const torch::Tensor& targets,
                  const torch::Tensor& at_mask);

}  // namespace jointnlu::train
