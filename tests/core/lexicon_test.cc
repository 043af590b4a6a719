#include "core/lexicon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "core/lexicon_sources.h"
#include "core/tokenizer.h"

namespace jointnlu {

// Printed by GoogleTest when a comparison fails.
bool operator==(const LexiconMatch& a, const LexiconMatch& b) {
  return std::tie(a.begin, a.end, a.categories) == std::tie(b.begin, b.end, b.categories);
}
void PrintTo(const LexiconMatch& m, std::ostream* os) {
  *os << "[" << m.begin << "," << m.end << "):{";
  const char* sep = "";
  m.categories.for_each([&](std::size_t c) {
    *os << sep << c;
    sep = ",";
  });
  *os << "}";
}

namespace {

using Matches = std::vector<LexiconMatch>;

// A match of the categories whose bits are set in `low` (categories 0..63) and `high` (64..127).
LexiconMatch hit(std::size_t begin, std::size_t end, std::uint64_t low, std::uint64_t high = 0) {
  return {begin, end, CategoryMask(low, high)};
}
using Ids = std::vector<std::uint16_t>;

Matches match_all(const Lexicon& lexicon, std::string_view text) {
  Matches out;
  lexicon.match(text, out);
  return out;
}

Ids ids_at(const LexiconFeatures& f, std::size_t c) { return {f.at(c).begin(), f.at(c).end()}; }
Ids ids_at(const PositionFeatures& f, std::size_t p) { return {f.at(p).begin(), f.at(p).end()}; }

// A directory unique to this test and process (ctest may run tests in parallel), removed after.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("lexicon_test_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

template <typename E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

// Category 0 "a": 北京 北京大学 大学 京大; category 1 "b": 北京 学.
Lexicon nested_lexicon() {
  Lexicon lexicon({"a", "b"});
  lexicon.add(0, std::vector<std::string>{"北京", "北京大学", "大学", "京大"});
  lexicon.add(1, std::vector<std::string>{"北京", "学"});
  return lexicon;
}

TEST(Lexicon, MatchesEveryStartAndLengthWithUnionOfCategories) {
  for (const bool compacted : {false, true}) {
    Lexicon lexicon = nested_lexicon();
    if (compacted) lexicon.compact();
    EXPECT_EQ(lexicon.size(), 6u);
    EXPECT_EQ(match_all(lexicon, "北京大学"),
              (Matches{hit(0, 2, 3), hit(0, 4, 1), hit(1, 3, 1), hit(2, 4, 1), hit(3, 4, 2)}))
        << "compacted=" << compacted;
    EXPECT_EQ(match_all(lexicon, "去北京大学吧"),
              (Matches{hit(1, 3, 3), hit(1, 5, 1), hit(2, 4, 1), hit(3, 5, 1), hit(4, 5, 2)}));
    EXPECT_EQ(match_all(lexicon, "北 京"), Matches{});
    EXPECT_EQ(match_all(lexicon, ""), Matches{});
  }
}

// Every match over random texts against a brute-force search of every substring, with entries
// in the trie, in the overlay and removed, of 1- to 4-byte characters (the prefix filter reads
// up to 8 bytes at a start).
TEST(Lexicon, MatchesEqualBruteForceOverRandomTexts) {
  const std::vector<std::string> alphabet = {"a", "B", "é", "中", "文", "😀"};
  std::mt19937 rng(7);
  auto random_string = [&](std::size_t max_chars) {
    std::string s;
    const std::size_t n = std::uniform_int_distribution<std::size_t>(1, max_chars)(rng);
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  Lexicon lexicon({"p", "q", "r"});
  for (int phase = 0; phase < 3; ++phase) {
    for (int i = 0; i < 40; ++i) lexicon.add(static_cast<int>(rng() % 3), random_string(4));
    if (phase == 0) lexicon.compact();
  }
  for (int i = 0; i < 30; ++i)
    lexicon.remove(static_cast<int>(rng() % 3), std::vector<std::string>{random_string(3)});
  for (const bool compacted : {false, true}) {
    if (compacted) lexicon.compact();
    for (int t = 0; t < 300; ++t) {
      std::vector<std::string> chars;
      const std::size_t n = rng() % 12;
      for (std::size_t i = 0; i < n; ++i) chars.push_back(alphabet[rng() % alphabet.size()]);
      Matches expected;
      std::string text;
      for (std::size_t b = 0; b < n; ++b) {
        text += chars[b];
        std::string sub;
        for (std::size_t e = b + 1; e <= n; ++e) {
          sub += chars[e - 1];
          CategoryMask mask;
          for (int c = 0; c < 3; ++c)
            if (lexicon.contains(c, sub)) mask.set(static_cast<std::size_t>(c));
          if (mask.any()) expected.push_back({b, e, mask});
        }
      }
      ASSERT_EQ(match_all(lexicon, text), expected) << text << " compacted=" << compacted;
    }
  }
}

TEST(Lexicon, TrieAndOverlayCategoriesOfOneSpanAreMerged) {
  Lexicon lexicon({"a", "b", "c"});
  lexicon.add(0, "北京");
  lexicon.compact();
  lexicon.add(2, "北京");  // overlay, same span as a trie entry
  lexicon.add(1, "京");
  EXPECT_EQ(match_all(lexicon, "北京"), (Matches{hit(0, 2, 5), hit(1, 2, 2)}));
  EXPECT_TRUE(lexicon.contains(2, "北京"));
  EXPECT_FALSE(lexicon.contains(1, "北京"));
}

TEST(Lexicon, AsciiIsCaseInsensitive) {
  Lexicon lexicon({"app"});
  lexicon.add(0, "QQ音乐");
  lexicon.add(0, "  Ärger ");  // only ASCII folds
  lexicon.compact();
  EXPECT_EQ(Lexicon::normalize_entry("  QQ音乐\t"), "qq音乐");
  EXPECT_TRUE(lexicon.contains(0, "qq音乐"));
  EXPECT_TRUE(lexicon.contains(0, "Ärger"));
  EXPECT_FALSE(lexicon.contains(0, "ärger"));
  EXPECT_EQ(match_all(lexicon, "打开Qq音乐"), (Matches{hit(2, 6, 1)}));
  EXPECT_EQ(match_all(lexicon, "qQ音乐"), (Matches{hit(0, 4, 1)}));
  EXPECT_EQ(match_all(lexicon, "ÄRGER"), (Matches{hit(0, 5, 1)}));
  EXPECT_EQ(match_all(lexicon, "ärger"), Matches{});
}

TEST(Lexicon, RejectsBadEntriesAndTexts) {
  EXPECT_THROW(Lexicon::normalize_entry("   "), std::invalid_argument);
  EXPECT_THROW(Lexicon::normalize_entry("a\tb"), std::invalid_argument);
  EXPECT_THROW(Lexicon::normalize_entry("\xff"), std::invalid_argument);
  EXPECT_THROW(Lexicon::normalize_entry(std::string(kMaxLexiconEntryBytes + 1, 'x')),
               std::invalid_argument);
  EXPECT_EQ(Lexicon::normalize_entry(std::string(kMaxLexiconEntryBytes, 'X')),
            std::string(kMaxLexiconEntryBytes, 'x'));

  Lexicon lexicon({"a"});
  // An invalid entry in a batch changes nothing.
  EXPECT_THROW(lexicon.add(0, std::vector<std::string>{"好的", ""}), std::invalid_argument);
  EXPECT_EQ(lexicon.size(), 0u);
  EXPECT_THROW(lexicon.add(1, "好的"), std::out_of_range);
  EXPECT_THROW(lexicon.add(-1, "好的"), std::out_of_range);
  Matches out;
  EXPECT_THROW(lexicon.match("ab\xe4\xb8", out), std::invalid_argument);
  EXPECT_THROW(lexicon.match("\xed\xa0\x80", out), std::invalid_argument);  // a surrogate

  EXPECT_THROW(Lexicon({"a", "a"}), std::invalid_argument);
  EXPECT_THROW(Lexicon({""}), std::invalid_argument);
  EXPECT_THROW(Lexicon({"a\tb"}), std::invalid_argument);
}

std::vector<std::string> category_names(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("c" + std::to_string(i));
  return names;
}

TEST(Lexicon, AcceptsUpTo128Categories) {
  EXPECT_EQ(kMaxLexiconCategories, 128u);
  const std::string too_many =
      error_of<std::invalid_argument>([] { Lexicon lexicon(category_names(129)); });
  EXPECT_NE(too_many.find("129 categories, more than the limit of 128"), std::string::npos)
      << too_many;
  Lexicon wide(category_names(128));
  wide.add(127, "最后");
  wide.add(63, "最后");
  EXPECT_EQ(match_all(wide, "最后"), (Matches{hit(0, 2, std::uint64_t{1} << 63, 1ull << 63)}));
  EXPECT_EQ(wide.feature_count(), 512u);
  wide.compact();
  EXPECT_EQ(match_all(wide, "最后"), (Matches{hit(0, 2, std::uint64_t{1} << 63, 1ull << 63)}));
  EXPECT_EQ(ids_at(wide.features("最后"), 1), (Ids{254, 510}));  // c63:E, c127:E
  EXPECT_THROW(wide.add(128, "好的"), std::out_of_range);
}

TEST(CategoryMask, SetsTestsCombinesAndIterates) {
  static_assert(CategoryMask::of(64) == CategoryMask(0, 1));
  static_assert(CategoryMask::of(3).test(3) && !CategoryMask::of(3).test(67));
  static_assert((CategoryMask::of(0) | CategoryMask::of(127)).count() == 2);
  static_assert(CategoryMask(5, 6).and_not(CategoryMask(4, 2)) == CategoryMask(1, 4));
  static_assert(CategoryMask().empty() && CategoryMask::of(100).any());
  CategoryMask m;
  m.set(99).set(0).set(64).set(63);
  std::vector<std::size_t> seen;
  m.for_each([&](std::size_t c) { seen.push_back(c); });
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 63, 64, 99}));
  EXPECT_TRUE(m.reset(64).reset(99).test(63));
  EXPECT_EQ(m, CategoryMask(1 | (std::uint64_t{1} << 63)));
  EXPECT_TRUE(m.reset(0).reset(63).empty());
}

