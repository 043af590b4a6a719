// The output space of a joint model: domains, intents, the BIO slot tag set, and the (domain,
// intent) pairs seen in training. Every model (ALBERT teacher, BiLSTM student, the runtime) reads
// the same space from the "jointnlu" section of its config.json, so ids mean the same thing
// everywhere.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/example.h"
#include "core/labels.h"

namespace jointnlu {

class LabelSpace {
 public:
  // Tag id of "O". B-key and I-key of the k-th slot key (sorted) are 1 + 2k and 2 + 2k.
  static constexpr int kOutside = 0;

  LabelSpace() = default;
  // Labels are taken as given (no sorting); pairs are (domain, intent) names that must exist.
  // Throws std::invalid_argument for duplicates, unknown names in a pair, or a slot key that
  // cannot form a tag (empty, or containing no characters).
  LabelSpace(std::vector<std::string> domains, std::vector<std::string> intents,
             std::vector<std::string> slot_keys,
             const std::vector<std::pair<std::string, std::string>>& pairs);

  // Everything observed in the training examples, sorted by byte order (never by record order).
  // Slot keys include those of `nested` pairs, which flat tags cannot hold, only if they also
  // occur as spans somewhere.
  static LabelSpace from_examples(const std::vector<Example>& examples);

  const LabelVocab& domains() const { return domains_; }
  const LabelVocab& intents() const { return intents_; }
  const LabelVocab& tags() const { return tags_; }  // "O", B-k1, I-k1, B-k2, ...
  const std::vector<std::string>& slot_keys() const { return slot_keys_; }
  // Seen pairs as (domain id, intent id), sorted.
  const std::vector<std::pair<int, int>>& pairs() const { return pairs_; }
  bool seen(int domain, int intent) const { return pair_set_.count({domain, intent}) > 0; }

  int begin_tag(int key) const { return 1 + 2 * key; }
  int inside_tag(int key) const { return 2 + 2 * key; }
  // The key index of a B-/I- tag id, or -1 for "O".
  int key_of_tag(int tag) const { return tag <= 0 ? -1 : (tag - 1) / 2; }

  // {"domains": [...], "intents": [...], "slot_keys": [...], "tag_scheme": "BIO",
  //  "tags": [...], "pairs": [[domain, intent], ...]}. "tags" is informative: it is derived.
  nlohmann::json to_json() const;
  // Throws std::invalid_argument naming the offending field.
  static LabelSpace from_json(const nlohmann::json& j);

 private:
  LabelVocab domains_;
  LabelVocab intents_;
  std::vector<std::string> slot_keys_;
  LabelVocab tags_;
  std::vector<std::pair<int, int>> pairs_;
  std::set<std::pair<int, int>> pair_set_;
};

}  // namespace jointnlu
