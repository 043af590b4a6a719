// A load generator for `jointnlu serve`, loopback only and bounded in time: the client side of
// bench/serve_load.sh. Phases (each optional):
//   load:    --clients keep-alive clients each send --requests POST /v1/parse, while --idle
//            connections are held open (reopened when the server drops them) and --slow clients
//            trickle request bodies one byte at a time, and a prober times GET /health;
//   chunked: one POST with a --chunked-mb chunked body: the status and how much the server read;
//   cap:     holds --cap connections (each served once), then checks that --cap-extra more get 503.
// Prints one JSON object on stdout. Plain POSIX sockets, one thread per client: what is measured
// is the server, not an event library.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Args {
  int port = 0;
  int clients = 64;
  int requests = 10000;  // per client
  int idle = 200;
  int slow = 20;
  int health_interval_ms = 20;
  int chunked_mb = 0;
  int cap = 0;
  int cap_extra = 10;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// One response: its status (0 on EOF, error or timeout) and whether the server keeps the
// connection open. `pending` carries bytes read beyond it.
struct Response {
  int status = 0;
  bool keep_alive = false;
};

Response read_response(int fd, std::string& pending, int timeout_ms) {
  std::string& data = pending;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto cl = data.find("Content-Length: ");
      std::size_t length = 0;
      if (cl != std::string::npos && cl < head_end)
        length = std::strtoul(data.c_str() + cl + 16, nullptr, 10);
      if (data.size() >= head_end + 4 + length) {
        Response r;
        r.status = data.size() > 12 ? std::atoi(data.c_str() + 9) : 0;
        const std::string head = data.substr(0, head_end);
        r.keep_alive = head.find("Connection: close") == std::string::npos &&
                       head.compare(0, 8, "HTTP/1.0") != 0;
        data.erase(0, head_end + 4 + length);
        return r;
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return {};
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    data.append(buf, static_cast<std::size_t>(n));
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string post(const std::string& body) {
  return "POST /v1/parse HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

const char* const kTexts[] = {"播放周杰伦的稻香",   "明天北京天气怎么样", "打开微信",
                              "我想听张学友的歌",   "给妈妈打电话",       "宫保鸡丁怎么做",
                              "导航到最近的加油站", "把空调调到二十六度"};

json load_phase(const Args& a) {
  std::atomic<bool> done{false};
  std::atomic<long> good{0}, failed{0}, reconnects{0}, idle_reopened{0}, slow_408{0}, slow_other{0};
  std::mutex latency_mutex;
  std::vector<double> latencies, health;
  std::vector<std::string> failures;

  // Idle connections: opened, never written to, reopened when the server drops them.
  std::thread idle([&] {
    std::vector<int> fds;
    for (int i = 0; i < a.idle; ++i) fds.push_back(connect_to(a.port));
    while (!done) {
      std::vector<pollfd> ps;
      for (int fd : fds) ps.push_back({fd, POLLIN, 0});
      ::poll(ps.data(), ps.size(), 100);
      for (std::size_t i = 0; i < ps.size(); ++i)
        if (ps[i].revents != 0 || fds[i] < 0) {
          if (fds[i] >= 0) ::close(fds[i]);
          fds[i] = connect_to(a.port);
          ++idle_reopened;
        }
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  });

  // Slow clients: headers promise 200 bytes; one byte every 100 ms.
  std::vector<std::thread> slow;
  for (int s = 0; s < a.slow; ++s)
    slow.emplace_back([&] {
      while (!done) {
        const int fd = connect_to(a.port);
        if (fd < 0) continue;
        send_all(fd,
                 "POST /v1/parse HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\n"
                 "Content-Length: 200\r\n\r\n");
        std::string pending;
        for (int i = 0; i < 200 && !done; ++i) {
          if (!send_all(fd, "x")) break;
          pollfd p{fd, POLLIN, 0};
          if (::poll(&p, 1, 100) > 0) break;  // the server answered (408) or closed
        }
        const Response r = read_response(fd, pending, 100);
        if (r.status == 408)
          ++slow_408;
        else if (!done)
          ++slow_other;
        ::close(fd);
      }
    });

  std::thread prober([&] {
    int fd = connect_to(a.port);
    std::string pending;
    while (!done) {
      const auto t0 = Clock::now();
      if (fd < 0 || !send_all(fd, "GET /health HTTP/1.1\r\nHost: load\r\n\r\n")) {
        if (fd >= 0) ::close(fd);
        fd = connect_to(a.port);
        continue;
      }
      const Response r = read_response(fd, pending, 10000);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (r.status == 200) {
        std::lock_guard lock(latency_mutex);
        health.push_back(ms);
      } else {
        ::close(fd);
        pending.clear();
        fd = connect_to(a.port);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(a.health_interval_ms));
    }
    if (fd >= 0) ::close(fd);
  });

  // Let the idle and slow connections settle in before the load starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < a.clients; ++c)
    clients.emplace_back([&, c] {
      std::vector<double> mine;
      mine.reserve(a.requests);
      int fd = connect_to(a.port);
      std::string pending;
      for (int i = 0; i < a.requests; ++i) {
        const std::string request =
            post(std::string("{\"text\": \"") + kTexts[(c + i) % std::size(kTexts)] + "\"}");
        const auto t0 = Clock::now();
        Response r;
        for (int attempt = 0; attempt < 2 && r.status == 0; ++attempt) {
          if (fd < 0 || !send_all(fd, request)) {
            if (fd >= 0) ::close(fd);
            fd = connect_to(a.port);
            pending.clear();
            ++reconnects;
            continue;
          }
          r = read_response(fd, pending, 30000);
          if (r.status == 0 && attempt == 0) {  // a keep-alive close raced the request: retry once
            ::close(fd);
            fd = -1;
          }
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (r.status == 200) {
          ++good;
        } else {
          ++failed;
          std::lock_guard lock(latency_mutex);
          if (failures.size() < 10) failures.push_back("status " + std::to_string(r.status));
        }
        if (!r.keep_alive && fd >= 0) {
          ::close(fd);
          fd = -1;
        }
      }
      if (fd >= 0) ::close(fd);
      std::lock_guard lock(latency_mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  idle.join();
  for (auto& t : slow) t.join();
  prober.join();
  return {{"clients", a.clients},
          {"requests_per_client", a.requests},
          {"good", good.load()},
          {"failed", failed.load()},
          {"failures", failures},
          {"seconds", seconds},
          {"requests_per_second", static_cast<double>(good.load()) / seconds},
          {"latency_ms",
           {{"p50", percentile(latencies, 0.5)},
            {"p99", percentile(latencies, 0.99)},
            {"max", percentile(latencies, 1.0)}}},
          {"health",
           {{"probes", health.size()},
            {"p50_ms", percentile(health, 0.5)},
            {"p99_ms", percentile(health, 0.99)},
            {"max_ms", percentile(health, 1.0)}}},
          {"idle_connections", a.idle},
          {"idle_reopened", idle_reopened.load()},
          {"slow_clients", a.slow},
          {"slow_answered_408", slow_408.load()},
          {"slow_other_endings", slow_other.load()},
          {"client_reconnects", reconnects.load()}};
}

json chunked_phase(const Args& a) {
  const int fd = connect_to(a.port);
  send_all(fd,
           "POST /v1/parse HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  const std::size_t total = static_cast<std::size_t>(a.chunked_mb) << 20;
  std::size_t sent = 0;
  const auto t0 = Clock::now();
  // Stop sending once the server has answered (or stopped reading).
  while (sent < total) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;
    if (!send_all(fd, chunk)) break;
    sent += 0x10000;
  }
  if (sent >= total) send_all(fd, "0\r\n\r\n");
  std::string pending;
  const Response r = read_response(fd, pending, 30000);
  ::close(fd);
  return {{"body_mb", a.chunked_mb},
          {"status", r.status},
          {"sent_before_answer_mb", static_cast<double>(sent) / (1 << 20)},
          {"seconds", std::chrono::duration<double>(Clock::now() - t0).count()}};
}

json cap_phase(const Args& a) {
  std::vector<int> held;
  std::string pending;
  for (int i = 0; i < a.cap; ++i) {
    const int fd = connect_to(a.port);
    send_all(fd, "GET /health HTTP/1.1\r\nHost: load\r\n\r\n");
    pending.clear();
    if (read_response(fd, pending, 10000).status != 200) break;
    held.push_back(fd);
  }
  int refused = 0, other = 0;
  double worst_ms = 0;
  for (int i = 0; i < a.cap_extra; ++i) {
    const auto t0 = Clock::now();
    const int fd = connect_to(a.port);
    send_all(fd, "GET /health HTTP/1.1\r\nHost: load\r\n\r\n");
    pending.clear();
    const Response r = read_response(fd, pending, 10000);
    worst_ms =
        std::max(worst_ms, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    (r.status == 503 ? refused : other)++;
    ::close(fd);
  }
  for (int fd : held) ::close(fd);
  return {{"held", held.size()},
          {"extra", a.cap_extra},
          {"answered_503", refused},
          {"answered_otherwise", other},
          {"slowest_ms", worst_ms}};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--port")
      a.port = v;
    else if (k == "--clients")
      a.clients = v;
    else if (k == "--requests")
      a.requests = v;
    else if (k == "--idle")
      a.idle = v;
    else if (k == "--slow")
      a.slow = v;
    else if (k == "--health-interval-ms")
      a.health_interval_ms = v;
    else if (k == "--chunked-mb")
      a.chunked_mb = v;
    else if (k == "--cap")
      a.cap = v;
    else if (k == "--cap-extra")
      a.cap_extra = v;
    else {
      std::fprintf(stderr, "serve_load: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.port <= 0) {
    std::fprintf(stderr,
                 "usage: serve_load --port P [--clients 64 --requests 10000 --idle 200 --slow 20]"
                 " [--chunked-mb 200] [--cap N --cap-extra 10]\n");
    return 2;
  }
  json out;
  if (a.cap > 0) {
    out["cap"] = cap_phase(a);
  } else if (a.chunked_mb > 0) {
    out["chunked"] = chunked_phase(a);
  } else {
    out["load"] = load_phase(a);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
