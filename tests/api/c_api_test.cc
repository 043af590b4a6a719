// The C API of libjointnlu.so (this suite links the shared library, as an application does):
// statuses and messages, batch == single == the C++ API, the getters, out-of-range and NULL
// arguments, truncation, lexicon edits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jointnlu/jointnlu.h"
#include "jointnlu/jointnlu_c.h"
#include "student_fixture.h"

namespace jointnlu {
namespace {

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::StudentSpec spec;
    spec.max_length = 12;  // short, so that truncation is easy to reach
    files_ = testing::write_student(dir_.path(), spec);
    texts_.assign(files_.texts.begin(), files_.texts.begin() + 30);
    ASSERT_EQ(jointnlu_open(dir_.path().c_str(), jointnlu_default_params(), &ctx_), JOINTNLU_OK)
        << jointnlu_last_error();
  }
  void TearDown() override { jointnlu_close(ctx_); }

  std::vector<const char*> c_texts() const {
    std::vector<const char*> out;
    for (const auto& t : texts_) out.push_back(t.c_str());
    return out;
  }

  testing::TempDir dir_;
  testing::StudentFiles files_;
  std::vector<std::string> texts_;
  jointnlu_context* ctx_ = nullptr;
};

TEST_F(CApiTest, DefaultsAndVersion) {
  const jointnlu_params p = jointnlu_default_params();
  const ParserOptions defaults;
  EXPECT_EQ(p.threads, defaults.threads);
  EXPECT_EQ(p.max_chars, defaults.max_chars);
  EXPECT_EQ(p.lexicon_count, 0u);
  EXPECT_EQ(std::string(jointnlu_version()), std::to_string(JOINTNLU_VERSION_MAJOR) + "." +
                                                 std::to_string(JOINTNLU_VERSION_MINOR) + "." +
                                                 std::to_string(JOINTNLU_VERSION_PATCH));
  EXPECT_EQ(std::string(jointnlu_status_string(JOINTNLU_ERROR_INVALID_INPUT)), "invalid input");
  EXPECT_EQ(std::string(jointnlu_status_string(static_cast<jointnlu_status>(99))),
            "unknown status");
}

TEST_F(CApiTest, BatchGettersMatchTheCppApi) {
  jointnlu_params params = jointnlu_default_params();
  params.threads = 2;
  jointnlu_context* ctx = nullptr;
  ASSERT_EQ(jointnlu_open(dir_.path().c_str(), params, &ctx), JOINTNLU_OK);
  const auto texts = c_texts();
  jointnlu_result* r = nullptr;
  ASSERT_EQ(jointnlu_parse_batch(ctx, texts.data(), texts.size(), &r), JOINTNLU_OK)
      << jointnlu_last_error();
  EXPECT_STREQ(jointnlu_last_error(), "");
  const auto want = Parser::open(dir_.path()).parse_batch(texts_);
  ASSERT_EQ(jointnlu_result_count(r), want.size());
  std::size_t slots = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(jointnlu_result_text(r, i), want[i].text);
    EXPECT_EQ(jointnlu_result_domain(r, i), want[i].domain);
    EXPECT_EQ(jointnlu_result_intent(r, i), want[i].intent);
    EXPECT_EQ(jointnlu_result_domain_confidence(r, i), want[i].domain_confidence);
    EXPECT_EQ(jointnlu_result_intent_confidence(r, i), want[i].intent_confidence);
    EXPECT_EQ(jointnlu_result_truncated(r, i), want[i].truncated ? 1 : 0);
    ASSERT_EQ(jointnlu_result_slot_count(r, i), want[i].slots.size());
    for (std::size_t j = 0; j < want[i].slots.size(); ++j, ++slots) {
      const SlotResult& s = want[i].slots[j];
      EXPECT_EQ(jointnlu_result_slot_key(r, i, j), s.key);
      EXPECT_EQ(jointnlu_result_slot_value(r, i, j), s.value);
      EXPECT_EQ(jointnlu_result_slot_start(r, i, j), s.start);
      EXPECT_EQ(jointnlu_result_slot_end(r, i, j), s.end);
      EXPECT_EQ(jointnlu_result_slot_confidence(r, i, j), s.confidence);
    }
    char* json = nullptr;
    ASSERT_EQ(jointnlu_result_json(r, i, &json), JOINTNLU_OK);
    EXPECT_EQ(std::string(json), to_json(want[i]));
    jointnlu_free_string(json);
    // One at a time gives the same.
    jointnlu_result* one = nullptr;
    ASSERT_EQ(jointnlu_parse(ctx_, texts[i], &one), JOINTNLU_OK);
    ASSERT_EQ(jointnlu_result_count(one), 1u);
    char* single = nullptr;
    ASSERT_EQ(jointnlu_parse_json(ctx_, texts[i], &single), JOINTNLU_OK);
    EXPECT_EQ(std::string(single), to_json(want[i]));
    jointnlu_free_string(single);
    EXPECT_EQ(jointnlu_result_domain_confidence(one, 0), want[i].domain_confidence);
    jointnlu_result_free(one);
  }
  EXPECT_GT(slots, 0u) << "random weights gave no slot: the slot getters went untested";
  jointnlu_result_free(r);
  jointnlu_close(ctx);
}