// Entries of categories on both sides of the 64-bit boundary, in the overlay, in the trie, removed
// and re-added: the masks of matches and the feature ids 4 * category + position.
TEST(Lexicon, MoreThan64Categories) {
  Lexicon lexicon(category_names(100));
  lexicon.add(0, "北京");
  lexicon.add(63, std::vector<std::string>{"北京", "大学"});
  lexicon.add(64, std::vector<std::string>{"北京大学", "京"});
  lexicon.add(99, std::vector<std::string>{"大学", "学"});
  EXPECT_EQ(lexicon.feature_count(), 400u);
  const std::uint64_t c63 = std::uint64_t{1} << 63;
  const Matches all = {hit(0, 2, 1 | c63),          // 北京: c0, c63
                       hit(0, 4, 0, 1),             // 北京大学: c64
                       hit(1, 2, 0, 1),             // 京: c64
                       hit(2, 4, c63, 1ull << 35),  // 大学: c63, c99
                       hit(3, 4, 0, 1ull << 35)};   // 学: c99
  for (const bool compacted : {false, true}) {
    if (compacted) lexicon.compact();
    EXPECT_EQ(lexicon.size(), 7u);
    EXPECT_EQ(match_all(lexicon, "北京大学"), all) << "compacted=" << compacted;
    const LexiconFeatures f = lexicon.features("北京大学");
    ASSERT_EQ(f.chars(), 4u);
    EXPECT_EQ(ids_at(f, 0), (Ids{0, 252, 256}));         // c0:B, c63:B, c64:B
    EXPECT_EQ(ids_at(f, 1), (Ids{2, 254, 257, 259}));    // c0:E, c63:E, c64:M, c64:S
    EXPECT_EQ(ids_at(f, 2), (Ids{252, 257, 396}));       // c63:B, c64:M, c99:B
    EXPECT_EQ(ids_at(f, 3), (Ids{254, 258, 398, 399}));  // c63:E, c64:E, c99:E, c99:S
    EXPECT_EQ(lexicon.to_tsv(),
              "c0\t北京\nc63\t北京\nc63\t大学\nc64\t京\nc64\t北京大学\nc99\t大学\nc99\t学\n");
  }

  EXPECT_EQ(lexicon.remove(64, std::vector<std::string>{"北京大学"}), 1u);  // a trie entry
  EXPECT_FALSE(lexicon.contains(64, "北京大学"));
  EXPECT_TRUE(lexicon.contains(64, "京"));
  lexicon.add(99, "北京");  // an overlay category of a trie entry
  const Matches edited = {hit(0, 2, 1 | c63, 1ull << 35), hit(1, 2, 0, 1),
                          hit(2, 4, c63, 1ull << 35), hit(3, 4, 0, 1ull << 35)};
  EXPECT_EQ(match_all(lexicon, "北京大学"), edited);
  lexicon.compact();
  EXPECT_EQ(match_all(lexicon, "北京大学"), edited);
  EXPECT_EQ(lexicon.size(), 7u);
  lexicon.add(64, "北京大学");
  EXPECT_EQ(match_all(lexicon, "北京大学")[1], hit(0, 4, 0, 1));
}

