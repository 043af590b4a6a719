// `jointnlu train-teacher`, `predict` and `eval --model` end to end on the demo data, as a user
// runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "core/file_io.h"
#include "demo_inputs.h"
#include "test_util.h"

namespace jointnlu::testing {
namespace {

namespace fs = std::filesystem;

#ifdef JOINTNLU_WITH_TRAINING

// One test trains (the expensive part) and then exercises the model it wrote.
TEST(TeacherCli, TrainPredictEvalOnDemoData) {
  TempDir tmp;
  const std::string model = tmp.path() + "/teacher";
  const auto train =
      run_cli("train-teacher --train " + small_train(tmp) + " --dev " + demo("dev") + " --test " +
              demo("test") + " --out " + model +
              " --init none --size tiny --max-length 24 --epochs 2 --batch-size 32 --threads 1"
              " --seed 1");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  for (const char* f : {"config.json", "vocab.txt", "model.safetensors", "training.csv"})
    EXPECT_TRUE(fs::exists(model + "/" + f)) << f;
  EXPECT_NE(train.out.find("sentence_acc"), std::string::npos) << train.out;  // the test figures
  EXPECT_NE(train.out.find("seconds/epoch"), std::string::npos) << train.out;
  EXPECT_NE(train.err.find("BLAS"), std::string::npos) << train.err;
  EXPECT_NE(train.err.find("epoch 2/2"), std::string::npos) << train.err;
  const auto config = nlohmann::json::parse(std::ifstream(model + "/config.json"));
  EXPECT_EQ(config["model_type"], "albert");
  EXPECT_EQ(config["hidden_size"], 312);
  EXPECT_GE(config["jointnlu"]["labels"]["domains"].size(), 5u);
  EXPECT_EQ(config["jointnlu"]["max_length"], 24);

  // predict: plain text and JSON lines in, one JSON object per line out.
  const std::string input =
      tmp.write("in.txt", "播放周杰伦的稻香\n\n{\"text\": \"明天北京天气怎么样\"}\n");
  const auto pred = run_cli("predict --model " + model + " " + input);
  ASSERT_EQ(pred.exit_code, 0) << pred.err;
  std::istringstream lines(pred.out);
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u) << pred.out;
  EXPECT_EQ(rows[1]["text"], "明天北京天气怎么样");
  for (const auto& r : rows) {
    EXPECT_TRUE(r["domain"].is_string());
    EXPECT_TRUE(r["intent"].is_string());
    EXPECT_TRUE(r["slots"].is_object());
    EXPECT_GE(r["scores"]["domain"].get<double>(), 0.0);
    EXPECT_LE(r["scores"]["intent"].get<double>(), 1.0);
    for (const auto& [key, value] : r["slots"].items()) {
      if (value.is_string()) {
        EXPECT_NE(r["text"].get<std::string>().find(value.get<std::string>()), std::string::npos);
      }
    }
  }
  // The same through stdin, written to a file.
  const auto piped =
      run_cli("predict --model " + model + " --out " + tmp.path() + "/pred.jsonl - < " + input);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_TRUE(fs::exists(tmp.path() + "/pred.jsonl"));

  // eval --model: the four official figures; --json too.
  const auto eval = run_cli("eval --model " + model + " --data " + demo("test"));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  for (const char* figure : {"domain_acc", "intent_acc", "slot_f1", "sentence_acc"})
    EXPECT_NE(eval.out.find(figure), std::string::npos) << eval.out;
  const auto eval_json = run_cli("eval --json --model " + model + " --data " + demo("test"));
  ASSERT_EQ(eval_json.exit_code, 0) << eval_json.err;
  EXPECT_NO_THROW(nlohmann::json::parse(eval_json.out)) << eval_json.out;

  // eval on data with a label the model never saw: scored as an error, not a crash.
  const std::string odd = tmp.write(
      "odd.json",
      R"([{"text": "播放稻香", "domain": "unseen_domain", "intent": "PLAY", "slots": {}}])");
  const auto odd_eval = run_cli("eval --model " + model + " --data " + odd);
  ASSERT_EQ(odd_eval.exit_code, 0) << odd_eval.err;
  EXPECT_NE(odd_eval.out.find("domain_acc        0.00"), std::string::npos) << odd_eval.out;

