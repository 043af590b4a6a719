// The student runtime through the binary: export, predict and eval --model without the training
// plugin, and the C example program.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "student_fixture.h"

namespace jointnlu {
namespace {

using testing::run_cli;
using testing::source_path;
using testing::TempDir;

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

class RuntimeCli : public ::testing::Test {
 protected:
  void SetUp() override { files_ = testing::write_student(dir_.path()); }
  TempDir dir_;
  testing::StudentFiles files_;
};

TEST_F(RuntimeCli, ExportThenPredictFromDirectoryAndFilesAgree) {
  const std::string fp32 = dir_.path() + "/fp32.safetensors";
  const std::string int8 = dir_.path() + "/int8.safetensors";
  auto r = run_cli("export --model " + dir_.path() + " --out " + fp32);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("export --model " + dir_.path() + " --out " + int8 + " --int8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("int8 weights"), std::string::npos) << r.err;

  const std::string input =
      dir_.write("in.txt", "播放周杰伦的稻香\n\n{\"text\": \"明天北京天气怎么样\"}\n");
  const auto from_dir = run_cli("predict --model " + dir_.path() + " " + input);
  ASSERT_EQ(from_dir.exit_code, 0) << from_dir.err;
  const auto lines = json_lines(from_dir.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["text"], "明天北京天气怎么样");
  EXPECT_TRUE(lines[0].contains("domain") && lines[0].contains("scores")) << lines[0];
  const auto from_file = run_cli("predict --model " + fp32 + " - < " + input);
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, from_dir.out);
  const auto quantised = run_cli("predict --model " + int8 + " --threads 2 " + input);
  ASSERT_EQ(quantised.exit_code, 0) << quantised.err;
  EXPECT_EQ(json_lines(quantised.out).size(), 2u);

  // An SMP JSON array works too, and --out writes a file.
  const std::string out = dir_.path() + "/pred.jsonl";
  r = run_cli("predict --model " + fp32 + " --out " + out + " " +
              source_path("data/demo/dev.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(testing::CliResult{0, read_file(out), ""}.out).size(), 60u);
}

TEST_F(RuntimeCli, EvalScoresAStudent) {
  const auto r = run_cli("eval --json --model " + dir_.path() + " --data " +
                         source_path("data/demo/test.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.is_object()) << r.out;
}

TEST_F(RuntimeCli, PredictReportsBadInputAndBadModels) {
  auto r =
      run_cli("predict --model " + dir_.path() + " " + dir_.write("bad.txt", "ok\n{\"txt\": 1}\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("record 2 (line 2): a JSON line needs a string field \"text\""),
            std::string::npos)
      << r.err;
  r = run_cli("predict --model " + dir_.path() + "/model.safetensors " +
              dir_.write("ok.txt", "ok\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a model written by `jointnlu export`"), std::string::npos) << r.err;
}

#ifdef JOINTNLU_PARSE_EXAMPLE  // built with libjointnlu.so (JOINTNLU_BUILD_SHARED)
TEST_F(RuntimeCli, CExampleParses) {
  const std::string cmd = std::string(JOINTNLU_PARSE_EXAMPLE) + " " + dir_.path() +
                          " 播放周杰伦的稻香 明天北京天气怎么样";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  const auto lines = json_lines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["text"], "播放周杰伦的稻香");
  for (const auto& l : lines) {
    EXPECT_GE(files_.labels.domains().id(l["domain"].get<std::string>()), 0) << l;
    EXPECT_TRUE(l["slots"].is_array()) << l;
  }
  // A bad model: NULL context, the error on stderr, exit 1.
  EXPECT_NE(
      std::system((std::string(JOINTNLU_PARSE_EXAMPLE) + " /nonexistent x 2>/dev/null").c_str()),
      0);
}
#endif

}  // namespace
}  // namespace jointnlu