// A trie stores each key's categories as an index into a table of the distinct sets, 1, 2 or 4
// bytes wide by the table's size: every width keeps every key's own set.
TEST(Lexicon, ManyDistinctCategorySetsSurviveCompaction) {
  for (const std::size_t keys : {200, 300, 70000}) {
    // Key i ("k" + i) is in category 7 * j for every bit j of i (17 bits: categories 0..112),
    // so no two keys share a set.
    Lexicon lexicon(category_names(128));
    auto mask_of = [](std::size_t i) {
      CategoryMask m;
      for (std::size_t j = 0; j < 17; ++j)
        if ((i >> j) & 1) m.set(7 * j);
      return m;
    };
    std::size_t pairs = 0;
    for (std::size_t j = 0; j < 17; ++j) {
      std::vector<std::string> entries;
      for (std::size_t i = 1; i < keys; ++i)
        if ((i >> j) & 1) entries.push_back("k" + std::to_string(i));
      lexicon.add(static_cast<int>(7 * j), entries);
      pairs += entries.size();
    }
    lexicon.compact();
    EXPECT_EQ(lexicon.size(), pairs);
    for (std::size_t i = 1; i < keys; i += keys / 150) {
      const std::string key = "k" + std::to_string(i);
      const Matches found = match_all(lexicon, key);
      // The key itself is the longest match from its start; shorter ones are its prefixes.
      ASSERT_FALSE(found.empty()) << key;
      EXPECT_EQ(found.back(), (LexiconMatch{0, key.size(), mask_of(i)})) << key;
    }
  }
}

