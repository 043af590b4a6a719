// Internals of Lexicon shared by its translation units (lexicon.cc: editing and matching;
// lexicon_image.cc: the stored image). Not part of any API.
#pragma once

#include <marisa.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/lexicon.h"

namespace jointnlu {
namespace lexicon_internal {

// Hashes std::string and std::string_view alike, so matching looks up substrings of the text
// without building a std::string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
// Hashes a category set (for deduplicating the masks of a trie's keys).
struct MaskHash {
  std::size_t operator()(const CategoryMask& m) const noexcept {
    return std::hash<std::uint64_t>{}(m.words[0] ^ (m.words[1] * 0x9E3779B97F4A7C15ull));
  }
};
using EntryMasks = std::unordered_map<std::string, CategoryMask, StringHash, std::equal_to<>>;
// Categories removed from trie entries since the trie was built, by trie key id.
using RemovedMasks = std::unordered_map<std::uint32_t, CategoryMask>;

// Feature ids are 16-bit (LexiconFeatures::ids).
static_assert(kLexiconPositions * kMaxLexiconCategories <=
              std::numeric_limits<std::uint16_t>::max());

// The bytes of a string's first code points as a number (little-endian, zero-padded): what
// PrefixFilter hashes. `bytes` is at most 8 (two code points).
inline std::uint64_t prefix_window(const char* p, std::size_t bytes) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, bytes);
  return w;
}

// A Bloom filter over the first two code points of every trie key (the only one of a
// single-character key). A common-prefix search costs 100-200 ns on the jieba trie, while most
// starts in a Chinese utterance begin no entry at all (60% of SMP2019's characters are followed
// by a character no jieba word continues them with): the filter, a few ns, rules those out
// without searching. A false positive only costs the search.
class PrefixFilter {
 public:
  void reset(std::size_t keys) {
    // 8 bits per key and two probes: about 2% false positives.
    const std::size_t bits = std::bit_ceil(std::max<std::size_t>(keys * 8, 1024));
    storage_.assign(bits / 64, 0);
    bits_ = storage_.data();
    mask_ = bits - 1;
  }
  // Uses `words` words of bits held elsewhere (a lexicon image); `words` is a power of two.
  void view(const std::uint64_t* bits, std::size_t words) {
    storage_.clear();
    bits_ = bits;
    mask_ = 64 * words - 1;
  }
  void insert(std::uint64_t window, std::size_t bytes) {
    const std::uint64_t h = hash(window, bytes);
    set(h & mask_);
    set((h >> 32) & mask_);
  }
  bool may_hold(std::uint64_t window, std::size_t bytes) const {
    const std::uint64_t h = hash(window, bytes);
    return test(h & mask_) && test((h >> 32) & mask_);
  }
  std::span<const std::uint64_t> words() const { return {bits_, bits_ ? (mask_ + 1) / 64 : 0}; }

 private:
  // Part of the lexicon image format (the filter's bits are stored): a change needs a new
  // kImageMagic.
  static std::uint64_t hash(std::uint64_t x, std::size_t bytes) {
    x ^= bytes * 0x9E3779B97F4A7C15ull;  // "ab" and "ab\0" must differ
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
  }
  void set(std::uint64_t bit) { storage_[bit / 64] |= std::uint64_t{1} << (bit % 64); }
  bool test(std::uint64_t bit) const { return (bits_[bit / 64] >> (bit % 64)) & 1; }

  std::vector<std::uint64_t> storage_;  // the bits, unless they are viewed elsewhere
  const std::uint64_t* bits_ = nullptr;
  std::uint64_t mask_ = 0;
};

