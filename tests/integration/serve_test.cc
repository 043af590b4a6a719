// `jointnlu serve` end to end: start it on a free port, exercise every path and error, stop it
// with SIGTERM. Every wait is bounded (no hang), and nothing asserts on timing.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "cli_runner.h"
#include "server_process.h"
#include "student_fixture.h"

namespace jointnlu {
namespace {

using nlohmann::json;
using testing::Server;
using testing::TempDir;

void expect_error(const httplib::Result& res, int status, const std::string& code) {
  ASSERT_TRUE(res) << "no response (" << httplib::to_string(res.error()) << ")";
  EXPECT_EQ(res->status, status) << res->body;
  const json j = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
  EXPECT_EQ(j["error"]["code"], code) << res->body;
  EXPECT_TRUE(j["error"]["message"].is_string() &&
              !j["error"]["message"].get<std::string>().empty());
}

TEST(Serve, EveryPathAndErrorThenCleanShutdown) {
  TempDir dir;
  const auto files = testing::write_student(dir.path());
  Server server({"serve", "--model", dir.path(), "--host", "127.0.0.1", "--port", "0", "--threads",
                 "2", "--max-chars", "30", "--max-batch", "4", "--max-body-bytes", "2000"},
                dir.path() + "/stderr");
  ASSERT_GT(server.port(), 0) << server.stderr_text();
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(10);
  client.set_read_timeout(30);
  client.set_write_timeout(30);
  const auto post = [&](const std::string& body) {
    return client.Post("/v1/parse", body, "application/json");
  };

  auto res = client.Get("/health");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  const json health = json::parse(res->body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["model"]["weights"], "fp32");
  EXPECT_EQ(health["model"]["hidden_size"], 12);

  res = post(R"({"text": "播放周杰伦的稻香"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json one = json::parse(res->body);
  EXPECT_EQ(one["text"], "播放周杰伦的稻香");
  EXPECT_GE(files.labels.domains().id(one["domain"].get<std::string>()), 0);
  EXPECT_TRUE(one["slots"].is_array());

  res = post(R"({"texts": ["播放周杰伦的稻香", "明天北京天气怎么样"]})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  const json many = json::parse(res->body);
  ASSERT_TRUE(many.is_array() && many.size() == 2) << res->body;
  EXPECT_EQ(many[0], one);
  EXPECT_EQ(many[1]["text"], "明天北京天气怎么样");

  expect_error(post("{\"text\": "), 400, "invalid_json");
  expect_error(post("[1, 2]"), 400, "invalid_request");
  expect_error(post("{}"), 400, "invalid_request");
  expect_error(post(R"({"text": "a", "texts": ["b"]})"), 400, "invalid_request");
  expect_error(post(R"({"text": 5})"), 400, "invalid_field");
  expect_error(post(R"({"texts": "a"})"), 400, "invalid_field");
  expect_error(post(R"({"texts": []})"), 400, "invalid_field");
  expect_error(post(R"({"texts": ["a", 1]})"), 400, "invalid_field");
  expect_error(post(R"({"text": ""})"), 400, "empty_text");
  expect_error(post(R"({"text": " \t "})"), 400, "empty_text");  // as predict refuses it
  // A body not declared JSON is refused, not parsed; the connection stays usable.
  expect_error(client.Post("/v1/parse", R"({"text": "好"})", "text/plain"), 415,
               "unsupported_media_type");
  res = client.Post("/v1/parse", R"({"text": "好"})", "Application/JSON; charset=utf-8");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  expect_error(post(R"({"text": "a\u0007b"})"), 400, "invalid_text");
  expect_error(post(R"({"texts": ["a", "b", "c", "d", "e"]})"), 400, "too_many_texts");
  expect_error(post("{\"text\": \"\xff\xfe\"}"), 400, "invalid_utf8");
  expect_error(post(R"({"text": ")" + std::string(31, 'x') + "\"}"), 400, "text_too_long");
  expect_error(post(R"({"texts": [")" + std::string(31, 'x') + "\"]}"), 400, "text_too_long");
  expect_error(post(R"({"text": ")" + std::string(3000, 'x') + "\"}"), 413, "payload_too_large");

  // A fresh connection after the 413 (the server may close that one).
  httplib::Client again("127.0.0.1", server.port());
  again.set_connection_timeout(10);
  again.set_read_timeout(30);
  expect_error(again.Get("/nope"), 404, "not_found");
  expect_error(again.Post("/v1/other", "{}", "application/json"), 404, "not_found");
  res = again.Get("/v1/parse");
  expect_error(res, 405, "method_not_allowed");
  if (res) {
    EXPECT_EQ(res->get_header_value("Allow"), "POST");
  }
  expect_error(again.Delete("/health"), 405, "method_not_allowed");
  expect_error(again.Post("/health", "{}", "application/json"), 405, "method_not_allowed");
  res = again.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);  // still serving after every error

  EXPECT_EQ(server.terminate(), 0) << server.stderr_text();
  EXPECT_NE(server.stderr_text().find("stopped"), std::string::npos) << server.stderr_text();
}

TEST(Serve, FailsCleanlyOnABadModel) {
  TempDir dir;
  const auto r = testing::run_cli("serve --port 0 --model " + dir.path() + "/missing.safetensors");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace jointnlu
