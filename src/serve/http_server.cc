#include "serve/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace jointnlu::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using beast::error_code;

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(std::max(0.001, seconds) * 1000));
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", s);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// After a response that ends the connection, the server stops sending, then reads and discards
// for a short while what the client is still sending (bounded in bytes and time) before closing.
// Closing with unread data would make the kernel reset the connection, and a client still busy
// sending its body could lose the response it has not read yet (nginx's lingering close).
constexpr std::size_t kLingerBytes = 256 << 10;
constexpr std::chrono::milliseconds kLingerTime{1000};
// Before stop() gives up on requests in flight and stops the event loop.
constexpr std::chrono::seconds kStopGrace{15};

}  // namespace

struct HttpServer::Impl {
  class Session;

  Impl(const Api& a, ServerOptions o) : api(a), options(std::move(o)), acceptor(ioc) {}

  void accept();
  void on_accept(error_code ec, tcp::socket socket);

  const Api& api;
  ServerOptions options;
  int threads = 1;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0}, rejecting{0}, accepted{0}, refused{0}, requests{0};
  // Sessions unregister in their destructors, which may run while ioc is destroyed: these are
  // declared (so constructed) before it, and destroyed after it.
  std::mutex sessions_mutex;
  std::unordered_map<const void*, std::weak_ptr<Session>> sessions;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::shared_ptr<std::function<void()>> stop_check;  // polls for the end of stop()'s grace
};

// One accepted connection. Its handlers run on its strand, one at a time; the timer cancels the
// socket's pending operation when a deadline passes.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server, bool refuse)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        server_(server),
        refuse_(refuse) {}

  ~Session() {
    if (refuse_) {
      --server_.rejecting;
      return;
    }
    --server_.open;
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.erase(this);
  }

  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->refuse_) {
        const auto& o = self->server_.options;
        auto r = error_response(503, "overloaded",
                                "the server has " + std::to_string(o.max_connections) +
                                    " connections open, its limit; retry after " +
                                    std::to_string(o.retry_after_s) + " s");
        r.headers.emplace_back("Retry-After", std::to_string(o.retry_after_s));
        self->respond(std::move(r), 11, /*keep_alive=*/false, /*head=*/false);
      } else {
        self->read_header();
      }
    });
  }

  // On stop(): a connection waiting for its next request is closed now; one with a request in
  // flight closes after answering it.
  void close_if_idle() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

 private:
  void arm(double seconds) { arm(to_ms(seconds)); }
  void arm(std::chrono::milliseconds after) {
    timed_out_ = false;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;  // re-armed or cancelled
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  void read_header() {
    const auto& o = server_.options;
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(o.max_body_bytes);
    idle_ = buffer_.size() == 0;
    arm(o.idle_timeout_s);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              self->idle_ = false;
                              self->on_header(ec);
                            });
  }

  void on_header(error_code ec) {
    if (ec) return read_failed(ec);
    const auto& request = parser_->get();
    const auto expect = request[http::field::expect];
    if (iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      // The client waits for this before sending its body (curl does for bodies over 1 kB).
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     request.version());
      arm(server_.options.write_timeout_s);
      http::async_write(socket_, *cont,
                        [self = shared_from_this(), cont](error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    arm(server_.options.request_timeout_s);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->read_failed(ec);
                       self->handle();
                     });
  }

  void read_failed(error_code ec) {
    const auto& o = server_.options;
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    if (timed_out_) {
      // A client that had not started a request (idle keep-alive) is just closed.
      if (!parser_ || (!parser_->got_some() && buffer_.size() == 0)) return close();
      return respond(error_response(408, "request_timeout",
                                    "the request was not received in time (headers within " +
                                        seconds(o.idle_timeout_s) + ", body within " +
                                        seconds(o.request_timeout_s) + ")"),
                     version, false, false);
    }
    if (ec == http::error::body_limit)
      return respond(error_response(413, "payload_too_large",
                                    "the request body exceeds the limit of " +
                                        std::to_string(o.max_body_bytes) + " bytes"),
                     version, false, false);
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return respond(error_response(431, "headers_too_large",
                                    "the request line and headers exceed " +
                                        std::to_string(o.max_header_bytes) + " bytes"),
                     version, false, false);
    if (ec.category() == error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return respond(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()),
                     version, false, false);
    close();  // end of stream, a reset, or a message cut short: nobody to answer
  }

  void handle() {
    auto& request = parser_->get();
    ++server_.requests;
    ++served_;
    HttpRequest req;
    req.method = std::string(request.method_string());
    req.target = std::string(request.target());
    req.content_type = std::string(request[http::field::content_type]);
    req.authorization = std::string(request[http::field::authorization]);
    req.body = std::move(request.body());
    // The API answers HEAD as GET where GET is allowed; the body is left out here.
    const bool head = req.method == "HEAD";
    HttpResponse response = server_.api.handle(req);
    const bool keep_alive = request.keep_alive() && !server_.stopping &&
                            served_ < server_.options.max_keepalive_requests;
    respond(std::move(response), request.version(), keep_alive, head);
  }

  void respond(HttpResponse r, unsigned version, bool keep_alive, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version == 10 ? 10 : 11);
    res->set(http::field::server, "jointnlu");
    res->set(http::field::content_type, "application/json");
    for (auto& [name, value] : r.headers) res->set(name, value);
    const std::size_t length = r.body.size();
    if (!head) res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->content_length(length);
    arm(server_.options.write_timeout_s);
    http::async_write(socket_, *res,
                      [self = shared_from_this(), res, keep_alive](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (keep_alive) return self->read_header();
                        self->linger();
                      });
  }

  void linger() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(kLingerTime);
    drain();
  }

  void drain() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ >= kLingerBytes) return self->close();
                              self->drain();
                            });
  }

  void close() {
    error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Impl& server_;
  const bool refuse_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::size_t served_ = 0;
  std::size_t drained_ = 0;
  bool idle_ = false;
  bool timed_out_ = false;
  std::array<char, 16384> scratch_{};
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: wait a little rather than spin on the error.
    spdlog::warn("accept: {}", ec.message());
    auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(50));
    timer->async_wait([this, timer](error_code) { accept(); });
    return;
  }
  ++accepted;
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (open.load() >= options.max_connections) {
    if (rejecting.load() >= options.max_connections) {
      socket.close(ignored);  // so many refusals pending that even a 503 is too much
    } else {
      ++refused;
      ++rejecting;
      std::make_shared<Session>(std::move(socket), *this, /*refuse=*/true)->start();
    }
  } else {
    ++open;
    auto session = std::make_shared<Session>(std::move(socket), *this, /*refuse=*/false);
    {
      std::lock_guard lock(sessions_mutex);
      sessions.emplace(session.get(), session);
    }
    session->start();
  }
  accept();
}