TEST(Lexicon, FeaturesAreBeginMiddleEndSingle) {
  Lexicon lexicon({"x", "y"});
  lexicon.add(0, "北京大学");
  lexicon.add(0, "大学");
  lexicon.add(1, "京");
  lexicon.compact();
  const LexiconFeatures f = lexicon.features("去北京大学");
  ASSERT_EQ(f.chars(), 5u);
  EXPECT_EQ(ids_at(f, 0), Ids{});
  EXPECT_EQ(ids_at(f, 1), Ids{0});       // x:B
  EXPECT_EQ(ids_at(f, 2), (Ids{1, 7}));  // x:M, y:S
  EXPECT_EQ(ids_at(f, 3), (Ids{0, 1}));  // x:B (大学), x:M (北京大学)
  EXPECT_EQ(ids_at(f, 4), Ids{2});       // x:E twice, once
  EXPECT_EQ(lexicon.feature_count(), 8u);
  EXPECT_EQ(lexicon.features("").chars(), 0u);
}

TEST(Lexicon, PositionFeaturesFollowTheTokens) {
  const Tokenizer tokenizer(std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                                     "去", "hello", "北", "京"});
  const std::string text = "去 hello北京";
  const Encoding enc = tokenizer.encode(text);
  ASSERT_EQ(enc.tokens, (std::vector<std::string>{"去", "hello", "北", "京"}));
  Lexicon lexicon({"w", "v"});
  lexicon.add(0, "hell");   // inside one token: B, M, M, E
  lexicon.add(1, "o北京");  // across tokens
  lexicon.compact();
  const LexiconFeatures chars = lexicon.features(text);
  ASSERT_EQ(chars.chars(), 9u);

  const PositionFeatures pos = position_features(chars, enc, enc.size());
  ASSERT_EQ(pos.positions(), 6u);
  EXPECT_EQ(ids_at(pos, 0), Ids{});              // [CLS]
  EXPECT_EQ(ids_at(pos, 1), Ids{});              // 去
  EXPECT_EQ(ids_at(pos, 2), (Ids{0, 1, 2, 4}));  // hello: w:B,M,E and v:B
  EXPECT_EQ(ids_at(pos, 3), Ids{5});             // 北: v:M
  EXPECT_EQ(ids_at(pos, 4), Ids{6});             // 京: v:E
  EXPECT_EQ(ids_at(pos, 5), Ids{});              // [SEP]

  const PositionFeatures cut = position_features(chars, enc, 2);
  ASSERT_EQ(cut.positions(), 4u);
  EXPECT_EQ(ids_at(cut, 2), (Ids{0, 1, 2, 4}));
  EXPECT_EQ(ids_at(cut, 3), Ids{});
  EXPECT_THROW(position_features(chars, enc, 5), std::invalid_argument);
  EXPECT_THROW(position_features(lexicon.features("去"), enc, 2), std::invalid_argument);
}

