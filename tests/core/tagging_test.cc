#include "core/tagging.h"

#include <gtest/gtest.h>

namespace jointnlu {
namespace {

std::vector<Span> locate(const std::string& text, const SlotPairs& slots,
                         SlotPairs* nested = nullptr) {
  auto d = decode_utf8(text);
  return locate_slots(text, *d, slots, nested);
}

TEST(Tagging, LocatesValuesAtTheirLeftmostFreeOccurrence) {
  // Both cities are "北京": the second value must take the second occurrence.
  auto spans = locate("北京到北京南站", {{"startLoc_city", "北京"}, {"endLoc_city", "北京"}});
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0], (Span{0, 2, "startLoc_city"}));
  EXPECT_EQ(spans[1], (Span{3, 5, "endLoc_city"}));
}

TEST(Tagging, SpansAreInCharactersNotBytes) {
  auto spans = locate("播放周杰伦的稻香", {{"song", "稻香"}, {"artist", "周杰伦"}});
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0], (Span{2, 5, "artist"}));  // sorted by position
  EXPECT_EQ(spans[1], (Span{6, 8, "song"}));
}

TEST(Tagging, MissingValueIsAnError) {
  try {
    locate("播放音乐", {{"song", "稻香"}});
    FAIL() << "expected TaggingError";
  } catch (const TaggingError& e) {
    EXPECT_STREQ(e.what(), "slot 'song' value '稻香' does not occur in the text");
  }
}

TEST(Tagging, MatchesMustFallOnCharacterBoundaries) {
  // "\xe5\xa4" is a prefix of 天 (e5 a4 a9): a byte-level match inside a character is no match.
  EXPECT_THROW(locate("天", {{"k", std::string("\xa4\xa9")}}), TaggingError);
}

TEST(Tagging, OverlapIsAnErrorUnlessNestingIsAllowed) {
  const SlotPairs slots = {{"category", "农村"}, {"name", "本省农村广播"}};
  EXPECT_THROW(locate("本省农村广播", slots), TaggingError);
  SlotPairs nested;
  auto spans = locate("本省农村广播", slots, &nested);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (Span{0, 6, "name"}));
  EXPECT_EQ(nested, (SlotPairs{{"category", "农村"}}));
  // The inner value written after the outer one.
  nested.clear();
  spans = locate("导航到佛山大良汽车站",
                 {{"endLoc_poi", "佛山大良汽车站"}, {"endLoc_city", "佛山"}}, &nested);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (Span{3, 10, "endLoc_poi"}));
  EXPECT_EQ(nested, (SlotPairs{{"endLoc_city", "佛山"}}));
}

TEST(Tagging, CrossingValuesAreAlwaysErrors) {
  SlotPairs nested;
  EXPECT_THROW(locate("abcd", {{"x", "abc"}, {"y", "bcd"}}, &nested), TaggingError);
}

TEST(Tagging, SpansToTagsBioAndBioes) {
  const std::vector<Span> spans = {{0, 1, "a"}, {2, 5, "b"}};
  EXPECT_EQ(spans_to_tags(6, spans, TagScheme::kBio),
            (std::vector<std::string>{"B-a", "O", "B-b", "I-b", "I-b", "O"}));
  EXPECT_EQ(spans_to_tags(6, spans, TagScheme::kBioes),
            (std::vector<std::string>{"S-a", "O", "B-b", "I-b", "E-b", "O"}));
}

TEST(Tagging, TagsToSpansInvertsSpansToTags) {
  const std::vector<Span> spans = {{0, 1, "a"}, {1, 3, "a"}, {4, 6, "b"}};
  for (auto scheme : {TagScheme::kBio, TagScheme::kBioes})
    EXPECT_EQ(tags_to_spans(spans_to_tags(7, spans, scheme), scheme), spans);
}

TEST(Tagging, InvalidBioSequencesNameThePosition) {
  try {
    tags_to_spans({"O", "I-song"}, TagScheme::kBio);
    FAIL();
  } catch (const TaggingError& e) {
    EXPECT_STREQ(e.what(), "invalid tag 'I-song' at position 1 after 'O'");
  }
  EXPECT_THROW(tags_to_spans({"B-a", "I-b"}, TagScheme::kBio), TaggingError);
  EXPECT_THROW(tags_to_spans({"X-a"}, TagScheme::kBio), TaggingError);
  EXPECT_THROW(tags_to_spans({"B-"}, TagScheme::kBio), TaggingError);
  EXPECT_THROW(tags_to_spans({"S-a"}, TagScheme::kBio), TaggingError);  // BIOES tag under BIO
}

TEST(Tagging, InvalidBioesSequencesAreRejected) {
  EXPECT_THROW(tags_to_spans({"B-a", "O"}, TagScheme::kBioes), TaggingError);  // span never closed
  EXPECT_THROW(tags_to_spans({"O", "E-a"}, TagScheme::kBioes), TaggingError);
  EXPECT_THROW(tags_to_spans({"B-a", "E-b"}, TagScheme::kBioes), TaggingError);
  try {
    tags_to_spans({"O", "B-a"}, TagScheme::kBioes);
    FAIL();
  } catch (const TaggingError& e) {
    EXPECT_STREQ(e.what(), "tag sequence ends inside a span ('B-a' is the last tag)");
  }
  EXPECT_EQ(tags_to_spans({"S-a", "B-b", "E-b"}, TagScheme::kBioes),
            (std::vector<Span>{{0, 1, "a"}, {1, 3, "b"}}));
}

TEST(Tagging, DetectScheme) {
  EXPECT_EQ(detect_scheme({"O", "B-a", "I-a"}), TagScheme::kBio);
  EXPECT_EQ(detect_scheme({"O", "S-a"}), TagScheme::kBioes);
}

TEST(Tagging, CheckSpansRejectsBadSpans) {
  EXPECT_THROW(check_spans(3, {{0, 4, "a"}}), TaggingError);
  EXPECT_THROW(check_spans(3, {{1, 1, "a"}}), TaggingError);
  EXPECT_THROW(check_spans(5, {{0, 2, "a"}, {1, 3, "b"}}), TaggingError);
  EXPECT_NO_THROW(check_spans(5, {{0, 2, "a"}, {2, 3, "b"}}));
}

}  // namespace
}  // namespace jointnlu
