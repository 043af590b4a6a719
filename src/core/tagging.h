// Conversions between the three views of slots: the SMP slot dict, character spans, and
// per-character BIO / BIOES tags. They are exact inverses on valid input; invalid input raises
// TaggingError.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/example.h"

namespace jointnlu {

enum class TagScheme { kBio, kBioes };

// A slot value or tag sequence that cannot be converted. The message says what and where; callers
// add the file and record.
class TaggingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Places each (key, value) at the leftmost occurrence of value in the text that does not overlap a
// span already placed (pairs are taken in the order given). Throws TaggingError for an empty value,
// a value that does not occur in the text, or one whose every occurrence overlaps another span.
//
// Nested values (SMP2019 has a few: {name: 本省农村广播, category: 农村}) cannot be expressed by
// flat tags. If `nested` is given, a value lying inside another slot's span — or containing others
// — keeps the outer span and the inner pairs are appended to *nested, so the caller can report
// them; without it they are errors. Partially crossing values are always errors.
std::vector<Span> locate_slots(std::string_view text, const DecodedText& decoded,
                               const SlotPairs& slots, SlotPairs* nested = nullptr);

// Per-character tags ("O", "B-key", "I-key", and for BIOES also "E-key", "S-key").
std::vector<std::string> spans_to_tags(std::size_t length, const std::vector<Span>& spans,
                                       TagScheme scheme = TagScheme::kBio);

// Parses a tag sequence strictly. BIOES input is accepted under kBioes only; under kBio, an I- tag
// must continue a B-/I- of the same key. Throws TaggingError naming the position of the first
// invalid tag.
std::vector<Span> tags_to_spans(const std::vector<std::string>& tags, TagScheme scheme);

// Which scheme a tag sequence uses: kBioes if any E- or S- tag occurs, else kBio.
TagScheme detect_scheme(const std::vector<std::string>& tags);

// Whether `next` may follow `prev` in a valid sequence of the scheme ("O" before the first tag and
// after the last one). Shared by validation here and by the constrained decoders.
bool tag_transition_allowed(std::string_view prev, std::string_view next, TagScheme scheme);

// Checks spans: in range, non-empty, sorted and non-overlapping. Throws TaggingError.
void check_spans(std::size_t length, const std::vector<Span>& spans);

}  // namespace jointnlu
