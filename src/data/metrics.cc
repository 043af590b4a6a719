#include "data/metrics.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace jointnlu {

double PrfCounts::f1() const {
  if (predicted == 0 && gold == 0) return 1.0;
  const double denominator = static_cast<double>(predicted + gold);
  return denominator > 0 ? 2.0 * static_cast<double>(tp) / denominator : 0.0;
}

void Scorer::add(const Frame& gold, const Frame& predicted) {
  auto& s = scores_;
  ++s.utterances;
  const bool domain_ok = gold.domain == predicted.domain;
  const bool intent_ok = domain_ok && gold.intent == predicted.intent;
  s.domain_correct += domain_ok;
  s.intent_correct += intent_ok;
  ++s.domain_confusion[{gold.domain, predicted.domain}];
  ++s.intent_confusion[{gold.domain + "/" + gold.intent,
                        predicted.domain + "/" + predicted.intent}];

  const SlotPairs g = canonical(gold.slots);
  const SlotPairs p = canonical(predicted.slots);
  SlotPairs matched;
  if (intent_ok)
    std::set_intersection(g.begin(), g.end(), p.begin(), p.end(), std::back_inserter(matched));
  s.slots.gold += g.size();
  s.slots.predicted += p.size();
  s.slots.tp += matched.size();
  for (const auto& kv : g) ++s.slots_by_key[kv.first].gold;
  for (const auto& kv : p) ++s.slots_by_key[kv.first].predicted;
  for (const auto& kv : matched) ++s.slots_by_key[kv.first].tp;
  s.sentence_correct += intent_ok && g == p;
}

Frame frame_of(const Record& r) { return Frame{r.domain, r.intent, r.slots}; }

Scores score_records(const std::vector<Record>& gold, const std::vector<Record>& predicted) {
  if (gold.size() != predicted.size())
    throw std::invalid_argument("gold has " + std::to_string(gold.size()) +
                                " records but predictions have " +
                                std::to_string(predicted.size()));
  Scorer scorer;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    if (gold[i].text != predicted[i].text)
      throw std::invalid_argument("record " + std::to_string(i + 1) + ": gold text '" +
                                  gold[i].text + "' differs from predicted text '" +
                                  predicted[i].text + "' (" + predicted[i].where.to_string() + ")");
    scorer.add(frame_of(gold[i]), frame_of(predicted[i]));
  }
  return scorer.scores();
}

}  // namespace jointnlu
