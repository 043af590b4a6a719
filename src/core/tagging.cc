#include "core/tagging.h"

#include <algorithm>

namespace jointnlu {
namespace {

struct ParsedTag {
  char prefix;  // 'O', 'B', 'I', 'E', 'S'
  std::string_view key;
};

ParsedTag parse_tag(std::string_view tag) {
  if (tag == "O") return {'O', {}};
  if (tag.size() >= 3 && tag[1] == '-' &&
      std::string_view("BIES").find(tag[0]) != std::string_view::npos)
    return {tag[0], tag.substr(2)};
  throw TaggingError("malformed tag '" + std::string(tag) + "'");
}

bool overlaps(const std::vector<Span>& taken, std::size_t begin, std::size_t end) {
  for (const auto& s : taken)
    if (begin < s.end && s.begin < end) return true;
  return false;
}

}  // namespace

std::vector<Span> locate_slots(std::string_view text, const DecodedText& decoded,
                               const SlotPairs& slots, SlotPairs* nested) {
  std::vector<Span> spans;
  spans.reserve(slots.size());
  for (const auto& [key, value] : slots) {
    if (key.empty()) throw TaggingError("empty slot key");
    if (value.empty()) throw TaggingError("slot '" + key + "' has an empty value");
    std::vector<std::pair<std::size_t, std::size_t>> occurrences;
    for (std::size_t byte = text.find(value); byte != std::string_view::npos;
         byte = text.find(value, byte + 1)) {
      // Only matches that start and end on character boundaries count.
      auto b = std::lower_bound(decoded.offsets.begin(), decoded.offsets.end(), byte);
      auto e =
          std::lower_bound(decoded.offsets.begin(), decoded.offsets.end(), byte + value.size());
      if (b == decoded.offsets.end() || *b != byte || e == decoded.offsets.end() ||
          *e != byte + value.size())
        continue;
      occurrences.emplace_back(b - decoded.offsets.begin(), e - decoded.offsets.begin());
    }
    if (occurrences.empty())
      throw TaggingError("slot '" + key + "' value '" + value + "' does not occur in the text");
    bool placed = false;
    for (const auto& [begin, end] : occurrences) {
      if (!overlaps(spans, begin, end)) {
        spans.push_back({begin, end, key});
        placed = true;
        break;
      }
    }
    if (placed) continue;
    const std::string what = "slot '" + key + "' value '" + value + "'";
    if (!nested)
      throw TaggingError(what + " overlaps another slot at every occurrence in the text");
    // Nested: the leftmost occurrence that is inside one span, or that contains every span it
    // touches.
    for (const auto& [begin, end] : occurrences) {
      for (const auto& s : spans) {
        if (s.begin <= begin && end <= s.end) {
          nested->emplace_back(key, value);
          placed = true;
          break;
        }
      }
      if (placed) break;
      bool contains_all = true;
      for (const auto& s : spans)
        if (begin < s.end && s.begin < end && !(begin <= s.begin && s.end <= end))
          contains_all = false;
      if (contains_all) {
        std::vector<Span> kept;
        for (auto& s : spans) {
          if (begin <= s.begin && s.end <= end) {
            nested->emplace_back(
                s.key, std::string(text.substr(decoded.offsets[s.begin],
                                               decoded.offsets[s.end] - decoded.offsets[s.begin])));
          } else {
            kept.push_back(std::move(s));
          }
        }
        kept.push_back({begin, end, key});
        spans = std::move(kept);
        placed = true;
        break;
      }
    }
    if (!placed)
      throw TaggingError(what +
                         " crosses the boundary of another slot at every occurrence in the text");
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  return spans;
}

void check_spans(std::size_t length, const std::vector<Span>& spans) {
  std::size_t prev_end = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    if (s.key.empty()) throw TaggingError("span " + std::to_string(i) + " has an empty key");
    if (s.begin >= s.end || s.end > length)
      throw TaggingError("span " + std::to_string(i) + " [" + std::to_string(s.begin) + ", " +
                         std::to_string(s.end) + ") is empty or outside the text of length " +
                         std::to_string(length));
    if (i > 0 && s.begin < prev_end)
      throw TaggingError("span " + std::to_string(i) + " overlaps or precedes the span before it");
    prev_end = s.end;
  }
}

std::vector<std::string> spans_to_tags(std::size_t length, const std::vector<Span>& spans,
                                       TagScheme scheme) {
  check_spans(length, spans);
  std::vector<std::string> tags(length, "O");
  for (const auto& s : spans) {
    if (scheme == TagScheme::kBioes && s.end - s.begin == 1) {
      tags[s.begin] = "S-" + s.key;
      continue;
    }
    tags[s.begin] = "B-" + s.key;
    for (std::size_t i = s.begin + 1; i < s.end; ++i) tags[i] = "I-" + s.key;
    if (scheme == TagScheme::kBioes) tags[s.end - 1] = "E-" + s.key;
  }
  return tags;
}

TagScheme detect_scheme(const std::vector<std::string>& tags) {
  for (const auto& t : tags)
    if (t.size() >= 2 && t[1] == '-' && (t[0] == 'E' || t[0] == 'S')) return TagScheme::kBioes;
  return TagScheme::kBio;
}

bool tag_transition_allowed(std::string_view prev, std::string_view next, TagScheme scheme) {
  const ParsedTag p = parse_tag(prev);
  const ParsedTag n = parse_tag(next);
  if (scheme == TagScheme::kBio) {
    if (n.prefix == 'E' || n.prefix == 'S' || p.prefix == 'E' || p.prefix == 'S') return false;
    if (n.prefix == 'I') return (p.prefix == 'B' || p.prefix == 'I') && p.key == n.key;
    return true;
  }
  // BIOES: a span that is open (after B or I) must continue with I or E of the same key.
  const bool open = p.prefix == 'B' || p.prefix == 'I';
  if (open) return (n.prefix == 'I' || n.prefix == 'E') && n.key == p.key;
  return n.prefix == 'O' || n.prefix == 'B' || n.prefix == 'S';
}

std::vector<Span> tags_to_spans(const std::vector<std::string>& tags, TagScheme scheme) {
  std::vector<Span> spans;
  std::string prev = "O";
  for (std::size_t i = 0; i <= tags.size(); ++i) {
    const std::string& tag = i < tags.size() ? tags[i] : std::string("O");
    const ParsedTag t = parse_tag(tag);
    if (!tag_transition_allowed(prev, tag, scheme)) {
      if (i == tags.size())
        throw TaggingError("tag sequence ends inside a span ('" + prev + "' is the last tag)");
      throw TaggingError("invalid tag '" + tag + "' at position " + std::to_string(i) + " after '" +
                         prev + "'");
    }
    if (t.prefix == 'B' || t.prefix == 'S') spans.push_back({i, i + 1, std::string(t.key)});
    if (t.prefix == 'I' || t.prefix == 'E') spans.back().end = i + 1;
    prev = tag;
  }
  return spans;
}

}  // namespace jointnlu
