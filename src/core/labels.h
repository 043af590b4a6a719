// Label vocabularies (domains, intents, slot tags), built from the training set only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jointnlu {

class LabelVocab {
 public:
  // The id of a label the vocabulary does not know (a dev/test label never seen in training). No
  // model ever predicts it, so such gold labels always count as errors.
  static constexpr int kUnknown = -1;
  static constexpr std::string_view kUnknownName = "<unk>";

  LabelVocab() = default;
  // Labels in the given order; duplicates are an error (std::invalid_argument).
  explicit LabelVocab(std::vector<std::string> labels);
  // Distinct labels sorted by byte order, so a vocabulary never depends on record order.
  static LabelVocab from_observed(const std::vector<std::string>& observed);

  int id(std::string_view label) const;   // kUnknown if absent
  const std::string& name(int id) const;  // "<unk>" for kUnknown; std::out_of_range otherwise
  bool contains(std::string_view label) const { return id(label) != kUnknown; }
  int size() const { return static_cast<int>(labels_.size()); }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  std::vector<std::string> labels_;
  std::unordered_map<std::string, int> ids_;
};

}  // namespace jointnlu
