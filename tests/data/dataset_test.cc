#include "data/dataset.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/tagging.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

// The error message of reading `content` as the given file name, or "" if it reads fine.
std::string read_error(const std::string& name, const std::string& content,
                       ReadOptions options = {}) {
  TempDir dir;
  const auto path = dir.write(name, content);
  try {
    read_examples(path, options);
  } catch (const DataError& e) {
    std::string msg = e.what();
    // Strip the temp directory so expectations stay readable.
    if (auto pos = msg.find(name); pos != std::string::npos) msg = msg.substr(pos);
    return msg;
  }
  return "";
}

const char* kGood = R"([
 {"text": "播放周杰伦的稻香", "domain": "music", "intent": "PLAY", "slots": {"artist": "周杰伦", "song": "稻香"}},
 {"text": "北京和上海的天气", "domain": "weather", "intent": "QUERY", "slots": {"city": ["北京", "上海"]}}
])";

TEST(SmpJson, ReadsRecordsAndListValuedSlots) {
  TempDir dir;
  ReadReport report;
  auto examples = read_examples(dir.write("a.json", kGood), {}, &report);
  EXPECT_EQ(report.format, DataFormat::kSmpJson);
  EXPECT_EQ(report.records, 2u);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].domain, "music");
  EXPECT_EQ(examples[0].slots(), (SlotPairs{{"artist", "周杰伦"}, {"song", "稻香"}}));
  EXPECT_EQ(examples[1].spans, (std::vector<Span>{{0, 2, "city"}, {3, 5, "city"}}));
  EXPECT_EQ(examples[1].where.record, 2u);
  EXPECT_EQ(examples[1].where.line, 3u);
}

TEST(SmpJson, MalformedJsonNamesRecordAndLine) {
  const std::string bad =
      "[\n {\"text\": \"a\", \"domain\": \"d\", \"intent\": \"i\", \"slots\": {}},\n"
      " {\"text\": \"b\", \"domain\": \"d\" \"intent\": \"i\", \"slots\": {}}\n]";
  const auto msg = read_error("bad.json", bad);
  EXPECT_NE(msg.find("bad.json: record 2 (line 3): malformed JSON"), std::string::npos) << msg;
}

TEST(SmpJson, MissingFieldNamesRecord) {
  EXPECT_EQ(read_error("m.json", R"([{"text": "a", "domain": "d", "slots": {}}])"),
            "m.json: record 1 (line 1): missing field 'intent'");
  EXPECT_EQ(read_error("m.json", R"([{"domain": "d", "intent": "i", "slots": {}}])"),
            "m.json: record 1 (line 1): missing field 'text'");
  EXPECT_EQ(read_error("m.json", R"([{"text": "a", "domain": "d", "intent": "i"}])"),
            "m.json: record 1 (line 1): missing field 'slots'");
}

TEST(SmpJson, WronglyTypedFieldsNameRecord) {
  EXPECT_EQ(read_error("t.json", R"([{"text": 3, "domain": "d", "intent": "i", "slots": {}}])"),
            "t.json: record 1 (line 1): field 'text' must be a string, not number");
  EXPECT_EQ(read_error("t.json", R"([{"text": "a", "domain": "d", "intent": "i", "slots": []}])"),
            "t.json: record 1 (line 1): field 'slots' must be an object, not array");
  EXPECT_EQ(
      read_error("t.json", R"([{"text": "a", "domain": "d", "intent": "i", "slots": {"k": 1}}])"),
      "t.json: record 1 (line 1): slot 'k' must be a string or a list of strings, found number");
  EXPECT_EQ(
      read_error("t.json", R"([{"text": "a", "domain": "d", "intent": "i", "slots": {"k": [1]}}])"),
      "t.json: record 1 (line 1): slot 'k' must be a string or a list of strings, found number");
  // A lone object is read as JSON Lines: one record, here incomplete.
  EXPECT_EQ(read_error("t.json", R"({"text": "a"})"),
            "t.json: record 1 (line 1): missing field 'domain'");
  EXPECT_EQ(read_error("t.json", R"("hello")"),
            "t.json: line 1: expected a JSON array of records, found string");
  EXPECT_EQ(read_error("t.json", R"([1])"),
            "t.json: record 1 (line 1): expected an object, found number");
}

