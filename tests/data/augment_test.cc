// Transfer-set augmentation: every generator keeps slot spans aligned with the text (checked over
// the bundled demo data and, when present, the whole SMP2019 training set), gazetteers join the
// right keys, and corpus sampling streams and skips bad lines. Also the word2vec reader.
#include "data/augment.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "core/tagging.h"
#include "core/utf8.h"
#include "data/dataset.h"
#include "data/word_vectors.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

// The invariants of a variant: text and offsets agree, spans are sorted, in range and
// non-overlapping, every span's value is one the bank offers for its key (or the original one),
// and the text outside spans is a window of the source's.
void check_variant(const Variant& v, const Example& source, const SlotValueBank& bank) {
  const Example& e = v.example;
  const auto decoded = decode_utf8(e.text);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->chars, e.decoded.chars) << e.text;
  ASSERT_EQ(decoded->offsets, e.decoded.offsets) << e.text;
  ASSERT_NO_THROW(check_spans(e.size(), e.spans)) << e.text;
  std::set<std::string> source_values;
  for (const auto& s : source.spans) source_values.insert(s.key + "=" + source.value(s));
  for (const auto& s : e.spans) {
    const std::string value = e.value(s);
    ASSERT_FALSE(value.empty());
    const auto* options = bank.values(s.key);
    const bool known =
        source_values.count(s.key + "=" + value) ||
        (options && std::find(options->begin(), options->end(), value) != options->end());
    EXPECT_TRUE(known) << s.key << "=" << value << " in " << e.text;
  }
  // Round trip through tags, as the models see it.
  const auto tags = spans_to_tags(e.size(), e.spans, TagScheme::kBio);
  EXPECT_EQ(tags_to_spans(tags, TagScheme::kBio), e.spans) << e.text;
  for (std::size_t m : v.masked) EXPECT_LT(m, e.size());
  EXPECT_TRUE(std::is_sorted(v.masked.begin(), v.masked.end()));
}

void check_all(const std::vector<Example>& examples, int per_example) {
  SlotValueBank bank;
  bank.add_examples(examples);
  AugmentOptions o;
  o.per_example = per_example;
  o.substitute_prob = 0.7;
  o.ngram_prob = 0.5;
  AugmentStats stats;
  const auto variants = augment(examples, &bank, o, &stats);
  EXPECT_GT(stats.substituted_spans, 0u);
  EXPECT_GT(stats.masked_chars, 0u);
  EXPECT_GT(stats.ngram_cuts, 0u);
  EXPECT_GT(variants.size(), examples.size());
  std::set<std::string> originals;
  for (const auto& e : examples) originals.insert(e.text);
  for (const auto& v : variants) {
    ASSERT_LT(v.source, examples.size());
    check_variant(v, examples[v.source], bank);
    if (v.masked.empty()) {
      EXPECT_FALSE(originals.count(v.example.text)) << v.example.text;
    }
  }
}

TEST(Augment, SpansStayAlignedOnDemoData) {
  check_all(read_examples(testing::source_path("data/demo/train.json")), 5);
}

TEST(Augment, SpansStayAlignedOnAllOfSmp2019Train) {
  const auto path = testing::shared_path("data/smp2019/train.json");
  JOINTNLU_REQUIRE_FILE(path);
  check_all(read_examples(path), 3);
}

TEST(Augment, IsDeterministicAndRespectsSwitches) {
  const auto examples = read_examples(testing::source_path("data/demo/train.json"));
  SlotValueBank bank;
  bank.add_examples(examples);
  AugmentOptions o;
  o.per_example = 2;
  const auto a = augment(examples, &bank, o);
  const auto b = augment(examples, &bank, o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].example.text, b[i].example.text);

  o.substitute = o.ngram = false;  // masking only: texts unchanged
  AugmentStats stats;
  for (const auto& v : augment(examples, &bank, o, &stats)) {
    EXPECT_EQ(v.example.text, examples[v.source].text);
    EXPECT_EQ(v.example.spans, examples[v.source].spans);
    EXPECT_FALSE(v.masked.empty());
  }
  EXPECT_EQ(stats.substituted_spans, 0u);
  EXPECT_EQ(stats.ngram_cuts, 0u);
}

