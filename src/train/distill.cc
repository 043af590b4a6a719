#include "train/distill.h"

#include <algorithm>

namespace jointnlu::train {

EncodedExample encode_unlabelled(const Batcher& batcher, const std::string& text,
                                 const Lexicon* lexicon) {
  EncodedExample e;
  e.input = batcher.input(text, lexicon);
  e.slot_tags.assign(e.input.ids.size(), kIgnoreTag);
  return e;
}

EncodedExample encode_variant(const Batcher& batcher, const Variant& variant,
                              const Lexicon* lexicon) {
  EncodedExample e = encode_unlabelled(batcher, variant.example.text, lexicon);
  const auto& enc = e.input.encoding;
  const int mask = batcher.tokenizer().mask_id();
  for (std::size_t c : variant.masked) {
    if (c >= enc.char_token.size() || enc.char_token[c] < 0) continue;
    // Every token covering the character (a Latin word is one token for several characters).
    for (std::size_t t = static_cast<std::size_t>(enc.char_token[c]);
         t < e.input.kept_tokens && enc.token_chars[t].first <= c; ++t)
      if (c < enc.token_chars[t].second) e.input.ids[t + 1] = mask;
  }
  return e;
}

void attach_teacher_logits(const JointModel& teacher, const Batcher& batcher,
                           std::vector<EncodedExample>& examples, std::size_t batch_size,
                           const std::function<void(std::size_t, std::size_t)>& progress) {
  teacher.module->eval();
  torch::NoGradGuard no_grad;
  batch_size = std::max<std::size_t>(1, batch_size);
  for (std::size_t first = 0; first < examples.size(); first += batch_size) {
    const std::size_t last = std::min(examples.size(), first + batch_size);
    std::vector<const ModelInput*> members;
    for (std::size_t i = first; i < last; ++i) members.push_back(&examples[i].input);
    const JointLogits out = teacher.forward(batcher.collate_inputs(members));
    const auto domain = out.domain.to(torch::kFloat32);
    const auto intent = out.intent.to(torch::kFloat32);
    const auto slots = out.slots.to(torch::kFloat32);
    for (std::size_t i = first; i < last; ++i) {
      const auto k = static_cast<int64_t>(i - first);
      const auto len = static_cast<int64_t>(examples[i].input.ids.size());
      examples[i].soft =
          SoftTargets{domain[k].clone(), intent[k].clone(), slots[k].narrow(0, 0, len).clone()};
    }
    if (progress) progress(last, examples.size());
  }
}

namespace {

torch::Tensor average(const std::vector<torch::Tensor>& logits, const DistillOptions& options) {
  if (options.loss == DistillLoss::kMse) return torch::stack(logits).mean(0);
  const double t = options.temperature;
  const auto p = torch::softmax(torch::stack(logits) / t, -1).mean(0);
  return t * torch::log(p.clamp_min(1e-30));  // clamp: a class every teacher gives 0 stays finite
}

}  // namespace

std::vector<SoftTargets> average_soft_targets(
    const std::vector<std::vector<SoftTargets>>& per_teacher, const DistillOptions& options) {
  if (per_teacher.empty()) throw std::invalid_argument("average_soft_targets: no teacher");
  const std::size_t n = per_teacher.front().size();
  for (const auto& t : per_teacher)
    if (t.size() != n)
      throw std::invalid_argument("average_soft_targets: the teachers scored different examples");
  std::vector<SoftTargets> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<torch::Tensor> domain, intent, slots;
    for (const auto& t : per_teacher) {
      if (!t[i].domain.sizes().equals(per_teacher[0][i].domain.sizes()) ||
          !t[i].intent.sizes().equals(per_teacher[0][i].intent.sizes()) ||
          !t[i].slots.sizes().equals(per_teacher[0][i].slots.sizes()))
        throw std::invalid_argument("average_soft_targets: example " + std::to_string(i) +
                                    " has soft targets of different shapes");
      domain.push_back(t[i].domain);
      intent.push_back(t[i].intent);
      slots.push_back(t[i].slots);
    }
    out[i] = {average(domain, options), average(intent, options), average(slots, options)};
  }
  return out;
}

}  // namespace jointnlu::train
