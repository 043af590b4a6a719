// libFuzzer target: the HTTP API of `serve` (serve::Api::handle) on arbitrary requests, over a tiny
// student (lexicon edits reach the admin check and the category lookup). Input: "METHOD TARGET\n"
// "CONTENT-TYPE\nAUTHORIZATION\nBODY". Every response must be a status in 200..599 with a JSON
// body; an exception escaping handle() is a finding as much as a crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "serve/http_api.h"
#include "student_fixture.h"

namespace {

struct Fixture {
  Fixture() {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/fuzz_http_api_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    jointnlu::testing::StudentSpec spec;
    jointnlu::testing::write_student(dir, spec);
    jointnlu::ParserOptions options;
    options.max_chars = 32;
    parser = std::make_unique<jointnlu::Parser>(jointnlu::Parser::open(dir, options));
    jointnlu::serve::ApiOptions api_options;
    api_options.max_chars = 32;
    api_options.max_batch = 8;
    api_options.admin_token = "secret";
    api = std::make_unique<jointnlu::serve::Api>(*parser, api_options);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
  std::string dir;
  std::unique_ptr<jointnlu::Parser> parser;
  std::unique_ptr<jointnlu::serve::Api> api;
};

std::string next_line(const std::string& input, std::size_t& at) {
  const auto end = input.find('\n', at);
  const std::string line =
      input.substr(at, end == std::string::npos ? std::string::npos : end - at);
  at = end == std::string::npos ? input.size() : end + 1;
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t at = 0;
  const std::string request_line = next_line(input, at);
  jointnlu::serve::HttpRequest request;
  const auto space = request_line.find(' ');
  request.method = request_line.substr(0, space);
  request.target = space == std::string::npos ? "/" : request_line.substr(space + 1);
  request.content_type = next_line(input, at);
  request.authorization = next_line(input, at);
  request.body = input.substr(at);
  const auto response = fixture.api->handle(request);
  if (response.status < 200 || response.status > 599) __builtin_trap();
  if (nlohmann::json::parse(response.body, nullptr, false).is_discarded()) __builtin_trap();
  return 0;
}
