// `jointnlu serve`: the student over HTTP. The API (paths, JSON, errors) is serve::Api
// (src/serve/http_api.h), the transport and its limits serve::HttpServer (src/serve/http_server.h);
// this file maps the flags onto them and handles signals.
//
// Shutdown: SIGINT and SIGTERM are blocked in every thread and taken by the main thread with
// sigtimedwait, which then stops the server: it stops accepting, closes idle connections, answers
// the requests in flight, and the process exits 0.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "jointnlu/jointnlu.h"
#include "serve/http_api.h"
#include "serve/http_server.h"
#include "student_commands.h"

namespace jointnlu::cli {

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
  const Parser parser = Parser::open(o.model, popts);
  spdlog::info("model {}", to_json(parser.info()));

  serve::ApiOptions api_options = o.api;
  api_options.max_chars = o.max_chars;
  const serve::Api api(parser, api_options);
  serve::ServerOptions server_options = o.server;
  server_options.threads = o.threads;
  serve::HttpServer server(api, server_options);

  std::atomic<bool> finished{false};
  std::exception_ptr failure;
  std::thread loop([&] {
    try {
      server.run();
    } catch (...) {
      failure = std::current_exception();
    }
    finished = true;
  });
  // Printed whatever the log level: scripts and tests read the port from here.
  std::cerr << "listening on http://" << server_options.host << ":" << server.port() << " ("
            << server.threads() << " threads, at most " << server_options.max_connections
            << " connections)" << std::endl;

  while (!finished) {
    const timespec tick{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) {
      spdlog::info("signal {}: finishing the requests in flight, then stopping", sig);
      server.stop();
      break;
    }
  }
  loop.join();
  if (failure) std::rethrow_exception(failure);
  const auto stats = server.stats();
  spdlog::info("stopped after {} requests on {} connections ({} refused with 503)", stats.requests,
               stats.accepted, stats.refused_503);
  return 0;
}

}  // namespace jointnlu::cli