TEST_F(CApiTest, OutOfRangeGettersAreDefined) {
  jointnlu_result* r = nullptr;
  ASSERT_EQ(jointnlu_parse(ctx_, texts_[0].c_str(), &r), JOINTNLU_OK);
  const std::size_t n = jointnlu_result_slot_count(r, 0);
  EXPECT_EQ(jointnlu_result_domain(r, 1), nullptr);
  EXPECT_EQ(jointnlu_result_text(r, 5), nullptr);
  EXPECT_EQ(jointnlu_result_domain_confidence(r, 1), -1.0);
  EXPECT_EQ(jointnlu_result_truncated(r, 1), -1);
  EXPECT_EQ(jointnlu_result_slot_count(r, 1), 0u);
  EXPECT_EQ(jointnlu_result_slot_key(r, 0, n), nullptr);
  EXPECT_EQ(jointnlu_result_slot_value(r, 1, 0), nullptr);
  EXPECT_EQ(jointnlu_result_slot_start(r, 0, n), 0u);
  EXPECT_EQ(jointnlu_result_slot_confidence(r, 0, n), -1.0);
  char* json = reinterpret_cast<char*>(1);
  EXPECT_EQ(jointnlu_result_json(r, 1, &json), JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(json, nullptr);
  EXPECT_NE(std::string(jointnlu_last_error()).find("out of range"), std::string::npos);
  jointnlu_result_free(r);
  EXPECT_EQ(jointnlu_result_count(nullptr), 0u);
  EXPECT_EQ(jointnlu_result_domain(nullptr, 0), nullptr);
  jointnlu_result_free(nullptr);
}

TEST_F(CApiTest, StatusesAndMessages) {
  jointnlu_context* ctx = reinterpret_cast<jointnlu_context*>(1);
  EXPECT_EQ(
      jointnlu_open((dir_.path() + "/nope.safetensors").c_str(), jointnlu_default_params(), &ctx),
      JOINTNLU_ERROR_INVALID_MODEL);
  EXPECT_EQ(ctx, nullptr);  // cleared on failure
  EXPECT_NE(std::string(jointnlu_last_error()).find("nope.safetensors"), std::string::npos)
      << jointnlu_last_error();
  EXPECT_EQ(jointnlu_open(nullptr, jointnlu_default_params(), &ctx),
            JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(jointnlu_open(dir_.path().c_str(), jointnlu_default_params(), nullptr),
            JOINTNLU_ERROR_INVALID_ARGUMENT);
  jointnlu_params bad = jointnlu_default_params();
  bad.threads = -1;
  EXPECT_EQ(jointnlu_open(dir_.path().c_str(), bad, &ctx), JOINTNLU_ERROR_INVALID_ARGUMENT);
  bad = jointnlu_default_params();
  bad.lexicon_count = 1;  // lexicons NULL
  EXPECT_EQ(jointnlu_open(dir_.path().c_str(), bad, &ctx), JOINTNLU_ERROR_INVALID_ARGUMENT);
  // A lexicon file for a model that reads none.
  const char* lexicons[] = {"contact=/nonexistent.txt"};
  jointnlu_params with_lexicon = jointnlu_default_params();
  with_lexicon.lexicons = lexicons;
  with_lexicon.lexicon_count = 1;
  EXPECT_NE(jointnlu_open(dir_.path().c_str(), with_lexicon, &ctx), JOINTNLU_OK);
  EXPECT_EQ(ctx, nullptr);

  jointnlu_result* r = nullptr;
  const auto expect_input_error = [&](const char* text, const char* words) {
    EXPECT_EQ(jointnlu_parse(ctx_, text, &r), JOINTNLU_ERROR_INVALID_INPUT) << text;
    EXPECT_EQ(r, nullptr);
    EXPECT_NE(std::string(jointnlu_last_error()).find(words), std::string::npos)
        << jointnlu_last_error();
  };
  expect_input_error("", "empty");
  expect_input_error("\xff\xfe", "UTF-8");
  expect_input_error(std::string(600, 'a').c_str(), "512");
  EXPECT_EQ(jointnlu_parse(ctx_, nullptr, &r), JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(jointnlu_parse(nullptr, "x", &r), JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(jointnlu_parse(ctx_, "x", nullptr), JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jointnlu_last_error()).find("jointnlu_parse"), std::string::npos);

  // A batch fails as a whole, naming the text.
  const char* batch[] = {"好的", "", "谢谢"};
  EXPECT_EQ(jointnlu_parse_batch(ctx_, batch, 3, &r), JOINTNLU_ERROR_INVALID_INPUT);
  EXPECT_NE(std::string(jointnlu_last_error()).find("text 1"), std::string::npos)
      << jointnlu_last_error();
  const char* with_null[] = {"好的", nullptr};
  EXPECT_EQ(jointnlu_parse_batch(ctx_, with_null, 2, &r), JOINTNLU_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jointnlu_last_error()).find("texts[1]"), std::string::npos);
  EXPECT_EQ(jointnlu_parse_batch(ctx_, nullptr, 0, &r), JOINTNLU_OK);
  EXPECT_EQ(jointnlu_result_count(r), 0u);
  jointnlu_result_free(r);
  // Success clears the message.
  ASSERT_EQ(jointnlu_parse(ctx_, "好的", &r), JOINTNLU_OK);
  EXPECT_STREQ(jointnlu_last_error(), "");
  jointnlu_result_free(r);
}

TEST_F(CApiTest, LongTextsAreTruncatedAndFlagged) {
  // max_length 12: [CLS] + 10 tokens + [SEP]; one token per Chinese character.
  const std::string long_text = "播放周杰伦的稻香播放周杰伦的稻香";
  jointnlu_result* r = nullptr;
  ASSERT_EQ(jointnlu_parse(ctx_, long_text.c_str(), &r), JOINTNLU_OK) << jointnlu_last_error();
  EXPECT_EQ(jointnlu_result_truncated(r, 0), 1);
  for (std::size_t j = 0; j < jointnlu_result_slot_count(r, 0); ++j)
    EXPECT_LE(jointnlu_result_slot_end(r, 0, j), 10u);
  jointnlu_result_free(r);
  ASSERT_EQ(jointnlu_parse(ctx_, "播放周杰伦的稻香", &r), JOINTNLU_OK);
  EXPECT_EQ(jointnlu_result_truncated(r, 0), 0);
  jointnlu_result_free(r);
  char* json = nullptr;
  ASSERT_EQ(jointnlu_parse_json(ctx_, long_text.c_str(), &json), JOINTNLU_OK);
  EXPECT_NE(std::string(json).find("\"truncated\":true"), std::string::npos) << json;
  jointnlu_free_string(json);
}

TEST_F(CApiTest, LexiconEditsAndInfo) {
  // This model reads no lexicon: edits are refused with a message, nothing crashes.
  EXPECT_EQ(jointnlu_lexicon_add(ctx_, "contact", "林晓峰"), JOINTNLU_ERROR_INVALID_INPUT);
  EXPECT_NE(std::string(jointnlu_last_error()).find("without a lexicon"), std::string::npos);
  int removed = 7;
  EXPECT_EQ(jointnlu_lexicon_remove(ctx_, "contact", "林晓峰", &removed),
            JOINTNLU_ERROR_INVALID_INPUT);
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(jointnlu_lexicon_add(ctx_, nullptr, "x"), JOINTNLU_ERROR_INVALID_ARGUMENT);
  char* info = nullptr;
  ASSERT_EQ(jointnlu_model_info_json(ctx_, &info), JOINTNLU_OK);
  EXPECT_NE(std::string(info).find("\"max_length\":12"), std::string::npos) << info;
  jointnlu_free_string(info);
}

TEST(CppApiTest, ErrorIsCaughtAcrossTheLibrary) {
  // Error's type information lives in the library: an application catches it by type.
  try {
    Parser::open("/nonexistent/model.safetensors");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace jointnlu
