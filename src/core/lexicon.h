// Lexicons: named categories of words (dish, city, person, app, ...) whose matches in an utterance
// become per-character features of the teacher and the student (SoftLexicon-style B/M/E/S
// membership per category), so a model can tag a slot value it never saw in training when a list
// names it. Entries can be added and removed at run time, concurrently with matching.
//
// Matching: every occurrence of every entry, at every start position, on the text with ASCII
// letters lower-cased (entries are stored the same way; CJK text is unaffected). The entries of a
// lexicon are held in a MARISA trie (libmarisa, a static, compact trie with fast common-prefix
// search); entries added after it was built live in a small overlay, and removals of trie entries
// in a mask beside it, until compact() folds both into a new trie.
//
// Threads: match() and the editing calls may run concurrently from any threads. A match sees the
// lexicon as it was when the match started (the state is an immutable snapshot swapped under a
// mutex; matching itself takes no lock).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tokenizer.h"

namespace jointnlu {

// A set of categories of one lexicon, as a bit set: bit c stands for category c. Two words rather
// than one because real lexicons need more than 64 categories (word lists, gazetteers, jieba's POS
// groups and one category per slot key of the training data); a fixed width keeps a set a cheap
// value to copy and combine in the matching loop.
struct CategoryMask {
  static constexpr std::size_t kWords = 2;
  static constexpr std::size_t kBits = 64 * kWords;

  std::uint64_t words[kWords] = {0, 0};  // categories 64 * i + b in bit b of words[i]

  constexpr CategoryMask() = default;
  // Categories 0..63 from the bits of `low`, 64..127 from those of `high`. Explicit, so that a
  // category index never silently becomes a mask.
  explicit constexpr CategoryMask(std::uint64_t low, std::uint64_t high = 0) : words{low, high} {}
  // The set of category `c` alone (c < kBits).
  static constexpr CategoryMask of(std::size_t c) { return CategoryMask().set(c); }

  constexpr bool test(std::size_t c) const { return (words[c / 64] >> (c % 64)) & 1; }
  constexpr CategoryMask& set(std::size_t c) {
    words[c / 64] |= std::uint64_t{1} << (c % 64);
    return *this;
  }
  constexpr CategoryMask& reset(std::size_t c) {
    words[c / 64] &= ~(std::uint64_t{1} << (c % 64));
    return *this;
  }
  constexpr bool any() const { return (words[0] | words[1]) != 0; }
  constexpr bool empty() const { return !any(); }
  constexpr std::size_t count() const {
    return static_cast<std::size_t>(std::popcount(words[0]) + std::popcount(words[1]));
  }
  constexpr CategoryMask& operator|=(const CategoryMask& o) {
    words[0] |= o.words[0];
    words[1] |= o.words[1];
    return *this;
  }
  friend constexpr CategoryMask operator|(CategoryMask a, const CategoryMask& b) { return a |= b; }
  // The categories of this set that are not in `o`.
  constexpr CategoryMask and_not(const CategoryMask& o) const {
    return CategoryMask(words[0] & ~o.words[0], words[1] & ~o.words[1]);
  }
  friend constexpr bool operator==(const CategoryMask&, const CategoryMask&) = default;

  // Calls f(c) for every category c in the set, ascending.
  template <typename F>
  constexpr void for_each(F&& f) const {
    for (std::size_t i = 0; i < kWords; ++i)
      for (std::uint64_t x = words[i]; x != 0; x &= x - 1)
        f(64 * i + static_cast<std::size_t>(std::countr_zero(x)));
  }
};

// Categories of a lexicon: as many as a CategoryMask holds.
inline constexpr std::size_t kMaxLexiconCategories = CategoryMask::kBits;
// Longest entry accepted, in bytes of UTF-8 (a longer one is an error, never truncated).
inline constexpr std::size_t kMaxLexiconEntryBytes = 256;

// Features per category and character: the character Begins, is in the Middle of, Ends, or is a
// Single-character match of some entry of that category. Feature id = 4 * category + position.
enum class LexiconPosition : std::uint8_t { kBegin = 0, kMiddle = 1, kEnd = 2, kSingle = 3 };
inline constexpr std::size_t kLexiconPositions = 4;

// One match: the code points [begin, end) of the text are an entry of every category in the mask.
struct LexiconMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
  CategoryMask categories;  // category c in it: an entry of category c
};

// Per-character feature ids, compressed rows: the features of character i are
// ids[offsets[i] .. offsets[i+1]), sorted ascending, no duplicates.
struct LexiconFeatures {
  std::vector<std::uint32_t> offsets;  // chars + 1
  std::vector<std::uint16_t> ids;
  std::size_t chars() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  std::span<const std::uint16_t> at(std::size_t i) const {
    return {ids.data() + offsets[i], ids.data() + offsets[i + 1]};
  }
};

struct LexiconSource;