TEST(SmpJson, InvalidUtf8NamesRecord) {
  const std::string bad =
      "[{\"text\": \"ab\xff\", \"domain\": \"d\", \"intent\": \"i\", \"slots\": {}}]";
  const auto msg = read_error("u.json", bad);
  // nlohmann rejects invalid UTF-8 inside strings while parsing: either way the record is named.
  EXPECT_NE(msg.find("u.json: record 1 (line 1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;
}

TEST(SmpJson, EmptyTextNamesRecord) {
  EXPECT_EQ(read_error("e.json", R"([{"text": "", "domain": "d", "intent": "i", "slots": {}}])"),
            "e.json: record 1 (line 1): text '': empty text");
}

TEST(SmpJson, TooLongTextNamesRecordAndTheLimitIsConfigurable) {
  const std::string rec = R"([{"text": "一二三四五", "domain": "d", "intent": "i", "slots": {}}])";
  ReadOptions options;
  options.max_chars = 4;
  EXPECT_EQ(read_error("l.json", rec, options),
            "l.json: record 1 (line 1): text '一二三四五': text has 5 characters, more than the "
            "limit of 4");
  EXPECT_EQ(read_error("l.json", rec), "");
  // The default limit is 512 characters.
  std::string long_text(513, 'a');
  EXPECT_NE(read_error("l.json", R"([{"text": ")" + long_text +
                                     R"(", "domain": "d", "intent": "i", "slots": {}}])")
                .find("more than the limit of 512"),
            std::string::npos);
}

TEST(SmpJson, ControlCharacterNamesRecord) {
  EXPECT_EQ(
      read_error("c.json",
                 R"([{"text": "播放\u0007音乐", "domain": "d", "intent": "i", "slots": {}}])"),
      "c.json: record 1 (line 1): text '播放\a音乐': control character U+0007 at character 2");
}

TEST(SmpJson, UnlocatableValueNamesRecordAndValue) {
  EXPECT_EQ(
      read_error(
          "v.json",
          R"([{"text": "播放音乐", "domain": "d", "intent": "i", "slots": {"song": "稻香"}}])"),
      "v.json: record 1 (line 1): slot 'song' value '稻香' does not occur in the text "
      "('播放音乐')");
}

TEST(SmpJson, SkipPolicyReportsEveryBadRecordAndKeepsTheRest) {
  TempDir dir;
  const auto path = dir.write("s.json", R"([
 {"text": "播放音乐", "domain": "d", "intent": "i", "slots": {"song": "稻香"}},
 {"text": "播放稻香", "domain": "d", "intent": "i", "slots": {"song": "稻香"}},
 {"text": "", "domain": "d", "intent": "i", "slots": {}}
])");
  ReadOptions options;
  options.on_error = OnError::kSkip;
  ReadReport report;
  auto examples = read_examples(path, options, &report);
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].text, "播放稻香");
  EXPECT_EQ(report.records, 3u);
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_EQ(report.skipped[0].where().record,
            3u);  // parse errors come first, alignment errors after
  EXPECT_EQ(report.skipped[1].where().record, 1u);
  EXPECT_THROW(read_examples(path), DataError);  // the default rejects
}

TEST(SmpJson, NestedValuesAreKeptAndListedOrRejected) {
  const std::string rec =
      R"([{"text": "本省农村广播", "domain": "radio", "intent": "LAUNCH", "slots": {"category": "农村", "name": "本省农村广播"}}])";
  TempDir dir;
  auto examples = read_examples(dir.write("n.json", rec));
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].slots(), (SlotPairs{{"name", "本省农村广播"}}));
  EXPECT_EQ(examples[0].nested, (SlotPairs{{"category", "农村"}}));
  ReadOptions reject;
  reject.nested = NestedSlots::kReject;
  EXPECT_NE(read_error("n.json", rec, reject).find("n.json: record 1 (line 1): slot 'name'"),
            std::string::npos);
}

TEST(JsonLines, ReadsOneRecordPerLineAndIgnoresExtraFields) {
  TempDir dir;
  const auto path = dir.write(
      "p.jsonl",
      "{\"text\": \"播放稻香\", \"domain\": \"music\", \"intent\": \"PLAY\", \"slots\": "
      "{\"song\": \"稻香\"}, \"scores\": {\"domain\": 0.9}}\n\n"
      "{\"text\": \"你好\", \"domain\": \"chat\", \"intent\": \"CHAT\", \"slots\": {}}\n");
  ReadReport report;
  auto examples = read_examples(path, {}, &report);
  EXPECT_EQ(report.format, DataFormat::kJsonLines);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[1].where.record, 2u);
  EXPECT_EQ(examples[1].where.line, 3u);  // the blank line is skipped but counted
}

