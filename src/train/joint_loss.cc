#include "train/joint_loss.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace jointnlu::train {
namespace {

namespace F = torch::nn::functional;

// Mean cross-entropy over the targets that are not `ignore`; 0 (with a graph) when there are none,
// where torch's mean would be 0/0. With `denominator`, the weighted sum divided by it instead.
torch::Tensor masked_ce(const torch::Tensor& logits, const torch::Tensor& targets, int64_t ignore,
                        const torch::Tensor& weights, const double* denominator = nullptr) {
  const bool none =
      denominator ? *denominator <= 0 : (targets != ignore).sum().item<int64_t>() == 0;
  if (none || targets.numel() == 0) return logits.sum() * 0.0;
  auto options = F::CrossEntropyFuncOptions().ignore_index(ignore);
  if (weights.defined()) options.weight(weights.to(logits.dtype()));
  if (!denominator) return F::cross_entropy(logits, targets, options);
  return F::cross_entropy(logits, targets, options.reduction(torch::kSum)) / *denominator;
}

// What masked_ce divides by: the class weights of the gold targets, summed (their count without
// weights).
double target_weight(const torch::Tensor& targets, int64_t ignore, const torch::Tensor& weights) {
  const auto valid = targets != ignore;
  if (!weights.defined()) return static_cast<double>(valid.sum().item<int64_t>());
  const auto safe = torch::where(valid, targets, torch::zeros_like(targets));
  return (weights.to(torch::kFloat64).index_select(0, safe.reshape({-1})).reshape(safe.sizes()) *
          valid.to(torch::kFloat64))
      .sum()
      .item<double>();
}

}  // namespace

LossWeights LossWeights::parse(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    while (used < item.size() && item[used] == ' ') ++used;
    if (item.empty() || used != item.size() || !(v >= 0) || !std::isfinite(v))
      throw std::invalid_argument("loss weights: '" + item +
                                  "' is not a non-negative number (expected e.g. 1,1,2)");
    values.push_back(v);
  }
  if (values.size() != 3)
    throw std::invalid_argument("loss weights: expected three numbers domain,intent,slots, got '" +
                                text + "'");
  if (values[0] + values[1] + values[2] <= 0)
    throw std::invalid_argument("loss weights: all three are zero");
  return {values[0], values[1], values[2]};
}

std::string LossWeights::to_string() const {
  std::ostringstream out;
  out << domain << "," << intent << "," << slots;
  return out.str();
}

ClassWeighting parse_class_weighting(const std::string& name) {
  if (name == "none") return ClassWeighting::kNone;
  if (name == "inverse") return ClassWeighting::kInverse;
  if (name == "sqrt") return ClassWeighting::kSqrt;
  throw std::invalid_argument("class weighting '" + name + "' is not one of none, inverse, sqrt");
}

const char* class_weighting_name(ClassWeighting weighting) {
  switch (weighting) {
    case ClassWeighting::kNone:
      return "none";
    case ClassWeighting::kInverse:
      return "inverse";
    case ClassWeighting::kSqrt:
      return "sqrt";
  }
  return "?";
}

torch::Tensor class_weights(const std::vector<int64_t>& counts, ClassWeighting weighting) {
  if (weighting == ClassWeighting::kNone) return {};
  int64_t total = 0, seen = 0;
  for (int64_t c : counts) total += c, seen += c > 0;
  auto w = torch::ones({static_cast<int64_t>(counts.size())}, torch::kFloat32);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] <= 0) continue;
    const double balanced =
        static_cast<double>(total) / (static_cast<double>(seen) * static_cast<double>(counts[i]));
    w[static_cast<int64_t>(i)] =
        weighting == ClassWeighting::kInverse ? balanced : std::sqrt(balanced);
  }
  return w;
}

JointCriterion::JointCriterion(LossWeights weights, torch::Tensor domain_class_weights,
                               torch::Tensor intent_class_weights, torch::Tensor tag_class_weights)
    : weights_(weights),
      domain_weights_(std::move(domain_class_weights)),
      intent_weights_(std::move(intent_class_weights)),
      tag_weights_(std::move(tag_class_weights)) {}

DistillLoss parse_distill_loss(const std::string& name) {
  if (name == "kl") return DistillLoss::kKl;
  if (name == "mse") return DistillLoss::kMse;
  throw std::invalid_argument("distillation loss '" + name + "' is not one of kl, mse");
}

