// `jointnlu report RUN`: report.md and the gnuplot PNGs from a pipeline run directory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "cli_runner.h"

namespace jointnlu {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::source_path;
using testing::TempDir;

constexpr const char* kCsvHeader =
    "epoch,step,lr,train_loss,domain_loss,intent_loss,slot_loss,dev_domain_acc,dev_intent_acc,"
    "dev_slot_f1,dev_sentence_acc,epoch_seconds,best\n";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A complete run: config, both training logs (the student's without a dev set), two evaluations
// made by `jointnlu eval --json`, and a benchmark.
void write_full_run(const TempDir& dir) {
  fs::create_directories(dir.file("teacher"));
  fs::create_directories(dir.file("student"));
  fs::create_directories(dir.file("eval"));
  dir.write("config.json", R"({"teacher": {"size": "tiny", "epochs": 3}, "seed": 42})");
  dir.write("teacher/training.csv", std::string(kCsvHeader) +
                                        "1,10,0.0001,2.5,0.5,0.8,1.2,0.8,0.7,0.6,0.5,12.5,1\n"
                                        "2,20,0.0001,1.2,0.2,0.4,0.6,0.9,0.8,0.7,0.65,12.1,1\n"
                                        "3,30,5e-05,0.9,0.1,0.3,0.5,0.9,0.8,0.69,0.6,12.3,0\n");
  dir.write("student/training.csv", std::string(kCsvHeader) +
                                        "1,10,0.001,3.1,1,1,1.1,,,,,1.5,1\n"
                                        "2,20,0.001,2.2,0.7,0.7,0.8,,,,,1.4,1\n");
  const auto test = source_path("data/demo/test.json");
  auto r = run_cli("eval --json --gold " + test + " --pred " + test + " > " +
                   dir.file("eval/teacher.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 2 utterances, domains and intents right, one of the two gold slots found: slot F1 2/3.
  const auto gold = dir.write("gold.json", R"([
 {"text": "播放稻香", "domain": "music", "intent": "PLAY", "slots": {"song": "稻香"}},
 {"text": "今天天气", "domain": "weather", "intent": "QUERY", "slots": {"date": "今天"}}
])");
  const auto pred = dir.write("pred.json", R"([
 {"text": "播放稻香", "domain": "music", "intent": "PLAY", "slots": {"song": "稻香"}},
 {"text": "今天天气", "domain": "weather", "intent": "QUERY", "slots": {}}
])");
  r = run_cli("eval --json --gold " + gold + " --pred " + pred + " > " +
              dir.file("eval/student.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  dir.write("bench.json", R"json({"data": "test.json", "utterances": 60, "mean_chars": 8.5,
    "models": [
      {"name": "teacher (libtorch)", "p50_us": 5200.3, "p99_us": 9100, "mean_us": 5600.1,
       "throughput_per_s": 178.5, "threads": 1},
      {"name": "student int8", "p50_us": 61.7, "p99_us": 120.9, "mean_us": 66,
       "throughput_per_s": 15100, "threads": 1}],
    "ratios": {"teacher / student int8 (p50)": 84.28}, "floor_us": 12.3})json");
}

std::vector<std::string> image_links(const std::string& markdown) {
  std::vector<std::string> links;
  const std::regex image(R"(!\[[^\]]*\]\(([^)]+)\))");
  for (auto it = std::sregex_iterator(markdown.begin(), markdown.end(), image);
       it != std::sregex_iterator(); ++it)
    links.push_back((*it)[1]);
  return links;
}

TEST(Report, FullRunGivesTablesAndPlots) {
  TempDir dir;
  write_full_run(dir);
  const auto r = run_cli("report " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, dir.file("report.md"))) << r.out;
  const std::string md = slurp(dir.file("report.md"));

  EXPECT_TRUE(contains(md, "| teacher | 60 | 100.00 | 100.00 | 100.00 | 100.00 |")) << md;
  EXPECT_TRUE(contains(md, "| student | 2 | 100.00 | 100.00 | 66.67 | 50.00 |")) << md;
  // The teacher comes first in the table.
  EXPECT_LT(md.find("| teacher | 60"), md.find("| student | 2"));
  EXPECT_TRUE(contains(md, "| teacher (libtorch) | 5200.3 | 9100.0 | 5600.1 | 178 | 1 |")) << md;
  EXPECT_TRUE(contains(md, "| student int8 | 61.7 | 120.9 | 66.0 | 15100 | 1 |")) << md;
  EXPECT_TRUE(contains(md, "| teacher / student int8 (p50) | 84.28x |")) << md;
  // Training summary: the teacher's best epoch is the last one marked best.
  EXPECT_TRUE(contains(md, "| teacher | 3 | 2 | 65.00 | 0.9000 |")) << md;
  EXPECT_TRUE(contains(md, "| student | 2 | 2 | - | 2.2000 |")) << md;
  EXPECT_TRUE(contains(md, "<summary>config.json</summary>")) << md;
  EXPECT_TRUE(contains(md, "\"seed\": 42")) << md;
  EXPECT_FALSE(contains(md, "## Missing")) << md;
  EXPECT_FALSE(contains(md, "## Warnings")) << md;

  const auto links = image_links(md);
  for (const char* expected : {"plots/training-teacher.png", "plots/training-student.png",
                               "plots/slot-f1.png", "plots/confusion-domain-teacher.png",
                               "plots/confusion-domain-student.png", "plots/latency.png"})
    EXPECT_NE(std::find(links.begin(), links.end(), expected), links.end()) << expected << "\n"
                                                                            << md;
  for (const auto& link : links) {
    const std::string png = slurp(dir.file(link));
    EXPECT_GT(png.size(), 1024u) << link;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << link;
  }
}

TEST(Report, RunWithOnlyConfigListsWhatIsMissing) {
  TempDir dir;
  dir.write("config.json", R"({"note": "nothing ran yet"})");
  const auto r = run_cli("report " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = slurp(dir.file("report.md"));
  EXPECT_TRUE(contains(md, "## Missing")) << md;
  for (const char* missing :
       {"`teacher/training.csv`", "`student/training.csv`", "`eval/*.json`", "`bench.json`"})
    EXPECT_TRUE(contains(md, missing)) << missing << "\n" << md;
  EXPECT_FALSE(contains(md, "`config.json`")) << md;
  EXPECT_TRUE(contains(md, "nothing ran yet")) << md;
  EXPECT_TRUE(image_links(md).empty()) << md;
}

TEST(Report, NonExistentDirectoryFailsNamingIt) {
  TempDir dir;
  const auto missing = dir.file("no-such-run");
  const auto r = run_cli("report " + missing);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, missing)) << r.err;
  EXPECT_FALSE(fs::exists(missing));
}

TEST(Report, MalformedEvalJsonFailsNamingTheFile) {
  TempDir dir;
  fs::create_directories(dir.file("eval"));
  const auto bad = dir.write("eval/student.json", "{\"utterances\": 3, \"domain_acc\": ");
  auto r = run_cli("report " + dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, bad)) << r.err;
  EXPECT_TRUE(contains(r.err, "not valid JSON")) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("report.md")));

  // Valid JSON, but not what `eval --json` writes: the missing key is named.
  dir.write("eval/student.json", R"({"utterances": 3, "domain_acc": 0.5})");
  r = run_cli("report " + dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, bad)) << r.err;
  EXPECT_TRUE(contains(r.err, "intent_acc")) << r.err;
}

