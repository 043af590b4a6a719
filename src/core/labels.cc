#include "core/labels.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace jointnlu {

LabelVocab::LabelVocab(std::vector<std::string> labels) : labels_(std::move(labels)) {
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i] == kUnknownName) throw std::invalid_argument("label '<unk>' is reserved");
    if (!ids_.emplace(labels_[i], static_cast<int>(i)).second)
      throw std::invalid_argument("duplicate label '" + labels_[i] + "'");
  }
}

LabelVocab LabelVocab::from_observed(const std::vector<std::string>& observed) {
  std::set<std::string> distinct(observed.begin(), observed.end());
  return LabelVocab(std::vector<std::string>(distinct.begin(), distinct.end()));
}

int LabelVocab::id(std::string_view label) const {
  auto it = ids_.find(std::string(label));
  return it == ids_.end() ? kUnknown : it->second;
}

const std::string& LabelVocab::name(int id) const {
  static const std::string unknown(kUnknownName);
  if (id == kUnknown) return unknown;
  if (id < 0 || id >= size())
    throw std::out_of_range("label id " + std::to_string(id) + " out of range");
  return labels_[static_cast<std::size_t>(id)];
}

}  // namespace jointnlu
