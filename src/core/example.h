// The canonical utterance representation every reader produces and every model consumes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"

namespace jointnlu {

// A slot occurrence: code-point range [begin, end) of the text, labelled with a slot key.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string key;

  friend bool operator==(const Span&, const Span&) = default;
};

// Slot (key, value) pairs in the order they were written. A key may occur several times: SMP's
// list-valued slots ("city": ["北京", "上海"]) become one pair per value.
using SlotPairs = std::vector<std::pair<std::string, std::string>>;

// The same pairs sorted, so two dicts compare equal regardless of order.
SlotPairs canonical(SlotPairs pairs);

// One utterance's meaning: what a model predicts and what the scorer compares.
struct Frame {
  std::string domain;
  std::string intent;
  SlotPairs slots;
};

// A frame as one line of SMP-shaped JSON; a key with several values becomes a list.
std::string to_json_line(const std::string& text, const std::string& domain,
                         const std::string& intent, const SlotPairs& slots);

// What a reader parsed, before slot values are located in the text.
struct Record {
  std::string text;
  std::string domain;
  std::string intent;
  SlotPairs slots;
  // Present when the format carries positions itself (CoNLL tags); then they are authoritative.
  std::optional<std::vector<Span>> spans;
  SourceLocation where;
};

// A record aligned to its text: characters with byte offsets and sorted, non-overlapping spans.
struct Example {
  std::string text;
  DecodedText decoded;
  std::string domain;
  std::string intent;
  std::vector<Span> spans;  // sorted by begin, non-overlapping
  // Slot pairs of the record nested inside another slot's span: flat tags cannot hold them, so they
  // are kept here (and reported) instead of being dropped silently.
  SlotPairs nested;
  SourceLocation where;

  std::size_t size() const { return decoded.chars.size(); }
  // The UTF-8 substring covered by a span.
  std::string value(const Span& span) const;
  // Slot pairs of the spans, in text order (without `nested`).
  SlotPairs slots() const;
};

}  // namespace jointnlu
