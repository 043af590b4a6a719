// Lexicon::image and Lexicon::from_image: a compacted lexicon as one block of bytes (see
// lexicon.h).
#include <marisa/iostream.h>

#include <sstream>
#include <stdexcept>

#include "core/lexicon.h"
#include "core/lexicon_internal.h"

namespace jointnlu {

using lexicon_internal::compacted_trie;
using lexicon_internal::EntryMasks;
using lexicon_internal::RemovedMasks;
using lexicon_internal::Snapshot;
using lexicon_internal::TrieData;

namespace {

// A lexicon image (Lexicon::image): this header, then 8-byte aligned sections: the distinct
// category masks [masks], each key's index into them [keys x index_width bytes], the prefix
// filter [filter_words], and marisa's serialised trie [trie_bytes].
struct ImageHeader {
  char magic[8];
  std::uint64_t categories;
  std::uint64_t keys;
  std::uint64_t flags;  // bit 0: some key is a single character
  std::uint64_t masks;
  std::uint64_t index_width;  // 1, 2 or 4
  std::uint64_t filter_words;
  std::uint64_t trie_bytes;
  std::uint64_t checksum;  // image_checksum of the whole image with this field zero
};
constexpr char kImageMagic[8] = {'J', 'N', 'L', 'X', 'I', 'M', 'G', '1'};
static_assert(sizeof(ImageHeader) == 72 && sizeof(CategoryMask) == 16);

constexpr std::size_t pad8(std::size_t n) { return (n + 7) / 8 * 8; }

// A 64-bit multiplicative hash of the image's words (the size is a multiple of 8): it catches a
// damaged file before marisa maps a trie from it.
std::uint64_t image_checksum(std::span<const std::byte> bytes) {
  std::uint64_t h = 0x6A09E667F3BCC909ull ^ bytes.size();
  for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0x100000001B3ull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace

std::string Lexicon::image() const {
  const std::shared_ptr<const Snapshot> snap = state_->load();
  const std::shared_ptr<const TrieData> trie = compacted_trie(*snap);
  std::string serialised;
  if (trie->built) {
    std::ostringstream out;
    out << trie->trie;
    serialised = std::move(out).str();
  }
  ImageHeader h{};
  std::memcpy(h.magic, kImageMagic, 8);
  h.categories = categories_.size();
  h.keys = trie->built ? trie->trie.num_keys() : 0;
  h.flags = trie->single_char_keys ? 1 : 0;
  h.masks = trie->masks.table().size();
  h.index_width = static_cast<std::uint64_t>(trie->masks.width());
  h.filter_words = trie->built ? trie->filter.words().size() : 0;
  h.trie_bytes = serialised.size();
  const std::size_t index_bytes = h.keys * h.index_width;
  std::string out(sizeof h + pad8(h.masks * sizeof(CategoryMask)) + pad8(index_bytes) +
                      h.filter_words * 8 + pad8(serialised.size()),
                  '\0');
  std::size_t at = sizeof h;
  const auto put = [&](const void* data, std::size_t bytes) {
    if (bytes > 0) std::memcpy(out.data() + at, data, bytes);
    at += pad8(bytes);
  };
  put(trie->masks.table().data(), h.masks * sizeof(CategoryMask));
  for (std::size_t id = 0; id < h.keys; ++id) {
    // Rebuilt from the lookups rather than copied, so an image of a viewed trie is the same.
    const CategoryMask& m = trie->masks[id];
    const auto i = static_cast<std::uint32_t>(&m - trie->masks.table().data());
    std::memcpy(out.data() + at + id * h.index_width, &i, h.index_width);
  }
  at += pad8(index_bytes);
  put(trie->filter.words().data(), h.filter_words * 8);
  put(serialised.data(), serialised.size());
  std::memcpy(out.data(), &h, sizeof h);
  h.checksum = image_checksum(std::as_bytes(std::span(out.data(), out.size())));
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

namespace {

[[noreturn]] void image_fail(const std::string& what) {
  throw std::invalid_argument("lexicon image: " + what);
}

// The image's header, checked against its size and the model's category count (not the checksum).
ImageHeader read_image_header(std::span<const std::byte> image, std::size_t categories) {
  const auto fail = image_fail;
  ImageHeader h;
  if (image.size() < sizeof h || image.size() % 8 != 0)
    fail(std::to_string(image.size()) + " bytes, not an image (too short or not a multiple of 8)");
  std::memcpy(&h, image.data(), sizeof h);
  if (std::memcmp(h.magic, kImageMagic, 8) != 0) fail("wrong magic (not a lexicon image)");
  if (h.categories != categories)
    fail("made for " + std::to_string(h.categories) + " categories, the model has " +
         std::to_string(categories));
  // Every size bounded by the image before any arithmetic on it can overflow.
  const std::size_t n = image.size();
  if (h.masks > n || h.keys > n || h.filter_words > n || h.trie_bytes > n ||
      (h.index_width != 1 && h.index_width != 2 && h.index_width != 4))
    fail("header sizes out of range");
  const std::size_t expected = sizeof h + pad8(h.masks * sizeof(CategoryMask)) +
                               pad8(h.keys * h.index_width) + h.filter_words * 8 +
                               pad8(h.trie_bytes);
  if (expected != n)
    fail("header describes " + std::to_string(expected) + " bytes, the image has " +
         std::to_string(n));
  const bool empty = h.keys == 0;
  if (empty != (h.trie_bytes == 0) || empty != (h.filter_words == 0) ||
      (!empty && (h.masks == 0 || !std::has_single_bit(h.filter_words) || h.filter_words < 16)))
    fail("inconsistent header (keys, trie, masks and filter sizes)");
  return h;
}

}  // namespace

Lexicon Lexicon::from_image(std::vector<std::string> categories, std::span<const std::byte> image) {
  const auto fail = image_fail;
  const ImageHeader h = read_image_header(image, categories.size());
  const std::size_t n = image.size();
  const bool empty = h.keys == 0;
  ImageHeader zeroed = h;
  zeroed.checksum = 0;
  auto data = std::make_shared<TrieData>();
  data->image.resize(n / 8);
  auto* bytes = reinterpret_cast<std::byte*>(data->image.data());
  std::memcpy(bytes, image.data(), n);
  std::memcpy(bytes, &zeroed, sizeof zeroed);
  if (image_checksum(std::span<const std::byte>(bytes, n)) != h.checksum)
    fail("checksum mismatch (the file is damaged)");
  std::memcpy(bytes, &h, sizeof h);
  std::size_t at = sizeof h;
  const auto* table = reinterpret_cast<const CategoryMask*>(bytes + at);
  at += pad8(h.masks * sizeof(CategoryMask));
  const auto* index = reinterpret_cast<const std::uint8_t*>(bytes + at);
  at += pad8(h.keys * h.index_width);
  const auto* filter = reinterpret_cast<const std::uint64_t*>(bytes + at);
  at += h.filter_words * 8;
  CategoryMask allowed;
  for (std::size_t c = 0; c < categories.size(); ++c) allowed.set(c);
  for (std::size_t m = 0; m < h.masks; ++m)
    if (table[m].and_not(allowed).any() || table[m].empty())
      fail("category set " + std::to_string(m) + " is empty or names a category past " +
           std::to_string(categories.size()));
  data->masks.view(table, h.masks, index, static_cast<int>(h.index_width));
  std::size_t pairs = 0;
  for (std::size_t id = 0; id < h.keys; ++id) {
    std::uint32_t i = 0;
    std::memcpy(&i, index + id * h.index_width, h.index_width);
    if (i >= h.masks)
      fail("key " + std::to_string(id) + " has category set " + std::to_string(i) + " of " +
           std::to_string(h.masks));
    pairs += table[i].count();
  }
  if (!empty) {
    data->filter.view(filter, h.filter_words);
    try {
      data->trie.map(bytes + at, h.trie_bytes);
    } catch (const marisa::Exception& e) {
      fail(std::string("the trie does not map: ") + e.what());
    }
    if (data->trie.num_keys() != h.keys)
      fail("the trie has " + std::to_string(data->trie.num_keys()) + " keys, the header says " +
           std::to_string(h.keys));
    data->single_char_keys = (h.flags & 1) != 0;
    data->built = true;
  }
  Lexicon lexicon(std::move(categories));
  auto next = std::make_shared<Snapshot>();
  next->trie = std::move(data);
  next->overlay = std::make_shared<const EntryMasks>();
  next->removed = std::make_shared<const RemovedMasks>();
  next->size = pairs;
  lexicon.state_->store(std::move(next));
  return lexicon;
}

PositionFeatures position_features(const LexiconFeatures& chars, const Encoding& encoding,
                                   std::size_t kept_tokens) {
  if (kept_tokens > encoding.token_chars.size())
    throw std::invalid_argument("position_features: " + std::to_string(kept_tokens) +
                                " tokens kept of an encoding of " +
                                std::to_string(encoding.token_chars.size()));
  PositionFeatures out;
  out.offsets.reserve(kept_tokens + 3);
  out.offsets.push_back(0);  // [CLS]
  out.offsets.push_back(0);
  for (std::size_t t = 0; t < kept_tokens; ++t) {
    const auto [begin, end] = encoding.token_chars[t];
    if (begin > end || end > chars.chars())
      throw std::invalid_argument("position_features: token " + std::to_string(t) +
                                  " covers characters [" + std::to_string(begin) + ", " +
                                  std::to_string(end) + ") of a text of " +
                                  std::to_string(chars.chars()));
    const std::size_t from = out.ids.size();
    for (std::size_t c = begin; c < end; ++c) {
      const auto ids = chars.at(c);
      out.ids.insert(out.ids.end(), ids.begin(), ids.end());
    }
    // One character (the usual token) is already sorted and unique.
    if (end - begin > 1) {
      const auto first = out.ids.begin() + static_cast<std::ptrdiff_t>(from);
      std::sort(first, out.ids.end());
      out.ids.erase(std::unique(first, out.ids.end()), out.ids.end());
    }
    out.offsets.push_back(static_cast<std::uint32_t>(out.ids.size()));
  }
  out.offsets.push_back(static_cast<std::uint32_t>(out.ids.size()));  // [SEP]
  return out;
}

}  // namespace jointnlu