TEST(Lexicon, RunTimeAddAndRemove) {
  Lexicon lexicon = nested_lexicon();
  lexicon.compact();
  lexicon.add(1, "大学");  // after compact: overlay
  EXPECT_EQ(match_all(lexicon, "大学"), (Matches{hit(0, 2, 3), hit(1, 2, 2)}));
  EXPECT_EQ(lexicon.size(), 7u);

  const std::vector<std::string> gone = {"北京", "不在", "北京"};
  EXPECT_EQ(lexicon.remove(0, gone), 1u);  // a trie entry of "a"; "b" keeps it
  EXPECT_FALSE(lexicon.contains(0, "北京"));
  EXPECT_TRUE(lexicon.contains(1, "北京"));
  EXPECT_EQ(match_all(lexicon, "北京"), (Matches{hit(0, 2, 2)}));
  EXPECT_EQ(lexicon.remove(0, gone), 0u);
  EXPECT_EQ(lexicon.remove(1, gone), 1u);
  EXPECT_EQ(match_all(lexicon, "北京"), Matches{});
  EXPECT_EQ(lexicon.size(), 5u);

  lexicon.add(0, "北京");  // re-added: the removal is lifted
  EXPECT_EQ(match_all(lexicon, "北京"), (Matches{hit(0, 2, 1)}));
  EXPECT_EQ(lexicon.remove(1, std::vector<std::string>{"大学"}), 1u);  // an overlay entry
  lexicon.add(0, "新词");
  EXPECT_EQ(lexicon.size(), 6u);

  const std::string before = lexicon.to_tsv();
  EXPECT_EQ(before, "a\t京大\na\t北京\na\t北京大学\na\t大学\na\t新词\nb\t学\n");
  const Matches matches_before = match_all(lexicon, "北京大学新词");
  lexicon.compact();
  EXPECT_EQ(lexicon.to_tsv(), before);
  EXPECT_EQ(match_all(lexicon, "北京大学新词"), matches_before);
  EXPECT_EQ(lexicon.size(), 6u);
  EXPECT_EQ(lexicon.remove(0, std::vector<std::string>{"新词"}), 1u);
  EXPECT_EQ(match_all(lexicon, "新词"), Matches{});
}

