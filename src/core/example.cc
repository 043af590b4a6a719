#include "core/example.h"

#include <algorithm>

namespace jointnlu {

SlotPairs canonical(SlotPairs pairs) {
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

std::string Example::value(const Span& span) const {
  const auto& off = decoded.offsets;
  return text.substr(off[span.begin], off[span.end] - off[span.begin]);
}

SlotPairs Example::slots() const {
  SlotPairs out;
  out.reserve(spans.size());
  for (const auto& s : spans) out.emplace_back(s.key, value(s));
  return out;
}

}  // namespace jointnlu