HttpServer::HttpServer(const Api& api, ServerOptions options)
    : impl_(std::make_unique<Impl>(api, std::move(options))) {
  auto& o = impl_->options;
  impl_->threads = o.threads > 0
                       ? o.threads
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string where = o.host + ":" + std::to_string(o.port);
  error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + where + ": '" + o.host +
                             "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                             " (address in use, or not an address of this machine?)");
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }
int HttpServer::threads() const { return impl_->threads; }

void HttpServer::run() {
  impl_->accept();
  std::vector<std::thread> pool;
  for (int i = 1; i < impl_->threads; ++i) pool.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : pool) t.join();
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    if (impl->stopping.exchange(true)) return;
    error_code ignored;
    impl->acceptor.close(ignored);
    std::vector<std::shared_ptr<Impl::Session>> live;
    {
      std::lock_guard lock(impl->sessions_mutex);
      for (auto& [key, weak] : impl->sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->close_if_idle();
    // Requests still running (or clients still sending) get a grace period; then the loop stops.
    // When every connection is gone, nothing is left to run and run() returns by itself.
    const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
    auto timer = std::make_shared<asio::steady_timer>(impl->ioc);
    auto check = std::make_shared<std::function<void()>>();
    *check = [impl, timer, deadline, weak = std::weak_ptr<std::function<void()>>(check)] {
      if (impl->open.load() == 0 && impl->rejecting.load() == 0) return;
      if (std::chrono::steady_clock::now() > deadline) return impl->ioc.stop();
      timer->expires_after(std::chrono::milliseconds(50));
      timer->async_wait([weak](error_code ec) {
        if (auto f = weak.lock(); f && !ec) (*f)();
      });
    };
    impl->stop_check = check;
    (*check)();
  });
}

ServerStats HttpServer::stats() const {
  ServerStats s;
  s.open_connections = impl_->open.load();
  s.accepted = impl_->accepted.load();
  s.refused_503 = impl_->refused.load();
  s.requests = impl_->requests.load();
  return s;
}

}  // namespace jointnlu::serve
