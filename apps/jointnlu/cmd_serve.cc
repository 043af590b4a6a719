// `jointnlu serve`: the student over HTTP (cpp-httplib).
//
//   POST /v1/parse  {"text": "..."}        -> one result object (jointnlu::to_json(ParseResult))
//                   {"texts": ["...", ...]} -> an array of them, in order
//   GET  /health                           -> {"status": "ok", "model": {...}}
//   PUT    /v1/lexicons/NAME {"entries": [...]} -> adds entries to the model's lexicon category
//   DELETE /v1/lexicons/NAME {"entries": [...]}    NAME, or removes them, at run time; only with
//                                                  --admin-token, for requests carrying
//                                                  "Authorization: Bearer TOKEN" (401 without
//                                                  credentials, 403 with wrong ones or when the
//                                                  server has no admin token)
// Errors are {"error": {"code": "...", "message": "..."}}: 400 for a body that is not UTF-8 or not
// JSON, for missing or mistyped fields and for texts check_text rejects (empty, too long, control
// characters); 413 for a body over --max-body-bytes; 404 / 405 for unknown paths / methods.
//
// Shutdown: SIGINT and SIGTERM are blocked in every thread and taken by the main thread with
// sigtimedwait, which then stops the listener; httplib's pool finishes the requests in flight
// before listen returns, and the process exits 0.
#include <httplib.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/utf8.h"
#include "jointnlu/jointnlu.h"
#include "student_commands.h"

namespace jointnlu::cli {
namespace {

using nlohmann::json;

// Entries one PUT or DELETE may carry (a bigger list: several requests, or --lexicon at start).
constexpr std::size_t kMaxLexiconEdit = 10000;

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", {{"code", code}, {"message", message}}}}.dump(),
                  "application/json");
}

// A request the client got wrong: becomes a 400 with this code.
struct BadRequest {
  std::string code;
  std::string message;
};

std::string checked_text(const json& value, std::size_t max_chars, const std::string& what) {
  if (!value.is_string())
    throw BadRequest{"invalid_field", what + " must be a string, found " + value.type_name()};
  const auto text = value.get<std::string>();
  const auto decoded =
      decode_utf8(text);  // the JSON parser has checked UTF-8 already; counts characters
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

// A body that is not declared JSON gets 415 rather than being parsed as if it were (the body has
// been read by then, within --max-body, so the connection stays in step).
bool json_body(const httplib::Request& req, httplib::Response& res) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type == "application/json") return true;
  send_error(res, 415, "unsupported_media_type",
             "the request body must be application/json, found Content-Type '" +
                 req.get_header_value("Content-Type") + "'");
  return false;
}

class Service {
 public:
  Service(Parser parser, const Options& o) : parser_(std::move(parser)), options_(o) {}

  void parse(const httplib::Request& req, httplib::Response& res) const {
    if (!json_body(req, res)) return;
    try {
      if (!decode_utf8(req.body))
        throw BadRequest{"invalid_utf8", "the request body is not valid UTF-8"};
      const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded())
        throw BadRequest{"invalid_json", "the request body is not valid JSON"};
      if (!body.is_object())
        throw BadRequest{"invalid_request",
                         "the request body must be a JSON object with \"text\" or \"texts\""};
      const bool one = body.contains("text");
      const bool many = body.contains("texts");
      if (one == many)
        throw BadRequest{"invalid_request", "give exactly one of \"text\" and \"texts\""};
      if (one) {
        const std::string text = checked_text(body["text"], options_.max_chars, "\"text\"");
        res.set_content(to_json(parser_.parse(text)), "application/json");
        return;
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
      res.set_content(out + "]", "application/json");
    } catch (const BadRequest& e) {
      send_error(res, 400, e.code, e.message);
    } catch (const Error& e) {
      if (e.code() == Error::Code::kInvalidInput)
        send_error(res, 400, "invalid_text", e.what());
      else
        send_error(res, 500, "internal", e.what());
    }
  }