TEST(Lexicon, TsvRoundTrip) {
  Lexicon lexicon = nested_lexicon();
  lexicon.compact();
  lexicon.add(1, "Wi-Fi");
  const std::string tsv = lexicon.to_tsv();
  EXPECT_EQ(tsv, "a\t京大\na\t北京\na\t北京大学\na\t大学\nb\twi-fi\nb\t北京\nb\t学\n");
  const Lexicon back = Lexicon::from_tsv({"a", "b"}, tsv, "lexicon.tsv");
  EXPECT_EQ(back.to_tsv(), tsv);
  EXPECT_EQ(back.size(), lexicon.size());
  EXPECT_EQ(match_all(back, "北京大学"), match_all(lexicon, "北京大学"));

  const std::string unknown =
      error_of<DataError>([] { Lexicon::from_tsv({"a"}, "a\t好\nzz\t坏\n", "lexicon.tsv"); });
  EXPECT_NE(unknown.find("lexicon.tsv: line 2"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("zz"), std::string::npos) << unknown;
  const std::string no_tab =
      error_of<DataError>([] { Lexicon::from_tsv({"a"}, "a\t好\r\n\nab\n", "x.tsv"); });
  EXPECT_NE(no_tab.find("x.tsv: line 3"), std::string::npos) << no_tab;
  const std::string bad =
      error_of<DataError>([] { Lexicon::from_tsv({"a"}, "a\t\xff\n", "x.tsv"); });
  EXPECT_NE(bad.find("x.tsv: line 1"), std::string::npos) << bad;
  EXPECT_THROW(Lexicon::from_tsv({"a", "a"}, "", "x.tsv"), std::invalid_argument);
}

Lexicon from_image_of(const std::vector<std::string>& categories, const std::string& image) {
  return Lexicon::from_image(categories, std::as_bytes(std::span(image.data(), image.size())));
}

// An image loads back into the same lexicon: entries, sizes, matches and features, with entries
// of every kind (trie, overlay, removed trie entries), more than 256 distinct category sets
// (two-byte indices), single-character keys, and edits after loading.
TEST(Lexicon, ImageRoundTrip) {
  std::vector<std::string> names;
  for (int c = 0; c < 100; ++c) names.push_back("c" + std::to_string(c));
  Lexicon lexicon(names);
  std::mt19937 rng(3);
  for (int i = 0; i < 600; ++i) {
    const std::string key = "词" + std::to_string(i);
    lexicon.add(static_cast<int>(rng() % 100), key);
    lexicon.add(static_cast<int>(rng() % 100), key);
  }
  lexicon.add(0, std::vector<std::string>{"北京", "北京大学", "大", "Wi-Fi"});
  lexicon.compact();
  lexicon.add(1, "大学");                                   // overlay
  lexicon.remove(0, std::vector<std::string>{"北京大学"});  // removed from the trie
  const std::string image = lexicon.image();
  EXPECT_EQ(image.size() % 8, 0u);
  Lexicon back = from_image_of(names, image);
  EXPECT_EQ(back.to_tsv(), lexicon.to_tsv());
  EXPECT_EQ(back.size(), lexicon.size());
  for (const char* text : {"去北京大学", "wi-fi和词17还有词599", "大大", ""})
    EXPECT_EQ(match_all(back, text), match_all(lexicon, text)) << text;
  EXPECT_EQ(back.features("去北京大学").ids, lexicon.features("去北京大学").ids);
  EXPECT_EQ(back.image(), image);  // an image of a loaded image is the same bytes

  back.add(2, "新词");
  back.remove(0, std::vector<std::string>{"北京"});
  EXPECT_TRUE(back.contains(2, "新词"));
  EXPECT_FALSE(back.contains(0, "北京"));
  back.compact();
  EXPECT_TRUE(back.contains(2, "新词"));
  EXPECT_EQ(back.size(), lexicon.size());

  const Lexicon empty = from_image_of({"a"}, Lexicon({"a"}).image());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(match_all(empty, "北京"), Matches{});
}

// A damaged or foreign image is refused with what is wrong, before any trie is mapped from it.
TEST(Lexicon, ImageDamageIsRefused) {
  Lexicon lexicon = nested_lexicon();
  lexicon.compact();
  const std::string image = lexicon.image();
  const auto error = [](const std::vector<std::string>& categories, const std::string& bytes) {
    return error_of<std::invalid_argument>([&] { from_image_of(categories, bytes); });
  };
  EXPECT_NE(error({"a", "b", "c"}, image).find("made for 2 categories, the model has 3"),
            std::string::npos);
  EXPECT_NE(error({"a", "b"}, image.substr(0, 40)).find("too short"), std::string::npos);
  EXPECT_NE(error({"a", "b"}, image.substr(0, image.size() - 8)).find("the image has"),
            std::string::npos);
  std::string magic = image;
  magic[0] = 'X';
  EXPECT_NE(error({"a", "b"}, magic).find("wrong magic"), std::string::npos);
  // Every single-byte change past the header's size fields is caught by the checksum (or a
  // check before it); none loads.
  for (std::size_t i = 8; i < image.size(); ++i) {
    std::string damaged = image;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x40);
    EXPECT_THROW(from_image_of({"a", "b"}, damaged), std::invalid_argument) << "byte " << i;
  }
}

TEST(Lexicon, MatchingDuringEditsSeesWholeSnapshots) {
  // Trie entries 北京 (never edited), 京大 and 大学 (removed and re-added together, in one call).
  Lexicon lexicon({"a"});
  const std::vector<std::string> pair = {"京大", "大学"};
  lexicon.add(0, "北京");
  lexicon.add(0, pair);
  lexicon.compact();
  const std::string text = "北京大学";
  const Matches with = {hit(0, 2, 1), hit(1, 3, 1), hit(2, 4, 1)};
  const Matches without = {hit(0, 2, 1)};
  ASSERT_EQ(match_all(lexicon, text), with);

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<long> matched{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      Matches out;
      while (!stop.load()) {
        lexicon.match(text, out);
        if (out != with && out != without) ++torn;
        const LexiconFeatures f = lexicon.features(text);
        if (f.chars() != 4) ++torn;
        ++matched;
      }
    });
  }
  for (int round = 0; round < 300; ++round) {
    EXPECT_EQ(lexicon.remove(0, pair), 2u);
    if (round % 3 == 0) lexicon.compact();
    lexicon.add(0, pair);
    if (round % 5 == 0) lexicon.compact();
  }
  while (matched.load() < 1000) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(match_all(lexicon, text), with);
  EXPECT_EQ(lexicon.size(), 3u);
}