TEST(Augment, SubstitutionChangesLengthsAndShiftsLaterSpans) {
  Record r;
  r.text = "从北京到上海";
  r.domain = "train";
  r.intent = "QUERY";
  r.slots = {{"startLoc_city", "北京"}, {"endLoc_city", "上海"}};
  const Example e = align(r);
  SlotValueBank bank;
  TempDir dir;
  const auto file = dir.write("city.txt", "乌鲁木齐\n\n石家庄市\n");
  const auto joined = bank.add_gazetteer(file, "city", {"startLoc_city", "endLoc_city", "city_x"});
  EXPECT_EQ(joined, (std::vector<std::string>{"startLoc_city", "endLoc_city"}));
  AugmentOptions o;
  o.substitute_prob = 1.0;
  o.mask = o.ngram = false;
  std::mt19937_64 rng(1);
  const Variant v = make_variant(e, &bank, o, rng, nullptr);
  ASSERT_EQ(v.example.spans.size(), 2u);
  for (const auto& s : v.example.spans) {
    const auto value = v.example.value(s);
    EXPECT_TRUE(value == "乌鲁木齐" || value == "石家庄市") << value;
  }
  EXPECT_TRUE(v.example.text.starts_with("从"));
}

TEST(Augment, GazetteerSkipsBadLinesNamingFileAndLine) {
  TempDir dir;
  const auto file = dir.write("city.txt", "北京\nbad\x01value\n上海\n");
  SlotValueBank bank;
  bank.add_gazetteer(file, "city", {"city"});
  ASSERT_EQ(bank.problems().size(), 1u);
  EXPECT_NE(bank.problems()[0].find("city.txt"), std::string::npos) << bank.problems()[0];
  EXPECT_NE(bank.problems()[0].find("line 2"), std::string::npos) << bank.problems()[0];
  EXPECT_EQ(*bank.values("city"), (std::vector<std::string>{"北京", "上海"}));
}

TEST(Augment, SampleLinesIsUniformishAndSkipsBadLines) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "句子" + std::to_string(i) + "\n";
  content += "\n   \nbad\x02line\n";
  const auto file = dir.write("c.txt", content);
  std::size_t skipped = 0;
  const auto lines = sample_lines({file}, 100, 7, 512, &skipped);
  EXPECT_EQ(lines.size(), 100u);
  EXPECT_EQ(skipped, 1u);
  int late = 0;
  for (const auto& l : lines) late += std::stoi(l.substr(std::string("句子").size())) >= 500;
  EXPECT_GT(late, 25);  // not just the first lines
  EXPECT_LT(late, 75);
  EXPECT_EQ(sample_lines({file}, 5000, 7, 512).size(), 1000u);
}

TEST(WordVectors, ReadsKnownRowsAndFillsTheRest) {
  TempDir dir;
  const auto file = dir.write("v.vec", "3 2\n北 1 2\n京 -1 0.5\n</s> 9 9\n");
  const auto v = read_vocab_vectors(file, {"[PAD]", "北", "##京", "上"});
  EXPECT_EQ(v.dim, 2u);
  EXPECT_EQ(v.found_count, 2u);
  EXPECT_EQ(v.found, (std::vector<bool>{false, true, true, false}));
  EXPECT_FLOAT_EQ(v.matrix[2], 1.0f);
  EXPECT_FLOAT_EQ(v.matrix[5], 0.5f);
  EXPECT_NE(v.matrix[6], 0.0f);  // random row for "上"
}

TEST(WordVectors, MalformedFilesNameTheLine) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2\n北 1 2\n", "line 1"},
      {"2 2\n北 1\n", "line 2"},
      {"2 2\n北 1 2\n京 1 x\n", "line 3"},
  };
  for (const auto& [content, where] : cases) {
    const auto file = dir.write("bad.vec", content);
    try {
      read_vocab_vectors(file, {"北", "京"});
      FAIL() << content;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace jointnlu