  // PUT (add) or DELETE (remove) /v1/lexicons/NAME.
  void edit_lexicon(const httplib::Request& req, httplib::Response& res, bool add) const {
    if (!authorized(req, res) || !json_body(req, res)) return;
    try {
      const std::string category = req.matches[1];
      const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded() || !body.is_object() || !body.contains("entries") ||
          !body["entries"].is_array())
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
      if (add) {
        parser_.add_lexicon_entries(category, entries);
        out["added"] = entries.size();
      } else {
        out["removed"] = parser_.remove_lexicon_entries(category, entries);
      }
      out["lexicon_entries"] = parser_.info().lexicon_entries;
      spdlog::info("lexicon {}: {} {} entries", category, add ? "added" : "removed",
                   add ? entries.size() : out["removed"].get<std::size_t>());
      res.set_content(out.dump(), "application/json");
    } catch (const BadRequest& e) {
      send_error(res, 400, e.code, e.message);
    } catch (const Error& e) {
      const bool unknown =
          std::string_view(e.what()).find("no lexicon category") != std::string_view::npos;
      send_error(res, unknown ? 404 : 400, unknown ? "unknown_category" : "invalid_entry",
                 e.what());
    }
  }

  ModelInfo info() const { return parser_.info(); }

  // The admin check: a constant-time comparison of the bearer token, so timing reveals nothing.
  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (options_.admin_token.empty()) {
      send_error(res, 403, "admin_disabled",
                 "lexicon edits are disabled: start the server with --admin-token");
      return false;
    }
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "unauthorized", "send Authorization: Bearer TOKEN");
      return false;
    }
    const std::string_view given = std::string_view(header).substr(kBearer.size());
    const std::string& want = options_.admin_token;
    unsigned char diff = given.size() == want.size() ? 0 : 1;
    for (std::size_t i = 0; i < given.size(); ++i)
      diff |= static_cast<unsigned char>(given[i] ^ want[i % want.size()]);
    if (diff != 0) {
      send_error(res, 403, "forbidden", "wrong admin token");
      return false;
    }
    return true;
  }

  void health(const httplib::Request&, httplib::Response& res) const {
    res.set_content(json{{"status", "ok"}, {"model", json::parse(to_json(parser_.info()))}}.dump(),
                    "application/json");
  }

 private:
  Parser parser_;
  const Options& options_;
};

void method_not_allowed(httplib::Server& svr, const std::string& path, const std::string& allowed) {
  const auto handler = [allowed](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", allowed);
    send_error(res, 405, "method_not_allowed",
               req.method + " is not allowed on " + req.path + "; use " + allowed);
  };
  if (allowed != "GET") svr.Get(path, handler);
  if (allowed != "POST") svr.Post(path, handler);
  svr.Put(path, handler);
  svr.Patch(path, handler);
  svr.Delete(path, handler);
}

}  // namespace

int serve_student(const Options& o) {
  // Before any thread exists, so that every thread inherits the mask and only sigtimedwait below
  // receives these signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ParserOptions popts;
  popts.threads = 1;  // requests are already spread over the server's threads
  popts.max_chars = o.max_chars;
  popts.lexicons = o.lexicon;
  const Service service(Parser::open(o.model, popts), o);
  spdlog::info("model {}", to_json(service.info()));

  httplib::Server svr;
  const auto threads = static_cast<std::size_t>(
      o.threads > 0 ? o.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_payload_max_length(o.max_body_bytes);
  svr.Post("/v1/parse",
           [&](const httplib::Request& req, httplib::Response& res) { service.parse(req, res); });
  svr.Get("/health",
          [&](const httplib::Request& req, httplib::Response& res) { service.health(req, res); });
  const std::string lexicon_path = R"(/v1/lexicons/([^/]+))";
  svr.Put(lexicon_path, [&](const httplib::Request& req, httplib::Response& res) {
    service.edit_lexicon(req, res, true);
  });
  svr.Delete(lexicon_path, [&](const httplib::Request& req, httplib::Response& res) {
    service.edit_lexicon(req, res, false);
  });
  method_not_allowed(svr, "/v1/parse", "POST");
  method_not_allowed(svr, "/health", "GET");
  // Statuses httplib sets itself (404 no route, 413 body too large, 400 bad request line) get a
  // JSON body too; responses our handlers wrote already have one.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([&](const httplib::Request& req,
                                                                 httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404)
      send_error(res, 404, "not_found",
                 "no such path: " + req.path + " (use POST /v1/parse or GET /health)");
    else if (res.status == 413)
      send_error(
          res, 413, "payload_too_large",
          "the request body exceeds the limit of " + std::to_string(o.max_body_bytes) + " bytes");
    else
      send_error(res, res.status, "bad_request", "the request could not be processed");
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string message = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          message = e.what();
        } catch (...) {
        }
        send_error(res, 500, "internal", message);
      });

  const int port =
      o.port == 0 ? svr.bind_to_any_port(o.host) : (svr.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0)
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             " (address in use, or not an address of this machine?)");
  std::atomic<bool> finished{false};
  bool listened = false;
  std::thread server([&] {
    listened = svr.listen_after_bind();
    finished = true;
  });
  // Printed whatever the log level: scripts and tests read the port from here.
  std::cerr << "listening on http://" << o.host << ":" << port << " (" << threads << " threads)"
            << std::endl;

  int stop_signal = 0;
  while (!finished) {
    const timespec tick{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) {
      stop_signal = sig;
      spdlog::info("signal {}: finishing the requests in flight, then stopping", sig);
      svr.stop();
      break;
    }
  }
  server.join();
  if (!stop_signal && !listened) throw std::runtime_error("the server stopped unexpectedly");
  spdlog::info("stopped");
  return 0;
}

}  // namespace jointnlu::cli