TEST(Report, MalformedTrainingCsvFailsNamingFileAndLine) {
  TempDir dir;
  fs::create_directories(dir.file("student"));
  const auto csv = dir.write("student/training.csv", std::string(kCsvHeader) +
                                                         "1,10,0.001,3.1,1,1,1,,,,,1.5,1\n" +
                                                         "2,20,0.001,lots,1,1,1,,,,,1.5,1\n");
  const auto r = run_cli("report " + dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, csv + ": line 3")) << r.err;
  EXPECT_TRUE(contains(r.err, "train_loss")) << r.err;
}

TEST(Report, WithoutGnuplotTheReportIsWrittenWithoutImages) {
  TempDir dir;
  write_full_run(dir);
  // popen runs /bin/sh by its absolute path and the binary is named by its path: only the
  // gnuplot lookup sees the empty PATH.
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", dir.path().c_str(), 1);
  const auto r = run_cli("report " + dir.path());
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "gnuplot-nox")) << r.err;
  const std::string md = slurp(dir.file("report.md"));
  EXPECT_TRUE(contains(md, "## Warnings")) << md;
  EXPECT_TRUE(contains(md, "gnuplot-nox")) << md;
  EXPECT_TRUE(image_links(md).empty()) << md;
  EXPECT_TRUE(contains(md, "| student | 2 | 100.00 | 100.00 | 66.67 | 50.00 |")) << md;
}

}  // namespace
}  // namespace jointnlu