TEST(LexiconSource, ParsesSpecs) {
  TempDir dir;
  const std::string file = dir.write("dishes.txt", "宫保鸡丁\n");
  LexiconSource s = LexiconSource::parse("dish=" + file);
  EXPECT_EQ(s.kind, LexiconSource::Kind::kFile);
  EXPECT_EQ(s.name, "dish");
  EXPECT_EQ(s.path, file);
  EXPECT_EQ(s.to_string(), "dish=" + file);
  s = LexiconSource::parse("thuocl=" + dir.path());
  EXPECT_EQ(s.kind, LexiconSource::Kind::kDirectory);
  EXPECT_EQ(s.name, "thuocl");
  s = LexiconSource::parse("jieba");
  EXPECT_EQ(s.kind, LexiconSource::Kind::kJieba);
  EXPECT_EQ(s.path, kJiebaDictionary);
  EXPECT_EQ(s.to_string(), "jieba");
  s = LexiconSource::parse("jieba=/x/dict.txt");
  EXPECT_EQ(s.kind, LexiconSource::Kind::kJieba);
  EXPECT_EQ(s.path, "/x/dict.txt");
  EXPECT_EQ(s.to_string(), "jieba=/x/dict.txt");

  const std::string empty_name =
      error_of<std::invalid_argument>([] { LexiconSource::parse("=words.txt"); });
  EXPECT_NE(empty_name.find("empty NAME"), std::string::npos) << empty_name;
  const std::string empty_path =
      error_of<std::invalid_argument>([] { LexiconSource::parse("dish="); });
  EXPECT_NE(empty_path.find("empty PATH"), std::string::npos) << empty_path;
  EXPECT_THROW(LexiconSource::parse("words.txt"), std::invalid_argument);
}