const char* distill_loss_name(DistillLoss loss) { return loss == DistillLoss::kKl ? "kl" : "mse"; }

torch::Tensor distill_term(const torch::Tensor& student, const torch::Tensor& teacher,
                           const torch::Tensor& row_weights, const DistillOptions& options,
                           std::optional<double> denominator) {
  const auto rows = row_weights.to(student.dtype());
  const double count = denominator ? *denominator : rows.sum().item<double>();
  if (count <= 0 || rows.numel() == 0) return student.sum() * 0.0;
  const auto target = teacher.to(student.dtype()).detach();
  torch::Tensor per_row;
  if (options.loss == DistillLoss::kKl) {
    const double t = options.temperature;
    const auto log_p_teacher = torch::log_softmax(target / t, -1);
    const auto log_p_student = torch::log_softmax(student / t, -1);
    per_row = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(-1) * (t * t);
  } else {
    per_row = (student - target).pow(2).mean(-1);
  }
  return (per_row * rows).sum() / count;
}

JointCriterion& JointCriterion::distill(DistillOptions options) {
  if (!(options.alpha >= 0.0 && options.alpha <= 1.0))
    throw std::invalid_argument("distillation alpha must be in [0, 1]");
  if (!(options.temperature > 0.0))
    throw std::invalid_argument("distillation temperature must be positive");
  distill_ = options;
  return *this;
}

JointLoss JointCriterion::operator()(const JointLogits& logits, const Batch& batch) const {
  return compute(logits, batch, nullptr);
}

JointLoss JointCriterion::operator()(const JointLogits& logits, const Batch& batch,
                                     const LossDenominators& over) const {
  return compute(logits, batch, &over);
}

LossDenominators JointCriterion::denominators(const Batch& batch) const {
  LossDenominators d;
  d.domain = target_weight(batch.domain, kIgnoreClass, domain_weights_);
  d.intent = target_weight(batch.intent, kIgnoreClass, intent_weights_);
  d.slots = target_weight(batch.slot_tags, kIgnoreTag, tag_weights_);
  if (batch.soft_domain.defined()) {
    d.soft_rows = batch.soft_rows.sum().item<double>();
    d.soft_positions = batch.soft_positions.sum().item<double>();
  }
  return d;
}

JointLoss JointCriterion::compute(const JointLogits& logits, const Batch& batch,
                                  const LossDenominators* over) const {
  JointLoss loss;
  loss.domain = masked_ce(logits.domain, batch.domain, kIgnoreClass, domain_weights_,
                          over ? &over->domain : nullptr);
  loss.intent = masked_ce(logits.intent, batch.intent, kIgnoreClass, intent_weights_,
                          over ? &over->intent : nullptr);
  const int64_t tags = logits.slots.size(-1);
  loss.slots = masked_ce(logits.slots.reshape({-1, tags}), batch.slot_tags.reshape({-1}),
                         kIgnoreTag, tag_weights_, over ? &over->slots : nullptr);
  // A shard without soft targets still weighs its cross-entropy by (1 - alpha) when the batch it
  // belongs to has some, as the whole batch would.
  const bool soft = batch.soft_domain.defined();
  if (distill_.alpha > 0.0 && (soft || (over && over->soft_rows > 0))) {
    const double a = distill_.alpha;
    const auto rows = over ? std::optional<double>(over->soft_rows) : std::nullopt;
    const auto positions = over ? std::optional<double>(over->soft_positions) : std::nullopt;
    loss.domain = (1 - a) * loss.domain;
    loss.intent = (1 - a) * loss.intent;
    loss.slots = (1 - a) * loss.slots;
    if (soft) {
      loss.domain = loss.domain + a * distill_term(logits.domain, batch.soft_domain,
                                                   batch.soft_rows, distill_, rows);
      loss.intent = loss.intent + a * distill_term(logits.intent, batch.soft_intent,
                                                   batch.soft_rows, distill_, rows);
      loss.slots =
          loss.slots + a * distill_term(logits.slots.reshape({-1, tags}),
                                        batch.soft_slots.reshape({-1, tags}),
                                        batch.soft_positions.reshape({-1}), distill_, positions);
    }
  }
  loss.total =
      weights_.domain * loss.domain + weights_.intent * loss.intent + weights_.slots * loss.slots;
  return loss;
}

}  // namespace jointnlu::train
