// `jointnlu serve` under hostile clients, over raw sockets (the byte stream is the point): chunked
// bodies over the limit, idle and slow connections, the connection cap, HTTP/1.0, malformed
// requests. Every wait is bounded by a socket timeout, so a server that hangs fails the test
// instead of hanging it; the timeouts are generous and nothing asserts on speed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"
#include "student_fixture.h"

namespace jointnlu {
namespace {

using nlohmann::json;
using testing::Server;
using testing::TempDir;

// A blocking TCP connection to the server with every read bounded by `timeout_ms`.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }

  // False when the server has stopped reading (closed or reset): expected after a refusal.
  bool send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response (headers, then Content-Length bytes) or until EOF / timeout; "" if none.
  std::string read_response(int timeout_ms = 30000) {
    std::string data = std::move(pending_);  // what a previous call read beyond its response
    pending_.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const auto cl = data.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) {
          const std::size_t length = std::stoul(data.substr(cl + 16));
          if (data.size() >= head_end + 4 + length) {
            pending_ = data.substr(head_end + 4 + length);
            return data.substr(0, head_end + 4 + length);
          }
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return data;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return data;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return data;  // closed by the server
      data.append(buf, static_cast<std::size_t>(n));
    }
  }

  // True when the server closes the connection within timeout_ms (EOF or reset).
  bool closed_by_server(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    return ::recv(fd_, buf, sizeof buf, 0) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

int status_of(const std::string& response) {
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string error_code_of(const std::string& response) {
  const auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) return "";
  const json j = json::parse(response.substr(body + 4), nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "";
}

const std::string kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

class ServeLimits : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra) {
    files_ = testing::write_student(dir_.path());
    std::vector<std::string> args{"serve", "--model", dir_.path(), "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<Server>(args, dir_.path() + "/stderr");
    ASSERT_GT(server_->port(), 0) << server_->stderr_text();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->terminate(), 0) << server_->stderr_text();
    }
  }
  int port() const { return server_->port(); }

  TempDir dir_;
  testing::StudentFiles files_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServeLimits, ChunkedBodyOverTheLimitGets413WithoutBeingReadWhole) {
  start({"--max-body", "4096", "--threads", "1"});
  Connection c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send("POST /v1/parse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"));
  // Up to 64 MB in 64 kB chunks; the server must answer long before, and stop reading.
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  std::size_t sent = 0;
  for (int i = 0; i < 1024 && c.send(chunk); ++i) sent += 0x10000;
  EXPECT_LT(sent, 64u << 20) << "the server read a 64 MB chunked body to its end";
  const std::string response = c.read_response();
  EXPECT_EQ(status_of(response), 413) << response;
  EXPECT_EQ(error_code_of(response), "payload_too_large") << response;
  Connection after(port());
  ASSERT_TRUE(after.send(kHealth));
  EXPECT_EQ(status_of(after.read_response()), 200);
}

TEST_F(ServeLimits, ChunkedBodyWithinTheLimitIsServed) {
  start({});
  Connection c(port());
  const std::string body = R"({"text": "播放周杰伦的稻香"})";
  std::string request =
      "POST /v1/parse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += 7) {
    const std::string piece = body.substr(i, 7);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  ASSERT_TRUE(c.send(request + "0\r\n\r\n"));
  const std::string response = c.read_response();
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("稻香"), std::string::npos) << response;
}

TEST_F(ServeLimits, IdleConnectionsDoNotBlockOthers) {
  // One thread, a long idle deadline and more idle connections than threads: with a thread per
  // connection, /health would wait 60 s; the read timeout of 20 s would then fail the test.
  start({"--threads", "1", "--idle-timeout", "60"});
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<Connection>(port()));
  Connection half(port());
  ASSERT_TRUE(half.send("POST /v1/parse HTTP/1.1\r\nHost: x\r\n"));  // headers never finished
  for (int i = 0; i < 5; ++i) {
    Connection c(port());
    ASSERT_TRUE(c.send(kHealth));
    EXPECT_EQ(status_of(c.read_response(20000)), 200) << "request " << i;
  }
}

TEST_F(ServeLimits, ConnectionsBeyondTheCapGet503WithRetryAfter) {
  start({"--max-connections", "3"});
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Connection>(port()));
    ASSERT_TRUE(held.back()->send(kHealth));  // served, so surely counted before the next one
    ASSERT_EQ(status_of(held.back()->read_response()), 200);
  }
  Connection extra(port());
  extra.send(kHealth);
  const std::string refused = extra.read_response();
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_EQ(error_code_of(refused), "overloaded") << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  // Room again once one closes.
  held.pop_back();
  std::string response;
  for (int attempt = 0; attempt < 50 && status_of(response) != 200; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Connection again(port());
    again.send(kHealth);
    response = again.read_response();
  }
  EXPECT_EQ(status_of(response), 200) << response;
}

TEST_F(ServeLimits, SlowBodyGets408AndIdleKeepAliveIsClosed) {
  start({"--request-timeout", "1", "--idle-timeout", "1"});
  Connection slow(port());
  ASSERT_TRUE(
      slow.send("POST /v1/parse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 100\r\n\r\n{\"text\":"));
  const std::string response = slow.read_response();
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_EQ(error_code_of(response), "request_timeout") << response;

  Connection idle(port());
  EXPECT_TRUE(idle.closed_by_server(20000)) << "an idle connection outlived --idle-timeout 1";
}

TEST_F(ServeLimits, Http10AndKeepAlive) {
  start({});
  {  // HTTP/1.0 without keep-alive: a 1.0 response with a length, then the server closes.
    Connection c(port());
    ASSERT_TRUE(c.send("GET /health HTTP/1.0\r\n\r\n"));
    const std::string r = c.read_response();
    EXPECT_EQ(r.compare(0, 12, "HTTP/1.0 200"), 0) << r;
    EXPECT_NE(r.find("Content-Length: "), std::string::npos) << r;
    EXPECT_TRUE(c.closed_by_server(20000));
  }
  {  // HTTP/1.0 asking for keep-alive (ab -k): several requests on one connection.
    Connection c(port());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      const std::string r = c.read_response();
      EXPECT_EQ(r.compare(0, 12, "HTTP/1.0 200"), 0) << r;
    }
  }
  {  // HTTP/1.1 pipelined: both answered, in order.
    Connection c(port());
    ASSERT_TRUE(c.send(kHealth + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(status_of(c.read_response()), 200);
    EXPECT_EQ(status_of(c.read_response()), 404);
  }
}

TEST_F(ServeLimits, MalformedRequestsGetJsonErrors) {
  start({"--threads", "1"});
  const std::vector<std::pair<std::string, int>> cases = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET /health HTTP/9.9\r\n\r\n", 400},
      {"POST /v1/parse HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"POST /v1/parse HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"GET /health HTTP/1.1\r\nX: " + std::string(64 << 10, 'a') + "\r\n\r\n", 431},
      {"POST /v1/parse HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413},
  };
  for (const auto& [request, status] : cases) {
    Connection c(port());
    c.send(request);
    const std::string r = c.read_response();
    EXPECT_EQ(status_of(r), status) << request.substr(0, 60) << "\n" << r;
    EXPECT_FALSE(error_code_of(r).empty()) << r;
  }
  Connection c(port());
  ASSERT_TRUE(c.send(kHealth));
  EXPECT_EQ(status_of(c.read_response()), 200);
}

}  // namespace
}  // namespace jointnlu
