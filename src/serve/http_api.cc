#include "serve/http_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/utf8.h"

namespace jointnlu::serve {
namespace {

using nlohmann::json;

// Entries one PUT or DELETE may carry (a bigger list: several requests, or --lexicon at start).
constexpr std::size_t kMaxLexiconEdit = 10000;
constexpr std::string_view kLexiconPrefix = "/v1/lexicons/";

// A request the client got wrong: becomes a 4xx with this code.
struct BadRequest {
  std::string code;
  std::string message;
  int status = 400;
};

HttpResponse json_response(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

std::string checked_text(const json& value, std::size_t max_chars, const std::string& what) {
  if (!value.is_string())
    throw BadRequest{"invalid_field", what + " must be a string, found " + value.type_name()};
  const auto text = value.get<std::string>();
  // The JSON parser has checked UTF-8 already; this counts characters.
  const auto decoded = decode_utf8(text);
  if (decoded && decoded->chars.size() > max_chars)
    throw BadRequest{"text_too_long", what + " has " + std::to_string(decoded->chars.size()) +
                                          " characters, more than the limit of " +
                                          std::to_string(max_chars)};
  if (const auto problem = check_text(text, max_chars)) {
    const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    throw BadRequest{blank ? "empty_text" : "invalid_text", what + ": " + *problem};
  }
  return text;
}

// A body that is not declared JSON gets 415 rather than being parsed as if it were.
void require_json_body(const HttpRequest& req) {
  std::string type = req.content_type.substr(0, req.content_type.find(';'));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type != "application/json")
    throw BadRequest{
        "unsupported_media_type",
        "the request body must be application/json, found Content-Type '" + req.content_type + "'",
        415};
}

json parse_body(const HttpRequest& req) {
  if (!decode_utf8(req.body))
    throw BadRequest{"invalid_utf8", "the request body is not valid UTF-8"};
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw BadRequest{"invalid_json", "the request body is not valid JSON"};
  return body;
}

HttpResponse method_not_allowed(const HttpRequest& req, const std::string& path,
                                const std::string& allowed) {
  auto r = error_response(405, "method_not_allowed",
                          req.method + " is not allowed on " + path + "; use " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

// A category name in the path: percent-encoding is not decoded (names are plain identifiers), but
// it must be a non-empty UTF-8 segment.
bool valid_category(std::string_view name) {
  return !name.empty() && name.find('/') == std::string_view::npos && decode_utf8(name).has_value();
}

}  // namespace

HttpResponse error_response(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = json{{"error", {{"code", code}, {"message", message}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  return r;
}

Api::Api(const Parser& parser, ApiOptions options)
    : parser_(parser), options_(std::move(options)) {}

HttpResponse Api::handle(const HttpRequest& req) const {
  const std::string path = req.target.substr(0, req.target.find('?'));
  try {
    if (path == "/v1/parse")
      return req.method == "POST" ? parse(req) : method_not_allowed(req, path, "POST");
    if (path == "/health")
      return req.method == "GET" || req.method == "HEAD" ? health()
                                                         : method_not_allowed(req, path, "GET");
    if (path.starts_with(kLexiconPrefix) && valid_category(path.substr(kLexiconPrefix.size()))) {
      const std::string category = path.substr(kLexiconPrefix.size());
      if (req.method == "PUT" || req.method == "DELETE")
        return edit_lexicon(req, category, req.method == "PUT");
      return method_not_allowed(req, path, "PUT, DELETE");
    }
    return error_response(404, "not_found",
                          "no such path: " + path + " (use POST /v1/parse or GET /health)");
  } catch (const BadRequest& e) {
    return error_response(e.status, e.code, e.message);
  } catch (const std::exception& e) {
    return error_response(500, "internal", e.what());
  }
}

HttpResponse Api::parse(const HttpRequest& req) const {
  require_json_body(req);
  const json body = parse_body(req);
  if (!body.is_object())
    throw BadRequest{"invalid_request",
                     "the request body must be a JSON object with \"text\" or \"texts\""};
  const bool one = body.contains("text");
  const bool many = body.contains("texts");
  if (one == many)
    throw BadRequest{"invalid_request", "give exactly one of \"text\" and \"texts\""};
  try {
    if (one) {
      const std::string text = checked_text(body["text"], options_.max_chars, "\"text\"");
      return json_response(to_json(parser_.parse(text)));
    }
    const json& list = body["texts"];
    if (!list.is_array())
      throw BadRequest{"invalid_field", "\"texts\" must be an array of strings"};
    if (list.empty()) throw BadRequest{"invalid_field", "\"texts\" is empty"};
    if (list.size() > options_.max_batch)
      throw BadRequest{"too_many_texts", "\"texts\" has " + std::to_string(list.size()) +
                                             " entries, more than the limit of " +
                                             std::to_string(options_.max_batch)};
    std::vector<std::string> texts;
    texts.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i)
      texts.push_back(
          checked_text(list[i], options_.max_chars, "\"texts\"[" + std::to_string(i) + "]"));
    std::string out = "[";
    const auto results = parser_.parse_batch(texts);
    for (std::size_t i = 0; i < results.size(); ++i) out += (i ? "," : "") + to_json(results[i]);
    return json_response(out + "]");
  } catch (const Error& e) {
    if (e.code() == Error::Code::kInvalidInput) throw BadRequest{"invalid_text", e.what()};
    throw;
  }
}

HttpResponse Api::health() const {
  return json_response(
      json{{"status", "ok"}, {"model", json::parse(to_json(parser_.info()))}}.dump());
}

HttpResponse Api::edit_lexicon(const HttpRequest& req, const std::string& category,
                               bool add) const {
  // The admin check comes first, so that nothing about the body is revealed without the token. The
  // comparison is constant-time: its timing reveals nothing about the token.
  if (options_.admin_token.empty())
    throw BadRequest{"admin_disabled", "lexicon edits are disabled: the server has no admin token",
                     403};
  constexpr std::string_view kBearer = "Bearer ";
  const std::string& header = req.authorization;
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    auto r = error_response(401, "unauthorized", "send Authorization: Bearer TOKEN");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::string_view given = std::string_view(header).substr(kBearer.size());
  const std::string& want = options_.admin_token;
  unsigned char diff = given.size() == want.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ want[i % want.size()]);
  if (diff != 0) throw BadRequest{"forbidden", "wrong admin token", 403};

  require_json_body(req);
  const json body = parse_body(req);
  if (!body.is_object() || !body.contains("entries") || !body["entries"].is_array())
    throw BadRequest{"invalid_request",
                     "the request body must be a JSON object {\"entries\": [\"...\", ...]}"};
  std::vector<std::string> entries;
  for (const auto& e : body["entries"]) {
    if (!e.is_string()) throw BadRequest{"invalid_field", "\"entries\" must hold strings"};
    entries.push_back(e.get<std::string>());
  }
  if (entries.size() > kMaxLexiconEdit)
    throw BadRequest{"too_many_entries",
                     "at most " + std::to_string(kMaxLexiconEdit) + " entries per request"};
  json out{{"category", category}};
  try {
    if (add) {
      parser_.add_lexicon_entries(category, entries);
      out["added"] = entries.size();
    } else {
      out["removed"] = parser_.remove_lexicon_entries(category, entries);
    }
  } catch (const Error& e) {
    const bool unknown =
        std::string_view(e.what()).find("no lexicon category") != std::string_view::npos;
    throw BadRequest{unknown ? "unknown_category" : "invalid_entry", e.what(), unknown ? 404 : 400};
  }
  out["lexicon_entries"] = parser_.info().lexicon_entries;
  spdlog::info("lexicon {}: {} {} entries", category, add ? "added" : "removed",
               add ? entries.size() : out["removed"].get<std::size_t>());
  return json_response(out.dump());
}

}  // namespace jointnlu::serve