TEST(JsonLines, MalformedLineNamesRecordAndLine) {
  const auto msg = read_error(
      "p.jsonl", "{\"text\": \"a\", \"domain\": \"d\", \"intent\": \"i\", \"slots\": {}}\n{oops\n");
  EXPECT_NE(msg.find("p.jsonl: record 2 (line 2): malformed JSON"), std::string::npos) << msg;
}

TEST(JsonLines, WriterOutputReadsBackIdentically) {
  TempDir dir;
  auto records = read_records(dir.write("a.json", kGood));
  std::ostringstream jsonl, smp;
  write_jsonl(jsonl, records);
  write_smp_json(smp, records);
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"b.jsonl", jsonl.str()}, {"b.json", smp.str()}}) {
    auto back = read_records(dir.write(name, content));
    ASSERT_EQ(back.size(), records.size()) << name;
    for (std::size_t i = 0; i < back.size(); ++i) {
      EXPECT_EQ(back[i].text, records[i].text);
      EXPECT_EQ(back[i].slots, records[i].slots) << name << " record " << i;
    }
  }
  // A key with several values is written as a list.
  EXPECT_NE(jsonl.str().find(R"("city":["北京","上海"])"), std::string::npos) << jsonl.str();
}

TEST(Conll, ReadsBioesTagsAndParallelIntents) {
  TempDir dir;
  dir.write("c.txt.intent", "PlayMusic\nWeather\n");
  const auto path = dir.write("c.txt",
                              "我 O\n要 O\n听 O\n吴 B-singer\n雨 I-singer\n霏 E-singer\n\n"
                              "t B-city\nf E-city\n天 O\n气 S-x\n");
  ReadReport report;
  auto examples = read_examples(path, {}, &report);
  EXPECT_EQ(report.format, DataFormat::kConll);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].text, "我要听吴雨霏");
  EXPECT_EQ(examples[0].domain, "default");
  EXPECT_EQ(examples[0].intent, "PlayMusic");
  EXPECT_EQ(examples[0].slots(), (SlotPairs{{"singer", "吴雨霏"}}));
  EXPECT_EQ(examples[1].slots(), (SlotPairs{{"city", "tf"}, {"x", "气"}}));
  EXPECT_EQ(examples[1].where.line, 8u);
}

TEST(Conll, ReadsBioTags) {
  TempDir dir;
  dir.write("b.txt.intent", "A\n");
  auto examples = read_examples(dir.write("b.txt", "a B-k\nb I-k\nc O\nd B-k\n"));
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].spans, (std::vector<Span>{{0, 2, "k"}, {3, 4, "k"}}));
}

TEST(Conll, InvalidTagSequenceNamesRecord) {
  TempDir dir;
  dir.write("x.txt.intent", "A\nB\n");
  const auto path = dir.write("x.txt", "a O\n\nb O\nc I-k\n");
  try {
    read_examples(path);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.where().record, 2u);
    EXPECT_EQ(e.where().line, 3u);
    EXPECT_EQ(e.reason(), "invalid tag 'I-k' at position 1 after 'O' in 'bc'");
  }
}

TEST(Conll, MalformedLineAndIntentCountMismatch) {
  TempDir dir;
  dir.write("y.txt.intent", "A\n");
  try {
    read_examples(dir.write("y.txt", "a O\nbroken\n"));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.where().record, 1u);
    EXPECT_EQ(e.where().line, 2u);
    EXPECT_EQ(e.reason(), "expected 'token TAG', found 'broken'");
  }
  dir.write("z.txt.intent", "A\nB\n");
  try {
    read_examples(dir.write("z.txt", "a O\n"));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("2 intents for 1 utterances"), std::string::npos)
        << e.what();
  }
  try {
    read_examples(dir.write("w.txt", "a O\n"));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("w.txt.intent"), std::string::npos) << e.what();
  }
}

TEST(Formats, DetectionAndNames) {
  EXPECT_EQ(detect_format("x.json", " [ {}]"), DataFormat::kSmpJson);
  EXPECT_EQ(detect_format("x.txt", "{\"a\":1}\n"), DataFormat::kJsonLines);
  EXPECT_EQ(detect_format("x.jsonl", "[1]"), DataFormat::kJsonLines);
  EXPECT_EQ(detect_format("ch.train", "我 O\n"), DataFormat::kConll);
  EXPECT_EQ(parse_format("conll"), DataFormat::kConll);
  EXPECT_THROW(parse_format("xml"), std::invalid_argument);
}

TEST(Formats, MissingFileIsADataErrorNamingIt) {
  try {
    read_records("/nonexistent/dir/file.json");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace jointnlu
