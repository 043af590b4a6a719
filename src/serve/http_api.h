// The HTTP API of `jointnlu serve` as a pure function of the request: routing, JSON parsing and
// validation, the Parser calls and every error body. No sockets here, so the API can be tested and
// fuzzed on its own (tests/fuzz/fuzz_http_api.cc) and the transport (http_server.h) knows nothing
// of JSON or models.
//
//   POST /v1/parse  {"text": "..."}        -> one result object (jointnlu::to_json(ParseResult))
//                   {"texts": ["...", ...]} -> an array of them, in order
//   GET  /health                           -> {"status": "ok", "model": {...}}
//   PUT    /v1/lexicons/NAME {"entries": [...]} -> adds entries to the model's lexicon category
//   NAME, DELETE /v1/lexicons/NAME {"entries": [...]}    or removes them, at run time; only with an
//   admin
//                                                  token, for requests carrying "Authorization:
//                                                  Bearer TOKEN" (401 without credentials, 403 with
//                                                  wrong ones or when the server has no admin
//                                                  token)
// Errors are {"error": {"code": "...", "message": "..."}}: 400 for a body that is not UTF-8 or not
// JSON, for missing or mistyped fields and for texts check_text rejects (empty, too long, control
// characters); 415 for a body not declared application/json; 404 / 405 for unknown paths / methods.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "jointnlu/jointnlu.h"

namespace jointnlu::serve {

// One request as the transport read it (header names are case-insensitive on the wire; the
// transport passes the two the API reads).
struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // the path, possibly with a query string (ignored)
  std::string content_type;   // the Content-Type header, "" when absent
  std::string authorization;  // the Authorization header, "" when absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;                                          // always JSON
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
};

struct ApiOptions {
  // Longest text accepted, in characters; longer ones get 400 text_too_long.
  std::size_t max_chars = ParserOptions{}.max_chars;
  // Most texts in one {"texts": [...]} request; more get 400 too_many_texts.
  std::size_t max_batch = 64;
  // Enables PUT/DELETE /v1/lexicons/NAME for requests with "Authorization: Bearer TOKEN"; ""
  // disables.
  std::string admin_token;
};

// {"error": {"code": code, "message": message}} with that status: the one error shape, also used
// by the transport for its own refusals (413, 408, 503...).
HttpResponse error_response(int status, const std::string& code, const std::string& message);

class Api {
 public:
  // The parser must outlive the Api. Its methods are thread-safe, and so is handle().
  Api(const Parser& parser, ApiOptions options);

  // Never throws for anything a client sends: every problem is a 4xx response; a failure of the
  // model itself is a 500.
  HttpResponse handle(const HttpRequest& request) const;

  const ApiOptions& options() const { return options_; }

 private:
  HttpResponse parse(const HttpRequest& request) const;
  HttpResponse health() const;
  HttpResponse edit_lexicon(const HttpRequest& request, const std::string& category,
                            bool add) const;

  const Parser& parser_;
  ApiOptions options_;
};

}  // namespace jointnlu::serve
