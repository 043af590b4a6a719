#include <gtest/gtest.h>

#include "cli_runner.h"

namespace jointnlu {
namespace {

using testing::run_cli;
using testing::source_path;
using testing::TempDir;

TEST(Cli, HelpListsSubcommandsAndShowsDefaults) {
  auto r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"data", "eval", "demo"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  r = run_cli("data stats --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--max-chars"), std::string::npos);
  EXPECT_NE(r.out.find("512"), std::string::npos) << "defaults must be shown:\n" << r.out;
  EXPECT_NE(r.out.find("keep-outer"), std::string::npos);
}

TEST(Cli, UnknownSubcommandOrOptionFails) {
  EXPECT_NE(run_cli("frobnicate").exit_code, 0);
  EXPECT_NE(run_cli("eval --gold a.json --pred b.json --bogus").exit_code, 0);
  EXPECT_NE(run_cli("").exit_code, 0);
}

TEST(Cli, DataStatsOnDemoData) {
  auto r = run_cli("data stats " + source_path("data/demo/train.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("problems        0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("records         "), std::string::npos);
  r = run_cli("data stats --json " + source_path("data/demo/dev.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"records\""), std::string::npos);
}

TEST(Cli, DataStatsReportsEveryProblemAndFails) {
  TempDir dir;
  const auto path = dir.write("bad.json", R"([
 {"text": "播放音乐", "domain": "d", "intent": "i", "slots": {"song": "稻香"}},
 {"text": "播放稻香", "domain": "d", "intent": "i", "slots": {"song": "稻香"}},
 {"text": "", "domain": "d", "intent": "i", "slots": {}}
])");
  auto r = run_cli("data stats " + path);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("record 1 (line 2): slot 'song' value '稻香' does not occur"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("record 3 (line 4): text '': empty text"), std::string::npos) << r.out;
}

TEST(Cli, EvalOfGoldAgainstItselfIsPerfect) {
  const auto test = source_path("data/demo/test.json");
  auto r = run_cli("eval --gold " + test + " --pred " + test);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"domain_acc      100.00", "intent_acc      100.00",
                           "slot_f1         100.00", "sentence_acc    100.00"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
}

TEST(Cli, EvalReadsPredictionsFromStdinAsJsonLines) {
  TempDir dir;
  const auto gold = dir.write("gold.json", R"([
 {"text": "播放稻香", "domain": "music", "intent": "PLAY", "slots": {"song": "稻香"}},
 {"text": "今天天气", "domain": "weather", "intent": "QUERY", "slots": {"date": "今天"}}
])");
  const auto pred = dir.write(
      "pred.jsonl",
      "{\"text\": \"播放稻香\", \"domain\": \"music\", \"intent\": \"PLAY\", \"slots\": "
      "{\"song\": \"稻香\"}}\n"
      "{\"text\": \"今天天气\", \"domain\": \"weather\", \"intent\": \"QUERY\", \"slots\": {}}\n");
  auto r = run_cli("eval --json --gold " + gold + " --pred - < " + pred);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 2 utterances, both domains and intents right; 1 of 2 sentences; slots tp 1, pred 1, gold 2.
  EXPECT_NE(r.out.find("\"sentence_acc\": 0.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"domain_acc\": 1.0"), std::string::npos) << r.out;
}

TEST(Cli, BadInputGivesAClearErrorAndNonZeroExit) {
  TempDir dir;
  const auto bad = dir.write("bad.json", R"([{"text": "播放", "domain": "d", "slots": {}}])");
  auto r = run_cli("eval --gold " + bad + " --pred " + bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.json: record 1 (line 1): missing field 'intent'"), std::string::npos)
      << r.err;
  r = run_cli("eval --gold /no/such/file.json --pred /no/such/file.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/no/such/file.json"), std::string::npos) << r.err;
}

TEST(Cli, EvalRejectsMisalignedFiles) {
  const auto test = source_path("data/demo/test.json");
  const auto dev = source_path("data/demo/dev.json");
  auto r = run_cli("eval --gold " + test + " --pred " + dev);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("record 1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace jointnlu
