#include "train/mlm_metrics.h"

namespace jointnlu::train {

MlmHits& MlmHits::operator+=(const MlmHits& o) {
  targets += o.targets;
  correct += o.correct;
  at_mask += o.at_mask;
  at_mask_correct += o.at_mask_correct;
  return *this;
}

MlmHits score_mlm(const torch::Tensor& logits, const torch::Tensor& targets,
                  const torch::Tensor& at_mask) {
  torch::NoGradGuard no_grad;
  const auto hits = logits.argmax(-1) == targets;
  MlmHits h;
  h.targets = targets.size(0);
  h.correct = hits.sum().item<std::int64_t>();
  h.at_mask = at_mask.sum().item<std::int64_t>();
  h.at_mask_correct = (hits & at_mask).sum().item<std::int64_t>();
  return h;
}

}  // namespace jointnlu::train
