// Upper bounds on every size a model's config.json may declare, checked when the config is parsed:
// before any tensor list is built, any shape computed or any memory allocated from it. A config
// says how many layers to expect, so without a bound a damaged or hostile one ("num_layers":
// 1000000000) makes the loader loop and allocate for minutes before it compares a single tensor.
// The bounds are far above any real model (BERT-large: 24 layers, width 1024, 4096 intermediate;
// the largest Chinese vocabularies: ~50k tokens) and small enough that products of two of them
// fit in 64 bits.
#pragma once

#include <cstdint>
#include <string>

namespace jointnlu {

inline constexpr std::int64_t kMaxModelVocab = std::int64_t{1} << 22;      // tokens
inline constexpr std::int64_t kMaxModelWidth = std::int64_t{1} << 16;      // embedding, hidden, FFN
inline constexpr std::int64_t kMaxModelLayers = 128;                       // layers, groups
inline constexpr std::int64_t kMaxModelHeads = 1024;                       // attention heads
inline constexpr std::int64_t kMaxModelPositions = std::int64_t{1} << 16;  // max_length, positions
inline constexpr std::int64_t kMaxModelTokenTypes = 1024;

// "FIELD must be at most LIMIT, found VALUE", for an error message naming the field.
inline std::string over_limit(const std::string& field, std::int64_t value, std::int64_t limit) {
  return field + " must be at most " + std::to_string(limit) + ", found " + std::to_string(value);
}

}  // namespace jointnlu
