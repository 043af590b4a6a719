#include "core/lexicon.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/error.h"
#include "core/lexicon_internal.h"
#include "core/utf8.h"

namespace jointnlu {

using lexicon_internal::EntryMasks;
using lexicon_internal::MaskHash;
using lexicon_internal::prefix_window;
using lexicon_internal::RemovedMasks;
using lexicon_internal::Snapshot;
using lexicon_internal::TrieData;

namespace {

// Length of the valid UTF-8 sequence at s[i] and its code point, or 0 when the bytes there are
// not valid UTF-8 (truncated, overlong, a surrogate, past U+10FFFF, a stray continuation byte).
inline std::size_t decode_at(const unsigned char* s, std::size_t n, std::size_t i, char32_t& cp) {
  const unsigned b0 = s[i];
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    cp = ((b0 & 0x1F) << 6) | (s[i + 1] & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const unsigned b1 = s[i + 1];
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return 0;
    cp = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (s[i + 2] & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const unsigned b1 = s[i + 1];
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return 0;
    cp = ((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    return 4;
  }
  return 0;
}

// Length of the UTF-8 sequence a (valid) lead byte starts.
inline std::size_t utf8_sequence_length(char lead) {
  const auto b = static_cast<unsigned char>(lead);
  return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// The low `bytes` bytes of a word (bytes in 1..8).
inline std::uint64_t byte_mask(std::size_t bytes) {
  return bytes >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * bytes)) - 1;
}

// Code points of valid UTF-8: the bytes that do not continue a sequence.
std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string hex_code_point(char32_t cp) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
  return hex;
}

// Normalises an entry into `out`; on a problem returns false with `error` describing it.
bool normalize_into(std::string_view entry, std::string& out, std::string& error) {
  const auto* s = reinterpret_cast<const unsigned char*>(entry.data());
  const std::size_t n = entry.size();
  std::size_t first = n;  // byte range of the entry without surrounding whitespace
  std::size_t last = 0;
  for (std::size_t i = 0; i < n;) {
    char32_t cp = 0;
    const std::size_t len = decode_at(s, n, i, cp);
    if (len == 0) {
      error = "entry is not valid UTF-8 (byte " + std::to_string(i) + ")";
      return false;
    }
    if (!is_whitespace(cp)) {
      first = std::min(first, i);
      last = i + len;
    }
    i += len;
  }
  if (first >= last) {
    error = "empty entry";
    return false;
  }
  const std::string_view trimmed = entry.substr(first, last - first);
  for (std::size_t i = first; i < last;) {
    char32_t cp = 0;
    i += decode_at(s, n, i, cp);
    if (is_control(cp)) {
      error = "entry '" + abbreviate(trimmed) + "' holds control character " + hex_code_point(cp);
      return false;
    }
  }
  if (trimmed.size() > kMaxLexiconEntryBytes) {
    error = "entry '" + abbreviate(trimmed) + "' is " + std::to_string(trimmed.size()) +
            " bytes, longer than the limit of " + std::to_string(kMaxLexiconEntryBytes);
    return false;
  }
  out.resize(trimmed.size());
  std::transform(trimmed.begin(), trimmed.end(), out.begin(), ascii_lower);
  return true;
}

// The trie key id of `key`, or false when the trie does not hold it.
bool trie_id(const TrieData& data, std::string_view key, std::uint32_t& id) {
  if (!data.built) return false;
  thread_local marisa::Agent agent;
  agent.set_query(key.data(), key.size());
  if (!data.trie.lookup(agent)) return false;
  id = static_cast<std::uint32_t>(agent.key().id());
  return true;
}

// The categories `key` (normalised) belongs to in the lexicon made of these parts.
CategoryMask entry_mask(const TrieData& trie, const EntryMasks& overlay,
                        const RemovedMasks& removed, std::string_view key) {
  CategoryMask mask;
  std::uint32_t id = 0;
  if (trie_id(trie, key, id)) {
    mask = trie.masks[id];
    if (const auto it = removed.find(id); it != removed.end()) mask = mask.and_not(it->second);
  }
  if (const auto it = overlay.find(key); it != overlay.end()) mask |= it->second;
  return mask;
}

// Calls f(key, mask) for every entry held with its (non-empty) categories.
template <typename F>
void for_each_entry(const Snapshot& snap, F&& f) {
  if (snap.trie->built) {
    const marisa::Trie& trie = snap.trie->trie;
    marisa::Agent agent;
    for (std::size_t id = 0; id < trie.num_keys(); ++id) {
      CategoryMask mask = snap.trie->masks[id];
      if (const auto it = snap.removed->find(static_cast<std::uint32_t>(id));
          it != snap.removed->end())
        mask = mask.and_not(it->second);
      agent.set_query(id);
      trie.reverse_lookup(agent);
      const std::string_view key(agent.key().ptr(), agent.key().length());
      // An overlay entry is never also a trie entry of the same category (add() checks), but it
      // may be one of another category: fold it in here and skip it below.
      if (const auto it = snap.overlay->find(key); it != snap.overlay->end()) mask |= it->second;
      if (mask.any()) f(key, mask);
    }
  }
  for (const auto& [key, mask] : *snap.overlay) {
    std::uint32_t id = 0;
    if (mask.any() && !trie_id(*snap.trie, key, id)) f(std::string_view(key), mask);
  }
}

// Per-thread buffers of match(), kept between calls so matching allocates nothing once warm.
struct MatchScratch {
  std::string lower;                        // the text, ASCII lower-cased
  std::vector<std::uint32_t> starts;        // byte offset of each code point, plus the length
  std::vector<std::uint32_t> char_at_byte;  // code point index of each code point's first byte
  marisa::Agent agent;
};

// Per-thread buffers of features().
struct FeatureScratch {
  std::vector<LexiconMatch> matches;
  std::vector<std::uint64_t> bits;  // per character, a bit set over feature ids
};

}  // namespace

Lexicon::Lexicon(std::vector<std::string> categories)
    : categories_(std::move(categories)), state_(std::make_unique<State>()) {
  if (categories_.size() > kMaxLexiconCategories)
    throw std::invalid_argument("lexicon: " + std::to_string(categories_.size()) +
                                " categories, more than the limit of " +
                                std::to_string(kMaxLexiconCategories));
  for (std::size_t c = 0; c < categories_.size(); ++c) {
    const std::string& name = categories_[c];
    if (name.empty())
      throw std::invalid_argument("lexicon: category " + std::to_string(c) + " has an empty name");
    if (name.find_first_of("\t\n\r") != std::string::npos)
      throw std::invalid_argument("lexicon: category name '" + abbreviate(name) +
                                  "' holds a tab or line break");
    for (std::size_t d = 0; d < c; ++d)
      if (categories_[d] == name)
        throw std::invalid_argument("lexicon: category '" + name + "' is given twice");
  }
  auto snap = std::make_shared<Snapshot>();
  snap->trie = std::make_shared<const TrieData>();
  snap->overlay = std::make_shared<const EntryMasks>();
  snap->removed = std::make_shared<const RemovedMasks>();
  state_->snapshot = std::move(snap);
}

Lexicon::~Lexicon() = default;
Lexicon::Lexicon(Lexicon&&) noexcept = default;
Lexicon& Lexicon::operator=(Lexicon&&) noexcept = default;

int Lexicon::category_id(std::string_view name) const {
  for (std::size_t c = 0; c < categories_.size(); ++c)
    if (categories_[c] == name) return static_cast<int>(c);
  return -1;
}

std::string Lexicon::normalize_entry(std::string_view entry) {
  std::string out;
  std::string error;
  if (!normalize_into(entry, out, error)) throw std::invalid_argument("lexicon: " + error);
  return out;
}

namespace {

// `category` as an index, checked against the number of categories.
std::size_t checked_category(int category, std::size_t categories) {
  if (category < 0 || static_cast<std::size_t>(category) >= categories)
    throw std::out_of_range("lexicon: category " + std::to_string(category) + " out of range (" +
                            std::to_string(categories) + " categories)");
  return static_cast<std::size_t>(category);
}

std::vector<std::string> normalize_all(std::span<const std::string> entries) {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const std::string& e : entries) out.push_back(Lexicon::normalize_entry(e));
  return out;
}

}  // namespace

void Lexicon::add(int category, std::span<const std::string> entries) {
  const std::pair<int, std::span<const std::string>> batch(category, entries);
  add_batches({&batch, 1});
}

void Lexicon::add_batches(std::span<const std::pair<int, std::span<const std::string>>> batches) {
  std::vector<std::pair<std::size_t, std::vector<std::string>>> normalized;
  std::size_t total = 0;
  for (const auto& [category, entries] : batches) {
    normalized.emplace_back(checked_category(category, categories_.size()), normalize_all(entries));
    total += entries.size();
  }
  std::lock_guard<std::mutex> edit(state_->edit_mutex);
  const std::shared_ptr<const Snapshot> cur = state_->load();
  auto overlay = std::make_shared<EntryMasks>(*cur->overlay);
  overlay->reserve(overlay->size() + total);
  std::shared_ptr<RemovedMasks> removed;  // copied only when a removal is undone
  auto next = std::make_shared<Snapshot>(*cur);
  for (auto& [category, keys] : normalized) {
    for (std::string& key : keys) {
      const RemovedMasks& removed_now = removed ? *removed : *cur->removed;
      if (entry_mask(*cur->trie, *overlay, removed_now, key).test(category)) continue;
      std::uint32_t id = 0;
      if (trie_id(*cur->trie, key, id) && cur->trie->masks[id].test(category)) {
        // A trie entry removed earlier: lifting the removal restores it.
        if (!removed) removed = std::make_shared<RemovedMasks>(*cur->removed);
        const auto it = removed->find(id);
        if (it->second.reset(category).empty()) removed->erase(it);
      } else {
        next->overlay_max_chars = std::max(next->overlay_max_chars, count_chars(key));
        (*overlay)[std::move(key)].set(category);
      }
      ++next->size;
    }
  }
  if (next->size == cur->size) return;
  next->overlay = std::move(overlay);
  if (removed) next->removed = std::move(removed);
  state_->store(std::move(next));
}

void Lexicon::add(int category, std::string_view entry) {
  const std::string one(entry);
  add(category, std::span<const std::string>(&one, 1));
}

std::size_t Lexicon::remove(int category, std::span<const std::string> entries) {
  const std::size_t c = checked_category(category, categories_.size());
  const std::vector<std::string> keys = normalize_all(entries);
  std::lock_guard<std::mutex> edit(state_->edit_mutex);
  const std::shared_ptr<const Snapshot> cur = state_->load();
  std::shared_ptr<EntryMasks> overlay;  // each copied on its first change
  std::shared_ptr<RemovedMasks> removed;
  std::size_t count = 0;
  for (const std::string& key : keys) {
    const EntryMasks& overlay_now = overlay ? *overlay : *cur->overlay;
    if (const auto it = overlay_now.find(key); it != overlay_now.end() && it->second.test(c)) {
      if (!overlay) overlay = std::make_shared<EntryMasks>(*cur->overlay);
      const auto mine = overlay->find(key);
      if (mine->second.reset(c).empty()) overlay->erase(mine);
      ++count;
      continue;
    }
    std::uint32_t id = 0;
    if (!trie_id(*cur->trie, key, id) || !cur->trie->masks[id].test(c)) continue;
    const RemovedMasks& removed_now = removed ? *removed : *cur->removed;
    if (const auto it = removed_now.find(id); it != removed_now.end() && it->second.test(c))
      continue;
    if (!removed) removed = std::make_shared<RemovedMasks>(*cur->removed);
    (*removed)[id].set(c);
    ++count;
  }
  if (count == 0) return 0;
  auto next = std::make_shared<Snapshot>(*cur);
  if (overlay) next->overlay = std::move(overlay);
  if (removed) next->removed = std::move(removed);
  next->size -= count;
  state_->store(std::move(next));
  return count;
}

namespace {

// The trie over `keyset` with each key's mask (key_mask_ids[i]: keyset entry i's mask in `table`),
// and the prefix filter of its keys.
std::shared_ptr<TrieData> build_trie(marisa::Keyset& keyset,
                                     const std::vector<std::uint32_t>& key_mask_ids,
                                     std::vector<CategoryMask> table) {
  auto data = std::make_shared<TrieData>();
  if (key_mask_ids.empty()) return data;
  // One trie level (no recursion into tries of tails) with the largest cache: ~20% faster
  // common-prefix searches than the defaults for ~25% more space (1.5 MB for jieba).
  data->trie.build(keyset, 1 | static_cast<int>(MARISA_HUGE_CACHE));
  // Each key is in the keyset once, so each key id takes exactly one mask.
  std::vector<std::uint32_t> index(data->trie.num_keys());
  data->filter.reset(key_mask_ids.size());
  for (std::size_t i = 0; i < key_mask_ids.size(); ++i) {
    const marisa::Key& key = keyset[i];
    index[key.id()] = key_mask_ids[i];
    std::size_t bytes = utf8_sequence_length(key.ptr()[0]);
    if (bytes < key.length()) {
      bytes += utf8_sequence_length(key.ptr()[bytes]);
    } else {
      data->single_char_keys = true;
    }
    data->filter.insert(prefix_window(key.ptr(), bytes), bytes);
  }
  data->masks.assign(std::move(table), index);
  data->built = true;
  return data;
}

// Collects keys with their masks for build_trie, a table of the distinct masks on the way.
struct TrieInput {
  marisa::Keyset keyset;
  std::vector<CategoryMask> table;
  std::vector<std::uint32_t> key_mask_ids;
  std::unordered_map<CategoryMask, std::uint32_t, MaskHash> table_ids;
  std::size_t size = 0;  // (entry, category) pairs

