#include "train/batching.h"

#include <algorithm>
#include <stdexcept>

namespace jointnlu::train {

Batcher::Batcher(Tokenizer tokenizer, LabelSpace labels, std::size_t max_length,
                 std::shared_ptr<const Lexicon> lexicon)
    : tokenizer_(std::move(tokenizer)),
      labels_(std::move(labels)),
      max_length_(max_length),
      lexicon_(std::move(lexicon)) {}

ModelInput Batcher::input(const std::string& text, const Lexicon* lexicon) const {
  if (lexicon && !lexicon_)
    throw std::logic_error("Batcher::input: a lexicon for a model that reads none");
  return make_model_input(tokenizer_, text, max_length_, lexicon ? lexicon : lexicon_.get());
}

EncodedExample Batcher::encode(const Example& example, const Lexicon* lexicon) const {
  EncodedExample e;
  e.input = input(example.text, lexicon);
  e.domain = labels_.domains().id(example.domain);
  e.intent = labels_.intents().id(example.intent);
  e.slot_tags.assign(e.input.ids.size(), kIgnoreTag);
  const auto tags = gold_tags(e.input, example.spans, labels_);
  for (std::size_t i = 0; i < tags.size(); ++i)
    if (tags[i] != LabelVocab::kUnknown) e.slot_tags[e.input.labelled[i]] = tags[i];
  return e;
}

std::vector<EncodedExample> Batcher::encode_all(
    const std::vector<Example>& examples,
    const std::function<const Lexicon*(std::size_t)>& lexicon_of) const {
  std::vector<EncodedExample> out;
  out.reserve(examples.size());
  for (std::size_t i = 0; i < examples.size(); ++i)
    out.push_back(encode(examples[i], lexicon_of ? lexicon_of(i) : nullptr));
  return out;
}

Batch Batcher::collate_inputs(const std::vector<const ModelInput*>& members) const {
  const auto n = static_cast<int64_t>(members.size());
  std::size_t longest = 1;
  for (const auto* m : members) longest = std::max(longest, m->ids.size());
  const auto len = static_cast<int64_t>(longest);
  Batch b;
  b.input_ids = torch::full({n, len}, static_cast<int64_t>(tokenizer_.pad_id()), torch::kInt64);
  b.attention_mask = torch::zeros({n, len}, torch::kInt64);
  auto ids = b.input_ids.accessor<int64_t, 2>();
  auto mask = b.attention_mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& m = *members[static_cast<std::size_t>(i)];
    for (std::size_t p = 0; p < m.ids.size(); ++p) {
      ids[i][static_cast<int64_t>(p)] = m.ids[p];
      mask[i][static_cast<int64_t>(p)] = 1;
    }
  }
  if (const std::size_t f = lexicon_features(); f > 0) {
    b.lexicon = torch::zeros({n, len, static_cast<int64_t>(f)});
    auto lex = b.lexicon.accessor<float, 3>();
    for (int64_t i = 0; i < n; ++i) {
      const PositionFeatures& pf = members[static_cast<std::size_t>(i)]->lexicon;
      for (std::size_t p = 0; p < pf.positions(); ++p)
        for (const std::uint16_t id : pf.at(p)) {
          if (id >= f) throw std::logic_error("lexicon feature id beyond the model's width");
          lex[i][static_cast<int64_t>(p)][id] = 1.0f;
        }
    }
  }
  return b;
}

Batch Batcher::collate(const std::vector<const EncodedExample*>& members) const {
  std::vector<const ModelInput*> inputs;
  inputs.reserve(members.size());
  for (const auto* m : members) inputs.push_back(&m->input);
  Batch b = collate_inputs(inputs);
  const int64_t n = b.input_ids.size(0);
  b.domain = torch::empty({n}, torch::kInt64);
  b.intent = torch::empty({n}, torch::kInt64);
  b.slot_tags = torch::full_like(b.input_ids, kIgnoreTag);
  auto tags = b.slot_tags.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& m = *members[static_cast<std::size_t>(i)];
    b.domain[i] = m.domain;
    b.intent[i] = m.intent;
    for (std::size_t p = 0; p < m.slot_tags.size(); ++p)
      tags[i][static_cast<int64_t>(p)] = m.slot_tags[p];
  }
  collate_soft(members, b);
  return b;
}

void Batcher::collate_soft(const std::vector<const EncodedExample*>& members, Batch& b) const {
  const EncodedExample* first = nullptr;
  for (const auto* m : members)
    if (m->soft) first = m;
  if (!first) return;
  const int64_t n = b.input_ids.size(0), len = b.input_ids.size(1);
  b.soft_domain = torch::zeros({n, first->soft->domain.size(0)});
  b.soft_intent = torch::zeros({n, first->soft->intent.size(0)});
  b.soft_slots = torch::zeros({n, len, first->soft->slots.size(1)});
  b.soft_rows = torch::zeros({n});
  b.soft_positions = torch::zeros({n, len});
  auto rows = b.soft_rows.accessor<float, 1>();
  auto positions = b.soft_positions.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& m = *members[static_cast<std::size_t>(i)];
    if (!m.soft) continue;
    rows[i] = 1.0f;
    b.soft_domain[i].copy_(m.soft->domain);
    b.soft_intent[i].copy_(m.soft->intent);
    b.soft_slots[i].narrow(0, 0, m.soft->slots.size(0)).copy_(m.soft->slots);
    for (std::size_t p : m.input.labelled) positions[i][static_cast<int64_t>(p)] = 1.0f;
  }
}

LabelCounts count_labels(const std::vector<EncodedExample>& examples, const LabelSpace& labels) {
  LabelCounts c;
  c.domain.assign(static_cast<std::size_t>(labels.domains().size()), 0);
  c.intent.assign(static_cast<std::size_t>(labels.intents().size()), 0);
  c.tags.assign(static_cast<std::size_t>(labels.tags().size()), 0);
  for (const auto& e : examples) {
    if (e.domain >= 0) ++c.domain[static_cast<std::size_t>(e.domain)];
    if (e.intent >= 0) ++c.intent[static_cast<std::size_t>(e.intent)];
    for (int64_t t : e.slot_tags)
      if (t >= 0) ++c.tags[static_cast<std::size_t>(t)];
  }
  return c;
}

}  // namespace jointnlu::train
