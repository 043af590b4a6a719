// Lexicons end to end, as a user works with them: train a student that reads a contact list, then
// teach the running model a contact name it has never seen (no retraining) through `serve`'s admin
// endpoint, and see the name extracted. Also the errors a user gets for a broken lexicon file.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "cli_runner.h"
#include "core/file_io.h"
#include "data/dataset.h"
#include "server_process.h"
#include "test_util.h"

namespace jointnlu {
namespace {
// Every test here trains a student first: they need the training layer.
#ifdef JOINTNLU_WITH_TRAINING

using nlohmann::json;
using testing::run_cli;
using testing::Server;
using testing::source_path;
using testing::TempDir;

// Names of the demo set's telephone and message slots: the contact list the student trains with.
std::vector<std::string> demo_contacts() {
  std::set<std::string> names;
  for (const auto& e : read_examples(source_path("data/demo/train.json")))
    if (e.domain == "telephone" || e.domain == "message")
      for (const auto& s : e.spans)
        if (s.key == "name") names.insert(e.value(s));
  return {names.begin(), names.end()};
}

// The value of slot `key` in a parse, or "": the API's slot list or predict's {key: value} dict.
std::string slot_value(const json& parse, const std::string& key) {
  const json& slots = parse.at("slots");
  if (slots.is_object()) return slots.contains(key) ? slots[key].dump() : "";
  for (const auto& s : slots)
    if (s["key"] == key) return s["value"].get<std::string>();
  return "";
}

class LexiconCli : public ::testing::Test {
 protected:
  // One trained student for the whole suite (a few seconds on the demo data).
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    std::string contacts;
    for (const auto& n : demo_contacts()) contacts += n + "\n";
    write_file_atomic(dir_->file("contacts.txt"), contacts);
    const auto r =
        run_cli("train-student --train " + source_path("data/demo/train.json") + " --dev " +
                source_path("data/demo/dev.json") + " --out " + dir_->file("student") +
                " --lexicon contact=" + dir_->file("contacts.txt") +
                " --hidden-size 48 --epochs 20 --patience 20 --seed 3 --threads 1");
    trained_ = r.exit_code == 0;
    log_ = r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static TempDir* dir_;
  static bool trained_;
  static std::string log_;
};
TempDir* LexiconCli::dir_ = nullptr;
bool LexiconCli::trained_ = false;
std::string LexiconCli::log_;

TEST_F(LexiconCli, ContactAddedAtRunTimeIsExtractedWithoutRetraining) {
  ASSERT_TRUE(trained_) << log_;
  const json config = json::parse(read_file(dir_->file("student/config.json")));
  EXPECT_EQ(config["jointnlu"]["lexicon"]["categories"], json::array({"contact"}));
  EXPECT_EQ(config["lexicon_features"], 4);

  // Exported int8, the lexicon inside the file.
  ASSERT_EQ(run_cli("export --model " + dir_->file("student") + " --out " +
                    dir_->file("s8.safetensors") + " --int8")
                .exit_code,
            0);
  const std::string token = "s3cret-token";
  Server server({"serve", "--model", dir_->file("s8.safetensors"), "--port", "0", "--threads", "2",
                 "--admin-token", token},
                dir_->file("serve.log"));
  ASSERT_GT(server.port(), 0) << server.stderr_text();
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(30);
  const auto parse = [&](const std::string& text) {
    const auto res = client.Post("/v1/parse", json{{"text", text}}.dump(), "application/json");
    EXPECT_TRUE(res && res->status == 200);
    return res ? json::parse(res->body) : json();
  };

  // Names no training utterance holds, in a frame the model knows. The model may guess some from
  // context alone; the point is made with one it does not extract.
  const std::vector<std::pair<std::string, std::string>> candidates = {
      {"给亮亮打电话", "亮亮"},       {"打电话给小红帽", "小红帽"},
      {"拨打黄一鸣的手机", "黄一鸣"}, {"给欧阳娜娜发短信说我到了", "欧阳娜娜"},
      {"呼叫司马光", "司马光"},       {"给诸葛青云打个电话", "诸葛青云"},
      {"打给梅长苏", "梅长苏"},       {"给令狐冲发消息说明天见", "令狐冲"}};
  for (const auto& [text, name] : candidates)
    for (const auto& known : demo_contacts()) ASSERT_EQ(known.find(name), std::string::npos);
  std::string text, name;
  for (const auto& [t, n] : candidates)
    if (slot_value(parse(t), "name") != n) {
      text = t;
      name = n;
      break;
    }
  ASSERT_FALSE(name.empty()) << "every candidate name is extracted without the lexicon";

  const std::string body = json{{"entries", {name}}}.dump();
  auto res = client.Put("/v1/lexicons/contact", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << res->body;
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  res = client.Put("/v1/lexicons/contact", {{"Authorization", "Bearer wrong-token!"}}, body,
                   "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403) << res->body;
  EXPECT_NE(slot_value(parse(text), "name"), name) << "a refused edit must change nothing";

  const httplib::Headers auth{{"Authorization", "Bearer " + token}};
  res = client.Put("/v1/lexicons/nosuch", auth, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  res = client.Put("/v1/lexicons/contact", auth, R"({"entries": [""]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  res = client.Put("/v1/lexicons/contact", auth, body, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["added"], 1);

  EXPECT_EQ(slot_value(parse(text), "name"), name) << "after adding " << name;

  // And gone again once removed.
  res = client.Delete("/v1/lexicons/contact", auth, body, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["removed"], 1);
  EXPECT_NE(slot_value(parse(text), "name"), name);

  // predict takes entries at load the same way (--lexicon NAME=FILE adds to the model's category).
  write_file_atomic(dir_->file("new.txt"), name + "\n");
  write_file_atomic(dir_->file("in.txt"), text + "\n");
  const auto before =
      run_cli("predict --model " + dir_->file("s8.safetensors") + " " + dir_->file("in.txt"));
  const auto after =
      run_cli("predict --model " + dir_->file("s8.safetensors") +
              " --lexicon contact=" + dir_->file("new.txt") + " " + dir_->file("in.txt"));
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(slot_value(json::parse(before.out), "name"), json(name).dump());
  EXPECT_EQ(slot_value(json::parse(after.out), "name"), json(name).dump());
  const auto unknown =
      run_cli("predict --model " + dir_->file("s8.safetensors") +
              " --lexicon song=" + dir_->file("new.txt") + " " + dir_->file("in.txt"));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("no lexicon category 'song'"), std::string::npos) << unknown.err;
}

TEST_F(LexiconCli, AdminEndpointsAreOffWithoutAToken) {
  ASSERT_TRUE(trained_) << log_;
  Server server({"serve", "--model", dir_->file("student"), "--port", "0", "--threads", "1"},
                dir_->file("serve2.log"));
  ASSERT_GT(server.port(), 0) << server.stderr_text();
  httplib::Client client("127.0.0.1", server.port());
  const auto res = client.Put("/v1/lexicons/contact", {{"Authorization", "Bearer x"}},
                              R"({"entries": ["a"]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403) << res->body;
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "admin_disabled");
}

TEST(LexiconFiles, BadFilesAreNamedWithTheirLine) {
  TempDir dir;
  const std::string train = source_path("data/demo/train.json");
  const auto train_with = [&](const std::string& spec) {
    return run_cli("train-student --train " + train + " --out " + dir.file("s") + " --epochs 1 " +
                   "--lexicon " + spec);
  };
  write_file_atomic(dir.file("bad_utf8.txt"), "张三\n\xff\xfe\n");
  auto r = train_with("contact=" + dir.file("bad_utf8.txt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad_utf8.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;

  write_file_atomic(dir.file("long.txt"), "张三\n李四\n" + std::string(100'000, 'x') + "\n");
  r = train_with("contact=" + dir.file("long.txt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("long.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;

  r = train_with("=" + dir.file("long.txt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("empty NAME"), std::string::npos) << r.err;

  r = train_with("contact=" + dir.file("missing.txt"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos) << r.err;
}

#endif  // JOINTNLU_WITH_TRAINING
}  // namespace
}  // namespace jointnlu