  void add(std::string_view key, const CategoryMask& mask) {
    keyset.push_back(key.data(), key.size());
    const auto [it, added] = table_ids.try_emplace(mask, static_cast<std::uint32_t>(table.size()));
    if (added) table.push_back(mask);
    key_mask_ids.push_back(it->second);
    size += mask.count();
  }
};

}  // namespace

std::shared_ptr<const TrieData> lexicon_internal::compacted_trie(const Snapshot& snap) {
  if (snap.overlay->empty() && snap.removed->empty()) return snap.trie;
  TrieInput in;
  for_each_entry(snap, [&](std::string_view key, const CategoryMask& mask) { in.add(key, mask); });
  return build_trie(in.keyset, in.key_mask_ids, std::move(in.table));
}

void Lexicon::compact() {
  std::lock_guard<std::mutex> edit(state_->edit_mutex);
  const std::shared_ptr<const Snapshot> cur = state_->load();
  auto next = std::make_shared<Snapshot>();
  next->trie = lexicon_internal::compacted_trie(*cur);
  next->overlay = std::make_shared<const EntryMasks>();
  next->removed = std::make_shared<const RemovedMasks>();
  next->size = cur->size;
  state_->store(std::move(next));
}

std::size_t Lexicon::size() const { return state_->load()->size; }

bool Lexicon::contains(int category, std::string_view entry) const {
  const std::size_t c = checked_category(category, categories_.size());
  const std::string key = normalize_entry(entry);
  const std::shared_ptr<const Snapshot> snap = state_->load();
  return entry_mask(*snap->trie, *snap->overlay, *snap->removed, key).test(c);
}

namespace {

// Lower-cases text into scratch.lower (8 zero bytes past it, so the two code points at any start
// load as one word) and indexes its characters: scratch.starts (byte offset of each, plus the
// length) and scratch.char_at_byte. Returns the number of characters.
std::size_t index_characters(std::string_view text, MatchScratch& scratch) {
  std::string& lower = scratch.lower;
  std::vector<std::uint32_t>& starts = scratch.starts;
  lower.resize(text.size() + 8);
  std::memset(lower.data() + text.size(), 0, 8);
  starts.clear();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t bytes = text.size();
  for (std::size_t i = 0; i < bytes;) {
    starts.push_back(static_cast<std::uint32_t>(i));
    if (s[i] < 0x80) {
      lower[i] = ascii_lower(static_cast<char>(s[i]));
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode_at(s, bytes, i, cp);
    if (len == 0)
      throw std::invalid_argument("lexicon match: text is not valid UTF-8 (byte " +
                                  std::to_string(i) + ")");
    std::copy(text.data() + i, text.data() + i + len, lower.data() + i);
    i += len;
  }
  const std::size_t n = starts.size();
  starts.push_back(static_cast<std::uint32_t>(bytes));
  std::vector<std::uint32_t>& char_at_byte = scratch.char_at_byte;
  if (char_at_byte.size() < bytes + 1) char_at_byte.resize(bytes + 1);
  for (std::size_t c = 0; c <= n; ++c) char_at_byte[starts[c]] = static_cast<std::uint32_t>(c);
  return n;
}

// The trie's entries starting at character b of n (a Bloom filter on the first one or two
// characters skips most starts), shortest first, minus removed categories.
void trie_matches_at(const TrieData& trie, const RemovedMasks& removed, std::size_t b,
                     std::size_t n, MatchScratch& scratch, std::vector<LexiconMatch>& out) {
  if (!trie.built) return;
  const auto& starts = scratch.starts;
  const std::size_t from = starts[b], bytes = starts[n];
  const std::uint64_t window = prefix_window(scratch.lower.data() + from, 8);
  const std::size_t one = starts[b + 1] - from;
  bool search = trie.single_char_keys && trie.filter.may_hold(window & byte_mask(one), one);
  if (!search && b + 1 < n) {
    const std::size_t two = starts[b + 2] - from;
    search = trie.filter.may_hold(window & byte_mask(two), two);
  }
  if (!search) return;
  marisa::Agent& agent = scratch.agent;
  agent.set_query(scratch.lower.data() + from, bytes - from);
  // Hits come shortest first, so the segment is sorted by end as it grows.
  while (trie.trie.common_prefix_search(agent)) {
    const std::size_t id = agent.key().id();
    CategoryMask mask = trie.masks[id];
    if (!removed.empty()) {
      if (const auto it = removed.find(static_cast<std::uint32_t>(id)); it != removed.end())
        mask = mask.and_not(it->second);
    }
    if (mask.any()) out.push_back({b, scratch.char_at_byte[from + agent.key().length()], mask});
  }
}

// The run-time additions starting at character b merged into this start's segment of out
// (out[segment..], sorted by end).
void overlay_matches_at(const EntryMasks& overlay, std::size_t max_chars, std::size_t b,
                        std::size_t n, std::size_t segment, const MatchScratch& scratch,
                        std::vector<LexiconMatch>& out) {
  const auto& starts = scratch.starts;
  const std::size_t from = starts[b];
  const std::size_t longest = std::min(max_chars, n - b);
  for (std::size_t k = 1; k <= longest; ++k) {
    const auto it =
        overlay.find(std::string_view(scratch.lower.data() + from, starts[b + k] - from));
    if (it == overlay.end() || it->second.empty()) continue;
    const std::size_t end = b + k;
    auto pos = std::lower_bound(out.begin() + static_cast<std::ptrdiff_t>(segment), out.end(), end,
                                [](const LexiconMatch& m, std::size_t e) { return m.end < e; });
    if (pos != out.end() && pos->end == end)
      pos->categories |= it->second;
    else
      out.insert(pos, {b, end, it->second});
  }
}

}  // namespace

void Lexicon::match(std::string_view text, std::vector<LexiconMatch>& out) const {
  out.clear();
  if (text.size() >= std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("lexicon match: text of " + std::to_string(text.size()) +
                                " bytes is too long");
  thread_local MatchScratch scratch;
  const std::size_t n = index_characters(text, scratch);
  const std::shared_ptr<const Snapshot> snap = state_->load();
  for (std::size_t b = 0; b < n; ++b) {
    const std::size_t segment = out.size();  // this start's matches, sorted by end
    trie_matches_at(*snap->trie, *snap->removed, b, n, scratch, out);
    if (!snap->overlay->empty())
      overlay_matches_at(*snap->overlay, snap->overlay_max_chars, b, n, segment, scratch, out);
  }
}

LexiconFeatures Lexicon::features(std::string_view text) const {
  thread_local FeatureScratch scratch;
  match(text, scratch.matches);
  const std::size_t n = count_chars(text);
  const std::size_t words = (feature_count() + 63) / 64;
  std::vector<std::uint64_t>& bits = scratch.bits;
  bits.assign(n * words, 0);
  auto set = [&](std::size_t c, std::size_t id) { bits[c * words + id / 64] |= 1ull << (id % 64); };
  std::size_t total = 0;
  for (const LexiconMatch& m : scratch.matches) {
    m.categories.for_each([&](std::size_t category) {
      const std::size_t base = kLexiconPositions * category;
      if (m.end - m.begin == 1) {
        set(m.begin, base + static_cast<std::size_t>(LexiconPosition::kSingle));
        return;
      }
      set(m.begin, base + static_cast<std::size_t>(LexiconPosition::kBegin));
      for (std::size_t c = m.begin + 1; c + 1 < m.end; ++c)
        set(c, base + static_cast<std::size_t>(LexiconPosition::kMiddle));
      set(m.end - 1, base + static_cast<std::size_t>(LexiconPosition::kEnd));
    });
  }
  for (const std::uint64_t w : bits) total += static_cast<std::size_t>(std::popcount(w));
  LexiconFeatures out;
  out.offsets.resize(n + 1);
  out.ids.reserve(total);
  for (std::size_t c = 0; c < n; ++c) {
    out.offsets[c] = static_cast<std::uint32_t>(out.ids.size());
    for (std::size_t w = 0; w < words; ++w)
      for (std::uint64_t x = bits[c * words + w]; x != 0; x &= x - 1)
        out.ids.push_back(static_cast<std::uint16_t>(64 * w + std::countr_zero(x)));
  }
  out.offsets[n] = static_cast<std::uint32_t>(out.ids.size());
  return out;
}

std::string Lexicon::to_tsv() const {
  const std::shared_ptr<const Snapshot> snap = state_->load();
  std::vector<std::string> lines;
  lines.reserve(snap->size);
  for_each_entry(*snap, [&](std::string_view key, const CategoryMask& mask) {
    mask.for_each([&](std::size_t c) {
      std::string line = categories_[c];
      line += '\t';
      line += key;
      line += '\n';
      lines.push_back(std::move(line));
    });
  });
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line;
  return out;
}

Lexicon Lexicon::from_tsv(std::vector<std::string> categories, std::string_view tsv,
                          const std::string& source) {
  // Straight into a trie, without the overlay: a model's lexicon may hold half a million entries,
  // and a hash map of them would cost ~10x the memory of the text. Keys point into `tsv` (a
  // lexicon.tsv is written normalised), or into `changed` where normalising changed one.
  Lexicon lexicon(std::move(categories));
  std::vector<std::pair<std::string_view, std::uint16_t>> items;
  std::deque<std::string> changed;
  std::size_t line_no = 0;
  std::string key;
  std::string error;
  for (std::size_t pos = 0; pos < tsv.size();) {
    std::size_t eol = tsv.find('\n', pos);
    if (eol == std::string_view::npos) eol = tsv.size();
    std::string_view line = tsv.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const SourceLocation where{source, 0, line_no};
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      throw DataError(where, "expected CATEGORY<TAB>ENTRY, found no tab");
    const std::string_view name = line.substr(0, tab);
    const int c = lexicon.category_id(name);
    if (c < 0)
      throw DataError(where, "category '" + abbreviate(name) + "' is not one of the lexicon's " +
                                 std::to_string(lexicon.categories().size()) + " categories");
    const std::string_view entry = line.substr(tab + 1);
    if (!normalize_into(entry, key, error)) throw DataError(where, error);
    std::string_view stored = entry;
    if (key != entry) stored = changed.emplace_back(key);
    items.emplace_back(stored, static_cast<std::uint16_t>(c));
  }
  std::sort(items.begin(), items.end());
  TrieInput in;
  for (std::size_t i = 0; i < items.size();) {
    CategoryMask mask;
    std::size_t j = i;
    for (; j < items.size() && items[j].first == items[i].first; ++j) mask.set(items[j].second);
    in.add(items[i].first, mask);
    i = j;
  }
  auto next = std::make_shared<Snapshot>();
  next->trie = build_trie(in.keyset, in.key_mask_ids, std::move(in.table));
  next->overlay = std::make_shared<const EntryMasks>();
  next->removed = std::make_shared<const RemovedMasks>();
  next->size = in.size;
  lexicon.state_->store(std::move(next));
  return lexicon;
}

}  // namespace jointnlu