class Lexicon {
 public:
  // Category names: non-empty, unique, no tab or newline, at most kMaxLexiconCategories.
  // Throws std::invalid_argument naming the problem.
  explicit Lexicon(std::vector<std::string> categories);
  ~Lexicon();
  Lexicon(Lexicon&&) noexcept;
  Lexicon& operator=(Lexicon&&) noexcept;
  Lexicon(const Lexicon&) = delete;
  Lexicon& operator=(const Lexicon&) = delete;

  const std::vector<std::string>& categories() const { return categories_; }
  // Index of a category, or -1.
  int category_id(std::string_view name) const;
  // 4 * categories().size(): the width of the feature vector a model reads.
  std::size_t feature_count() const { return kLexiconPositions * categories_.size(); }

  // The entry as stored and matched: ASCII lower-cased, surrounding whitespace trimmed. Throws
  // std::invalid_argument when it is empty after trimming, not valid UTF-8, longer than
  // kMaxLexiconEntryBytes, or holds a control character (tab, newline, ...).
  static std::string normalize_entry(std::string_view entry);

  // Adds entries (each normalised; invalid ones throw before anything changes) to a category
  // (index as category_id gives; std::out_of_range otherwise). Bulk loading goes through here too:
  // one call for a whole file, then compact().
  void add(int category, std::span<const std::string> entries);
  void add(int category, std::string_view entry);
  // Removes entries from a category; returns how many were present. Entries not present are
  // ignored; invalid ones throw before anything changes.
  std::size_t remove(int category, std::span<const std::string> entries);
  // Folds the overlay and the removals into a new trie (bulk loads end with it; run-time edits
  // may call it when the overlay has grown). Matching goes on during it, on the old snapshot.
  void compact();

  // (entry, category) pairs held.
  std::size_t size() const;
  // Whether `entry` (normalised first) is in `category`.
  bool contains(int category, std::string_view entry) const;

  // All matches in `text` (UTF-8; character positions are code points), sorted by (begin, end),
  // one per distinct span with the union of its categories. Throws std::invalid_argument for
  // invalid UTF-8. Clears `out` first; reuses its capacity.
  void match(std::string_view text, std::vector<LexiconMatch>& out) const;
  // B/M/E/S features of every character of `text` from its matches.
  LexiconFeatures features(std::string_view text) const;

  // Every (category, entry) pair as "category<TAB>entry" lines, sorted; what a model directory's
  // lexicon.tsv and an export's "lexicon" metadata hold.
  std::string to_tsv() const;
  // The inverse; `source` names the file in errors ("FILE:LINE: reason"). Categories are given
  // (the model's feature layout); a line naming another category is an error.
  static Lexicon from_tsv(std::vector<std::string> categories, std::string_view tsv,
                          const std::string& source);

  // The lexicon as one block of bytes (a size that is a multiple of 8): the trie prebuilt, each
  // key's categories and the prefix filter, with a checksum. What an exported model stores, so that
  // loading copies a few MB instead of building the trie (half a million entries: a second and
  // ~100 MB on the way). Entries added or removed since the last compact() are included.
  std::string image() const;
  // The inverse, for a lexicon of these categories. Throws std::invalid_argument naming the
  // problem for bytes that are not such an image (magic, sizes, checksum, category count, a key
  // whose categories are out of range).
  static Lexicon from_image(std::vector<std::string> categories, std::span<const std::byte> image);

 private:
  friend Lexicon build_lexicon(const std::vector<LexiconSource>& sources);

  // add() for several categories at once, making one new snapshot: a bulk load copies the
  // overlay once rather than once per category.
  void add_batches(std::span<const std::pair<int, std::span<const std::string>>> batches);

  std::vector<std::string> categories_;
  struct State;  // the current snapshot (trie, overlay, removals) and the mutexes guarding it
  std::unique_ptr<State> state_;
};

// Features of each position of a model input from per-character features: a token takes the union
// of the features of the characters it covers ([CLS], [SEP] and tokens of no character: none).
// Compressed rows over positions, like LexiconFeatures.
struct PositionFeatures {
  std::vector<std::uint32_t> offsets;  // positions + 1
  std::vector<std::uint16_t> ids;
  std::size_t positions() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  std::span<const std::uint16_t> at(std::size_t p) const {
    return {ids.data() + offsets[p], ids.data() + offsets[p + 1]};
  }
};

// The features of the positions of a model input [CLS] t_0 .. t_{kept_tokens-1} [SEP] (kept_tokens
// + 2 positions; a truncated input keeps the first tokens of `encoding`): position t + 1 takes the
// sorted union of the features of the characters token t covers (encoding.token_chars[t]).
// `chars` are the features of the text `encoding` was made from. Throws std::invalid_argument when
// kept_tokens exceeds the encoding or a token covers characters `chars` does not have.
PositionFeatures position_features(const LexiconFeatures& chars, const Encoding& encoding,
                                   std::size_t kept_tokens);

}  // namespace jointnlu
