// `jointnlu pretrain` end to end on a tiny generated corpus: output layout, --resume, SIGTERM, bad
// input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.h"

namespace jointnlu {
namespace {

#ifdef JOINTNLU_WITH_TRAINING

using testing::run_cli;
using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Distinct short lines over a few words; `bad_line` (1-based, 0: none) is replaced by invalid
// UTF-8.
std::string corpus_text(int lines, int bad_line = 0) {
  const char* words[] = {"今天", "天气", "很好", "我们", "出去",
                         "玩吧", "明天", "下雨", "在家", "看书"};
  std::string text;
  std::uint32_t x = 7;
  for (int i = 1; i <= lines; ++i) {
    if (i == bad_line) {
      text += "坏\xff\xfe行\n";
      continue;
    }
    for (int j = 0; j < 3 + i % 5; ++j) {
      x = x * 1664525u + 1013904223u;
      text += words[(x >> 16) % 10];
    }
    text += "\n";
  }
  return text;
}

struct Fixture {
  TempDir dir;
  std::string corpus = dir.write("corpus.txt", corpus_text(600));
  std::string train = dir.write(
      "train.json", R"([{"text": "打开空调", "domain": "app", "intent": "LAUNCH", "slots": {}}])");
  std::string out = dir.path() + "/run";
  std::string common() const {
    return "pretrain --corpus " + corpus + " --train " + train + " --out " + out +
           " --batch-size 4 --max-length 16 --threads 1 --warmup 1 --checkpoint-minutes 60";
  }
};

// Starts `args` (a jointnlu command line) in the background, sends SIGTERM once it is training (its
// progress line is on stderr), and waits for it. Returns the wait status; stderr goes to err_path.
int run_then_sigterm(const std::string& args, const std::string& err_path) {
  const std::string cmd =
      std::string("exec ") + JOINTNLU_BINARY + " " + args + " > /dev/null 2> " + err_path;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (slurp(err_path).find("steps |") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid ? status : -1;
}

TEST(PretrainCli, WritesCheckpointAndResumesFromTheSavedStep) {
  Fixture f;
  auto r = run_cli(f.common() + " --build-vocab --steps 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors", "optimizer.safetensors",
                           "trainer_state.json", "curve.csv"})
    EXPECT_TRUE(std::filesystem::exists(f.out + "/" + file)) << file;
  const auto config = nlohmann::json::parse(slurp(f.out + "/config.json"));
  EXPECT_EQ(config.at("model_type"), "albert");
  const std::string vocab = slurp(f.out + "/vocab.txt");
  EXPECT_EQ(vocab.rfind("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", 0), 0u);
  EXPECT_NE(vocab.find("\n空\n"), std::string::npos)
      << "--train characters must be in the vocabulary";
  EXPECT_EQ(nlohmann::json::parse(r.out).at("step"), 3);

  r = run_cli(f.common() + " --resume --steps 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("at step 3 of 5"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("step"), 5);
  EXPECT_EQ(nlohmann::json::parse(slurp(f.out + "/trainer_state.json")).at("step"), 5);

  // A fresh run over an existing one is refused.
  r = run_cli(f.common() + " --build-vocab --steps 3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already holds a pretraining run: resume it"), std::string::npos) << r.err;
}

TEST(PretrainCli, SigtermSavesACheckpointAndExitsZero) {
  Fixture f;
  const std::string err_path = f.dir.path() + "/stderr";
  const int status = run_then_sigterm(f.common() + " --build-vocab --steps 1000000", err_path);
  ASSERT_NE(status, -1);
  const std::string err = slurp(err_path);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_NE(err.find("stopped by signal 15"), std::string::npos) << err;
  const auto state = nlohmann::json::parse(slurp(f.out + "/trainer_state.json"));
  EXPECT_GE(state.at("step").get<int>(), 1);
  EXPECT_LT(state.at("step").get<int>(), 1000000);
}

// Long runs go in pieces: a run stopped by SIGTERM and resumed ends exactly where an uninterrupted
// one does (same weights, same data position), and its curve goes on in the same file.
TEST(PretrainCli, ResumeAfterSigtermMatchesAnUninterruptedRun) {
  Fixture f;
  constexpr int kSteps = 120;
  const std::string straight = f.dir.path() + "/straight";
  std::string straight_args = f.common();
  straight_args.replace(straight_args.find(f.out), f.out.size(), straight);
  auto r = run_cli(straight_args + " --build-vocab --steps " + std::to_string(kSteps));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string err_path = f.dir.path() + "/stderr";
  const int status =
      run_then_sigterm(f.common() + " --build-vocab --steps " + std::to_string(kSteps), err_path);
  ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(err_path);
  const auto stopped_at =
      nlohmann::json::parse(slurp(f.out + "/trainer_state.json")).at("step").get<int>();
  if (stopped_at >= kSteps) GTEST_SKIP() << "the run finished before the signal arrived";

  r = run_cli(f.common() + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = nlohmann::json::parse(slurp(f.out + "/trainer_state.json"));
  const auto b = nlohmann::json::parse(slurp(straight + "/trainer_state.json"));
  EXPECT_EQ(a.at("step"), kSteps);
  EXPECT_EQ(a.at("tokens_seen"), b.at("tokens_seen"));
  EXPECT_TRUE(slurp(f.out + "/model.safetensors") == slurp(straight + "/model.safetensors"))
      << "stopped at step " << stopped_at << ": the resumed weights differ";

  // One curve: one header, train rows in step order across the stop, the last at the end.
  std::istringstream curve(slurp(f.out + "/curve.csv"));
  std::string line;
  int headers = 0, last_step = -1, rows_after_stop = 0;
  while (std::getline(curve, line)) {
    if (line.rfind("kind,", 0) == 0) ++headers;
    if (line.rfind("train,", 0) != 0) continue;
    const int step = std::stoi(line.substr(6, line.find(',', 6) - 6));
    EXPECT_GT(step, last_step) << line;
    last_step = step;
    rows_after_stop += step > stopped_at ? 1 : 0;
  }
  EXPECT_EQ(headers, 1);
  EXPECT_GT(rows_after_stop, 0);
}

// `jointnlu vocab` (how setup.sh recreates the shipped encoder's vocabulary) builds exactly the
// vocabulary pretrain --build-vocab does from the same corpus and training set.
TEST(PretrainCli, VocabCommandMatchesPretrainBuildVocab) {
  Fixture f;
  auto r = run_cli(f.common() + " --build-vocab --steps 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = f.dir.path() + "/vocab.txt";
  r = run_cli("vocab --corpus " + f.corpus + " --train " + f.train + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(out), slurp(f.out + "/vocab.txt"));
  EXPECT_NE(slurp(out).find("\n空\n"),
            std::string::npos);  // a --train character, not in the corpus

  r = run_cli("vocab --corpus " + f.dir.path() + "/nope.txt --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(f.dir.path() + "/nope.txt"), std::string::npos) << r.err;
}

TEST(PretrainCli, MissingCorpusFileIsAnErrorNamingIt) {
  Fixture f;
  const auto r = run_cli("pretrain --corpus " + f.dir.path() + "/nope.txt --train " + f.train +
                         " --out " + f.out + " --build-vocab --steps 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(f.dir.path() + "/nope.txt"), std::string::npos) << r.err;
}

TEST(PretrainCli, InvalidUtf8LinesAreSkippedWithAWarningNamingFileAndLine) {
  Fixture f;
  const auto bad = f.dir.write("bad.txt", corpus_text(300, 7));
  const auto r = run_cli("pretrain --corpus " + bad + " --train " + f.train + " --out " + f.out +
                         " --build-vocab --steps 1 --batch-size 2 --max-length 16 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(bad + ": line 7: invalid UTF-8"), std::string::npos) << r.err;
}

TEST(PretrainCli, NeedsAVocabularyChoice) {
  Fixture f;
  const auto r = run_cli(f.common() + " --steps 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--vocab: give exactly one: a vocab file, or build_vocab"),
            std::string::npos)
      << r.err;
}

#endif

}  // namespace
}  // namespace jointnlu
