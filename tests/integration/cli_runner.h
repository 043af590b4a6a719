// Runs the built jointnlu binary as a user would and captures what it prints.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace jointnlu::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `jointnlu ARGS` through the shell (ARGS may contain redirections), with stderr captured to a
// file.
inline CliResult run_cli(const std::string& args, const std::string& workdir = "") {
  TempDir tmp;
  const std::string err_path = tmp.path() + "/stderr";
  std::string cmd = std::string(JOINTNLU_BINARY) + " " + args + " 2>" + err_path;
  if (!workdir.empty()) cmd = "cd '" + workdir + "' && " + cmd;
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace jointnlu::testing
