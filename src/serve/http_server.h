// The transport of `jointnlu serve`: HTTP/1.0 and 1.1 with keep-alive over Boost.Beast/Asio, in
// front of an Api (http_api.h). Built so that slow or idle clients cannot starve the others:
//  - connections are served by an event loop on `threads` threads, so an idle connection costs a
//    file descriptor and a few kB, never a thread;
//  - every read has a deadline: the request line and headers within idle_timeout_s (also the
//    keep-alive wait between requests), the body within request_timeout_s; a client that misses
//    one is dropped (408 when it had started a request);
//  - at most max_connections are served; one more is accepted, answered 503 with Retry-After and
//    closed at once (up to as many again; beyond that, closed without an answer);
//  - a body longer than max_body_bytes is refused with 413 as soon as the limit is passed, with
//    Content-Length or chunked alike, and the connection is closed without reading the rest;
//  - a connection serves at most max_keepalive_requests requests, then closes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "serve/http_api.h"

namespace jointnlu::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address to listen on
  int port = 8080;                 // TCP port; 0 picks a free one (see HttpServer::port)
  int threads = 0;                 // event-loop threads, which also run the model; 0: all cores
  // Connections served at once; the next ones get 503 + Retry-After.
  std::size_t max_connections = 512;
  // Request bodies longer than this get 413 (also chunked ones).
  std::size_t max_body_bytes = 1 << 20;
  // Request line + headers longer than this get 431.
  std::size_t max_header_bytes = 16 << 10;
  // Deadline for a request's line and headers, and for the keep-alive wait before the next one.
  double idle_timeout_s = 5;
  // Deadline for a request's body once its headers are in.
  double request_timeout_s = 10;
  // Deadline for writing one response to a client that does not read.
  double write_timeout_s = 10;
  // Requests one keep-alive connection may carry before the server closes it.
  std::size_t max_keepalive_requests = 10000;
  // The Retry-After of a 503, in seconds.
  int retry_after_s = 1;
};

// Counters since start, for logs and /health.
struct ServerStats {
  std::size_t open_connections = 0;
  std::size_t accepted = 0;
  std::size_t refused_503 = 0;
  std::size_t requests = 0;
};

class HttpServer {
 public:
  // Binds and listens; throws std::runtime_error naming host and port when it cannot. The api
  // must outlive the server.
  HttpServer(const Api& api, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;     // the bound port (the chosen one when options.port was 0)
  int threads() const;  // the event-loop threads run() starts

  // Serves until stop(); the requests in flight are answered first. Blocks the caller.
  void run();
  // From any thread (not from a signal handler): stop accepting, close idle connections, let
  // requests in flight finish, then make run() return.
  void stop();

  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jointnlu::serve