  // A bad line stops predict there, naming file and line, after the lines before it are written;
  // --on-error skip writes an error record in its place and goes on.
  const std::string bad_lines = tmp.write("bad.jsonl", "播放稻香\n{\"txt\": \"x\"}\n打开空调\n");
  const auto bad_predict = run_cli("predict --model " + model + " " + bad_lines);
  EXPECT_NE(bad_predict.exit_code, 0);
  EXPECT_NE(bad_predict.err.find("bad.jsonl: record 2 (line 2)"), std::string::npos)
      << bad_predict.err;
  EXPECT_EQ(std::count(bad_predict.out.begin(), bad_predict.out.end(), '\n'), 1) << bad_predict.out;
  EXPECT_NE(bad_predict.out.find("播放稻香"), std::string::npos) << bad_predict.out;
  const auto skipped = run_cli("predict --on-error skip --model " + model + " " + bad_lines);
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  std::istringstream skipped_lines(skipped.out);
  std::vector<nlohmann::json> records;
  for (std::string l; std::getline(skipped_lines, l);) records.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(records.size(), 3u) << skipped.out;
  EXPECT_EQ(records[0]["text"], "播放稻香");
  EXPECT_EQ(records[1]["line"], 2);
  EXPECT_NE(records[1]["error"].get<std::string>().find("string field \"text\""),
            std::string::npos);
  EXPECT_EQ(records[2]["text"], "打开空调");
}

TEST(TeacherCli, BadInputFailsNamingTheFile) {
  TempDir tmp;
  // --init none: these check the data and flag errors, which must not depend on whether the
  // shipped encoder's vocabulary was made (scripts/setup.sh).
  const auto missing = run_cli("train-teacher --init none --train " + tmp.path() +
                               "/nope.json --out " + tmp.path() + "/m");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;

  const std::string broken = tmp.write("broken.json", R"([{"text": "播放", "domain": 3}])");
  const auto bad_train =
      run_cli("train-teacher --init none --train " + broken + " --out " + tmp.path() + "/m");
  EXPECT_NE(bad_train.exit_code, 0);
  EXPECT_NE(bad_train.err.find("broken.json"), std::string::npos) << bad_train.err;

  // A directory that is not a model.
  const std::string input = tmp.write("in.txt", "播放稻香\n");
  const auto no_model = run_cli("predict --model " + tmp.path() + "/absent " + input);
  EXPECT_NE(no_model.exit_code, 0);
  EXPECT_NE(no_model.err.find("absent"), std::string::npos) << no_model.err;

  const auto bad_weights = run_cli("train-teacher --init none --train " + demo("train") +
                                   " --out " + tmp.path() + "/m --weights 1,2");
  EXPECT_NE(bad_weights.exit_code, 0);
  EXPECT_NE(bad_weights.err.find("--weights"), std::string::npos) << bad_weights.err;
}

// Without --init the teacher starts from models/zh-tiny. Its vocabulary is made by scripts/setup.sh
// from ../shared; where that is absent, the error must say how to get it or what to give instead.
TEST(TeacherCli, WithoutInitStartsFromTheShippedEncoder) {
  TempDir tmp;
  const std::string model = tmp.path() + "/teacher";
  const std::string shipped = source_path("models/zh-tiny");
  const auto train = run_cli("train-teacher --train " + small_train(tmp) + " --out " + model +
                             " --max-length 24 --epochs 1 --threads 1");
  if (!fs::exists(shipped + "/vocab.txt")) {
    EXPECT_NE(train.exit_code, 0);
    EXPECT_NE(train.err.find(shipped + "/vocab.txt is missing: scripts/setup.sh makes it"),
              std::string::npos)
        << train.err;
    EXPECT_NE(train.err.find("--init: none given"), std::string::npos) << train.err;
    EXPECT_NE(train.err.find("or none to train from scratch"), std::string::npos) << train.err;
    return;
  }
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE(train.err.find("init " + shipped + ": "), std::string::npos) << train.err;
  EXPECT_EQ(read_file(model + "/vocab.txt"), read_file(shipped + "/vocab.txt"));
  const auto config = nlohmann::json::parse(std::ifstream(model + "/config.json"));
  EXPECT_EQ(config["jointnlu"]["training"]["init"], shipped);
  EXPECT_EQ(config["hidden_size"], 312);
}

TEST(TeacherCli, InitNoneTrainsFromScratchAtTheGivenSize) {
  TempDir tmp;
  const std::string model = tmp.path() + "/scratch";
  const auto train = run_cli("train-teacher --train " + small_train(tmp) + " --out " + model +
                             " --init none --size tiny --max-length 24 --epochs 1 --threads 1");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_EQ(train.err.find("tensors loaded"), std::string::npos) << train.err;  // nothing loaded
  const auto config = nlohmann::json::parse(std::ifstream(model + "/config.json"));
  EXPECT_EQ(config["jointnlu"]["training"]["init"], "none");
  EXPECT_EQ(config["jointnlu"]["training"]["size"], "tiny");
  EXPECT_LT(config["vocab_size"].get<int>(), 2000);  // built from the training data

  // --size shapes a model from scratch only: with the default encoder it is a mistake, said so.
  const auto size_alone = run_cli("train-teacher --train " + small_train(tmp) + " --out " +
                                  tmp.path() + "/m --size small");
  EXPECT_NE(size_alone.exit_code, 0);
  EXPECT_NE(
      size_alone.err.find("--size: small shapes a teacher trained from scratch: set init to none"),
      std::string::npos)
      << size_alone.err;
}

#endif  // JOINTNLU_WITH_TRAINING

}  // namespace
}  // namespace jointnlu::testing

#ifdef JOINTNLU_WITH_TRAINING
namespace jointnlu::testing {
namespace {

// A model's recipe.json makes it again: --recipe gives every field, the flags given override it,
// and a misspelt key names the file and the key.
TEST(TeacherCli, RecipeFileRepeatsARunAndFlagsOverrideIt) {
  TempDir tmp;
  const std::string first = tmp.path() + "/first";
  const auto train = run_cli("train-teacher --train " + small_train(tmp) + " --out " + first +
                             " --init none --max-length 24 --epochs 1 --threads 1 --seed 7");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto recipe = nlohmann::json::parse(read_file(first + "/recipe.json"));
  EXPECT_EQ(recipe["seed"], 7);
  EXPECT_EQ(recipe["max_length"], 24);

  const std::string second = tmp.path() + "/second";
  const auto again =
      run_cli("train-teacher --out " + second + " --recipe " + first + "/recipe.json --patience 3");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto expected = recipe;
  expected["out"] = second;
  expected["patience"] = 3;
  EXPECT_EQ(nlohmann::json::parse(read_file(second + "/recipe.json")), expected);
  // Same recipe, same seed: the same weights.
  EXPECT_EQ(read_file(first + "/model.safetensors"), read_file(second + "/model.safetensors"));

  const std::string bad = tmp.write("bad.json", R"({"epochs": 1, "epoch": 2})");
  const auto typo = run_cli("train-teacher --recipe " + bad);
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_NE(typo.err.find("bad.json: epoch: no such recipe field"), std::string::npos) << typo.err;
}

}  // namespace
}  // namespace jointnlu::testing
#endif
