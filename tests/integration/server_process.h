// `jointnlu ARGS` as a server in a child process, for the integration tests of `serve`: started
// with stderr to a log file, its port read from what it prints, every wait bounded.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"

namespace jointnlu::testing {

class Server {
 public:
  // Starts the binary with stderr to a file; waits (bounded) for the port it prints.
  Server(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    // The log exists before the child runs, so reading it while the child starts never fails.
    std::ofstream(log, std::ios::trunc).flush();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      std::vector<char*> argv{const_cast<char*>(JOINTNLU_BINARY)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(JOINTNLU_BINARY, argv.data());
      ::_exit(127);
    }
    try {
      const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
      for (int i = 0; i < 600 && port_ == 0; ++i) {  // up to 60 s on a loaded machine
        std::smatch m;
        const std::string err = stderr_text();
        if (std::regex_search(err, m, listening))
          port_ = std::stoi(m[1]);
        else
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } catch (...) {
      // A throwing constructor runs no destructor: stop the child here, or it outlives the test
      // and its directory.
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      throw;
    }
  }
  ~Server() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  int port() const { return port_; }
  std::string stderr_text() const { return read_file(log_); }

  // SIGTERM, then waits up to 30 s; returns the exit status, or -1 if it had to be killed.
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool reaped_ = false;
};

}  // namespace jointnlu::testing