TEST(LexiconSource, ReadsWordListsAndNamesBadLines) {
  TempDir dir;
  const std::string good =
      dir.write("city.txt", "\xEF\xBB\xBF北京\t12\n  \nShangHai\r\n北京\n上海\n");
  const std::vector<LexiconCategory> read =
      read_lexicon_source(LexiconSource::parse("city=" + good));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].name, "city");
  EXPECT_EQ(read[0].entries, (std::vector<std::string>{"北京", "shanghai", "上海"}));

  auto error_in = [&](const std::string& content) {
    const std::string path = dir.write("bad.txt", content);
    return error_of<DataError>([&] { read_lexicon_source(LexiconSource::parse("x=" + path)); });
  };
  const std::string path = dir.path() + "/bad.txt";
  std::string e = error_in("北京\n\xe4\xb8\n");
  EXPECT_NE(e.find(path + ": line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("UTF-8"), std::string::npos) << e;
  e = error_in("北京\n\tweight\n");
  EXPECT_NE(e.find(path + ": line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("empty"), std::string::npos) << e;
  e = error_in("a\x01z\n");
  EXPECT_NE(e.find(path + ": line 1"), std::string::npos) << e;
  EXPECT_NE(e.find("control"), std::string::npos) << e;
  e = error_in("北京\n" + std::string(kMaxLexiconEntryBytes + 1, 'x') + "\tok\n");
  EXPECT_NE(e.find(path + ": line 2"), std::string::npos) << e;
  e = error_in("北京\n上海\n" + std::string(100000, 'x') + "\n");
  EXPECT_NE(e.find(path + ": line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("4096"), std::string::npos) << e;
  EXPECT_LT(e.size(), 400u) << "the error must not quote the line";

  EXPECT_THROW(read_lexicon_source(LexiconSource::parse("x=" + dir.path() + "/missing.txt")),
               IoError);
}

TEST(LexiconSource, MissingJiebaDictionarySaysWhatToInstall) {
  TempDir dir;
  const std::string e = error_of<IoError>(
      [&] { read_lexicon_source(LexiconSource::parse("jieba=" + dir.path() + "/dict.txt")); });
  EXPECT_NE(e.find(dir.path() + "/dict.txt"), std::string::npos) << e;
  EXPECT_NE(e.find("python3-jieba"), std::string::npos) << e;
}

TEST(LexiconSource, JiebaWordsAreGroupedByPos) {
  EXPECT_EQ(jieba_category("nrfg"), "person");
  EXPECT_EQ(jieba_category("ns"), "place");
  EXPECT_EQ(jieba_category("j"), "proper");
  EXPECT_EQ(jieba_category("vn"), "verb");
  EXPECT_EQ(jieba_category("l"), "idiom");
  EXPECT_EQ(jieba_category("b"), "adjective");
  EXPECT_EQ(jieba_category("tg"), "time");
  EXPECT_EQ(jieba_category("mq"), "number");
  EXPECT_EQ(jieba_category("uj"), "");
  EXPECT_EQ(jieba_category("d"), "");
  EXPECT_EQ(jieba_category(""), "");

  TempDir dir;
  const std::string dict = dir.write("dict.txt",
                                     "北京 100 ns\n"
                                     "张三 10 nr\n"
                                     "的 1000 uj\n"
                                     "刚刚 50 d\n"
                                     "吃饭 20 v\n"
                                     "苹果 30 n\n"
                                     "AT&T 3 nz\n"
                                     "王 10 nr\n"
                                     "跑步 5\n"
                                     "清华大学 40 nt\n"
                                     "上海 90 ns\n"
                                     "北京 100 ns\n");
  const std::vector<LexiconCategory> read =
      read_lexicon_source(LexiconSource::parse("jieba=" + dict));
  std::vector<std::string> names;
  for (const LexiconCategory& c : read) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"jieba.person", "jieba.place", "jieba.org",
                                             "jieba.proper", "jieba.noun", "jieba.verb"}));
  ASSERT_EQ(read.size(), 6u);
  EXPECT_EQ(read[0].entries, std::vector<std::string>{"张三"});  // 王: one character
  EXPECT_EQ(read[1].entries, (std::vector<std::string>{"北京", "上海"}));
  EXPECT_EQ(read[2].entries, std::vector<std::string>{"清华大学"});
  EXPECT_EQ(read[3].entries, std::vector<std::string>{"at&t"});

  const std::string bad = dir.write("bad.txt", "北京 100 ns\n\xff\xfe 3 n\n");
  const std::string e =
      error_of<DataError>([&] { read_lexicon_source(LexiconSource::parse("jieba=" + bad)); });
  EXPECT_NE(e.find(bad + ": line 2"), std::string::npos) << e;
}

TEST(LexiconSource, DirectoryGivesOneCategoryPerTxtFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/lists");
  dir.write("lists/food.txt", "宫保鸡丁\n鱼香肉丝\n");
  dir.write("lists/app.txt", "微信\tapp\n");
  dir.write("lists/README.md", "not a list\n");
  const std::vector<LexiconCategory> read =
      read_lexicon_source(LexiconSource::parse("thuocl=" + dir.path() + "/lists"));
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].name, "thuocl.app");
  EXPECT_EQ(read[0].entries, std::vector<std::string>{"微信"});
  EXPECT_EQ(read[1].name, "thuocl.food");
  EXPECT_EQ(read[1].entries, (std::vector<std::string>{"宫保鸡丁", "鱼香肉丝"}));

  std::filesystem::create_directories(dir.path() + "/empty");
  dir.write("empty/notes.md", "x\n");
  EXPECT_THROW(read_lexicon_source(LexiconSource::parse("e=" + dir.path() + "/empty")), IoError);
}

TEST(LexiconSource, BuildMergesCategoriesOfTheSameName) {
  TempDir dir;
  const std::string a = dir.write("a.txt", "北京\n上海\n");
  const std::string b = dir.write("b.txt", "上海\n广州\n");
  const std::string food = dir.write("food.txt", "北京烤鸭\n");
  const Lexicon lexicon =
      build_lexicon({LexiconSource::parse("city=" + a), LexiconSource::parse("food=" + food),
                     LexiconSource::parse("city=" + b)});
  EXPECT_EQ(lexicon.categories(), (std::vector<std::string>{"city", "food"}));
  EXPECT_EQ(lexicon.size(), 4u);
  EXPECT_EQ(lexicon.to_tsv(), "city\t上海\ncity\t北京\ncity\t广州\nfood\t北京烤鸭\n");
  EXPECT_EQ(match_all(lexicon, "北京烤鸭"), (Matches{hit(0, 2, 1), hit(0, 4, 2)}));
}

}  // namespace
}  // namespace jointnlu
