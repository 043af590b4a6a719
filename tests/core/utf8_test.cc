#include "core/utf8.h"

#include <gtest/gtest.h>

namespace jointnlu {
namespace {

TEST(Utf8, DecodesCodePointsWithByteOffsets) {
  auto d = decode_utf8("a播放é");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->chars, (std::vector<char32_t>{U'a', U'播', U'放', U'é'}));
  EXPECT_EQ(d->offsets, (std::vector<std::size_t>{0, 1, 4, 7, 9}));
}

TEST(Utf8, RejectsInvalidSequencesWithTheirByteOffset) {
  std::string error;
  EXPECT_FALSE(decode_utf8(std::string("ab\xff", 3), &error));
  EXPECT_EQ(error, "invalid UTF-8 at byte 2");
  EXPECT_FALSE(decode_utf8(std::string("\xe6\x92", 2), &error));  // truncated 3-byte sequence
  EXPECT_EQ(error, "invalid UTF-8 at byte 0");
  EXPECT_FALSE(decode_utf8(std::string("\xed\xa0\x80", 3), &error));  // UTF-16 surrogate
}

TEST(Utf8, EncodeIsTheInverseOfDecode) {
  const std::string text = "播放周杰伦的稻香 🎵 café";
  auto d = decode_utf8(text);
  ASSERT_TRUE(d);
  EXPECT_EQ(encode_utf8(std::u32string(d->chars.begin(), d->chars.end())), text);
}

TEST(Utf8, CheckTextNamesEachProblem) {
  EXPECT_FALSE(check_text("播放音乐", 512));
  EXPECT_EQ(*check_text("", 512), "empty text");
  EXPECT_EQ(*check_text(" \u3000 ", 512), "the text is only whitespace");  // ideographic space too
  EXPECT_FALSE(check_text(" 好 ", 512));
  EXPECT_EQ(*check_text("播放\t音乐", 512), "control character U+0009 at character 2");
  EXPECT_EQ(*check_text("播放音乐", 3), "text has 4 characters, more than the limit of 3");
  EXPECT_EQ(*check_text(std::string("\xc3", 1), 512), "invalid UTF-8 at byte 0");
}

TEST(Utf8, CharacterClasses) {
  EXPECT_TRUE(is_cjk(U'播'));
  EXPECT_FALSE(is_cjk(U'a'));
  EXPECT_TRUE(is_punctuation(U'，'));
  EXPECT_TRUE(is_punctuation(U'?'));
  EXPECT_FALSE(is_punctuation(U'播'));
  EXPECT_TRUE(is_whitespace(U'\u3000'));
  EXPECT_TRUE(is_control(U'\u0085'));
}

TEST(Utf8, AbbreviateCutsOnCharacterBoundaries) {
  EXPECT_EQ(abbreviate("播放周杰伦的稻香", 3), "播放周...");
  EXPECT_EQ(abbreviate("短", 3), "短");
}

}  // namespace
}  // namespace jointnlu
