// The joint loss: W1·CE(domain) + W2·CE(intent) + W3·CE(slots), each head optionally
// class-weighted.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "train/joint_model.h"

namespace jointnlu::train {

// Weights of the three task losses.
struct LossWeights {
  double domain = 1.0;
  double intent = 1.0;
  double slots = 2.0;  // slot tagging is the hardest task and decides sentence accuracy

  // "1,1,2": three non-negative numbers, not all zero. Throws std::invalid_argument.
  static LossWeights parse(const std::string& text);
  std::string to_string() const;
};

// How each head's cross-entropy weighs its classes (computed from training-label counts).
enum class ClassWeighting {
  kNone,     // every class 1
  kInverse,  // n / (k * n_c): each class contributes equally ("balanced")
  kSqrt,     // sqrt(n / (k * n_c)): half-way, rare classes boosted less aggressively
};
ClassWeighting parse_class_weighting(const std::string& name);  // none | inverse | sqrt
const char* class_weighting_name(ClassWeighting weighting);

// Per-class weights [k] (float). n is the total count, k the number of classes seen at least once;
// classes never seen get weight 1 (they never occur as training targets anyway). Undefined tensor
// for kNone, meaning plain cross-entropy.
torch::Tensor class_weights(const std::vector<int64_t>& counts, ClassWeighting weighting);

// Knowledge distillation, per task: (1-alpha)·CE(student, gold) + alpha·KD(student, teacher), with
//   KD = T²·KL(softmax(teacher/T) ‖ softmax(student/T))   (Hinton et al.; T² keeps the gradient
//        scale independent of T), or
//   KD = mean squared difference of the raw logits         (Tang et al. 2019).
// Slots are distilled per position (those the decoder reads). CE averages over examples with gold
// labels, KD over examples with soft targets (augmented ones have only the latter).
enum class DistillLoss { kKl, kMse };
DistillLoss parse_distill_loss(const std::string& name);  // kl | mse
const char* distill_loss_name(DistillLoss loss);

struct DistillOptions {
  double alpha = 0.0;        // 0: plain training (soft targets unused), 1: soft targets only
  double temperature = 1.0;  // softens both distributions (KL only)
  DistillLoss loss = DistillLoss::kKl;
};

// The KD term alone for one task: logits [N,C], teacher [N,C], weights [N] (0/1: which rows count);
// the weighted mean over rows (0 when no row counts).
// `count`, when given, replaces the sum of row_weights as the denominator.
torch::Tensor distill_term(const torch::Tensor& student, const torch::Tensor& teacher,
                           const torch::Tensor& row_weights, const DistillOptions& options,
                           std::optional<double> count = std::nullopt);

struct JointLoss {
  torch::Tensor total;   // the weighted sum, what is minimised
  torch::Tensor domain;  // each task's (class-weighted) mean cross-entropy, 0 without targets
  torch::Tensor intent;
  torch::Tensor slots;
};

// The denominators of the loss's five means: per head, the (class-weighted) count of gold targets;
// the counts of rows and slot positions with soft targets. A data-parallel step (distributed.h)
// sums them over the ranks, so that every rank divides its share by the global batch's.
struct LossDenominators {
  double domain = 0, intent = 0, slots = 0, soft_rows = 0, soft_positions = 0;

  std::vector<double> values() const { return {domain, intent, slots, soft_rows, soft_positions}; }
  static LossDenominators from(const std::vector<double>& v) {
    return {v.at(0), v.at(1), v.at(2), v.at(3), v.at(4)};
  }
};

class JointCriterion {
 public:
  // Class-weight tensors may be undefined (no weighting).
  JointCriterion(LossWeights weights, torch::Tensor domain_class_weights = {},
                 torch::Tensor intent_class_weights = {}, torch::Tensor tag_class_weights = {});
  // Targets with kIgnoreClass / kIgnoreTag are left out; a task with no targets in the batch adds
  // 0.
  JointLoss operator()(const JointLogits& logits, const Batch& batch) const;
  // The same loss, each mean divided by `over` instead of this batch's own denominators (a shard
  // of a larger batch; a zero denominator gives 0).
  JointLoss operator()(const JointLogits& logits, const Batch& batch,
                       const LossDenominators& over) const;
  // This batch's own denominators.
  LossDenominators denominators(const Batch& batch) const;

  const LossWeights& weights() const { return weights_; }
  // Adds distillation towards the batch's soft targets (Batch::soft_*). alpha = 0 leaves the loss
  // exactly the plain one.
  JointCriterion& distill(DistillOptions options);
  const DistillOptions& distill_options() const { return distill_; }

 private:
  JointLoss compute(const JointLogits& logits, const Batch& batch,
                    const LossDenominators* over) const;

  LossWeights weights_;
  torch::Tensor domain_weights_;
  torch::Tensor intent_weights_;
  torch::Tensor tag_weights_;
  DistillOptions distill_;
};

}  // namespace jointnlu::train