// The categories of each trie key, by key id, as an index into a table of the distinct masks: the
// keys of a lexicon share few distinct category sets (jieba: 10 over its 333k keys), so a key costs
// one byte (two or four past 256 or 65536 distinct sets) rather than the 16 of its mask.
class KeyMasks {
 public:
  // `index[id]` is the position in `table` of key id's mask.
  void assign(std::vector<CategoryMask> table, const std::vector<std::uint32_t>& index) {
    table_storage_ = std::move(table);
    width_ = table_storage_.size() <= 0x100 ? 1 : table_storage_.size() <= 0x10000 ? 2 : 4;
    index_storage_.resize(index.size() * static_cast<std::size_t>(width_));
    for (std::size_t id = 0; id < index.size(); ++id)
      std::memcpy(index_storage_.data() + id * static_cast<std::size_t>(width_), &index[id],
                  static_cast<std::size_t>(width_));  // little-endian: the low bytes
    view(table_storage_.data(), table_storage_.size(), index_storage_.data(), width_);
  }
  // Uses a table and an index held elsewhere (a lexicon image).
  void view(const CategoryMask* table, std::size_t table_size, const std::uint8_t* index,
            int width) {
    table_ = table;
    table_size_ = table_size;
    index_ = index;
    width_ = width;
  }
  // The width is fixed per trie, so the branch is always predicted.
  const CategoryMask& operator[](std::size_t id) const {
    switch (width_) {
      case 1:
        return table_[index_[id]];
      case 2: {
        std::uint16_t i;
        std::memcpy(&i, index_ + 2 * id, 2);
        return table_[i];
      }
      default: {
        std::uint32_t i;
        std::memcpy(&i, index_ + 4 * id, 4);
        return table_[i];
      }
    }
  }
  std::span<const CategoryMask> table() const { return {table_, table_size_}; }
  int width() const { return width_; }

 private:
  std::vector<CategoryMask> table_storage_;  // table and index, unless viewed elsewhere
  std::vector<std::uint8_t> index_storage_;
  const CategoryMask* table_ = nullptr;
  std::size_t table_size_ = 0;
  const std::uint8_t* index_ = nullptr;  // width_ bytes per key, little-endian
  int width_ = 1;
};

struct TrieData {
  // A lexicon image's bytes when the parts below view them (from_image), else empty.
  std::vector<std::uint64_t> image;
  marisa::Trie trie;
  KeyMasks masks;  // categories of each key, by key id
  PrefixFilter filter;
  bool single_char_keys = false;  // whether a start's first code point alone may be a key
  // An unbuilt marisa::Trie throws on every search, and building an empty keyset gains nothing.
  bool built = false;
};

// An immutable view of the lexicon. Edits make a new one (sharing the trie), so a match that holds
// a snapshot sees it whole however long it runs.
struct Snapshot {
  std::shared_ptr<const TrieData> trie;
  std::shared_ptr<const EntryMasks> overlay;  // entries added since the trie was built
  std::size_t overlay_max_chars = 0;          // no longer substring can be an overlay entry
  std::shared_ptr<const RemovedMasks> removed;
  std::size_t size = 0;  // (entry, category) pairs held
};

}  // namespace lexicon_internal

struct Lexicon::State {
  // Guards only `snapshot`, and is held only to copy or replace the pointer, so a long edit (a
  // compact() over 300k entries) never stalls a match.
  mutable std::mutex snapshot_mutex;
  // Serialises edits, each of which derives the next snapshot from the current one.
  std::mutex edit_mutex;
  std::shared_ptr<const lexicon_internal::Snapshot> snapshot;

  std::shared_ptr<const lexicon_internal::Snapshot> load() const {
    std::lock_guard<std::mutex> lock(snapshot_mutex);
    return snapshot;
  }
  void store(std::shared_ptr<const lexicon_internal::Snapshot> next) {
    {
      std::lock_guard<std::mutex> lock(snapshot_mutex);
      snapshot.swap(next);
    }
    // `next` now holds the old snapshot; it may be the last reference, and freeing a trie
    // outside the lock keeps matches from waiting on it.
  }
};

namespace lexicon_internal {

// The snapshot's entries as one trie: its own when it has no overlay and no removals, else a new
// one built from all of them (what compact() installs and image() stores).
std::shared_ptr<const TrieData> compacted_trie(const Snapshot& snap);

}  // namespace lexicon_internal
}  // namespace jointnlu
