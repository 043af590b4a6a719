#include "report/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"

extern char** environ;

namespace jointnlu::report {
namespace {

namespace fs = std::filesystem;

// A mkdtemp directory, removed with everything in it when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "jointnlu-plot-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw IoError(pattern, std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string tail(const std::string& text, std::size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

std::string png_terminal(int width, int height, int font_size) {
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  const std::string font = std::to_string(font_size);
  // GPVAL_TERMINALS lists what this gnuplot build has; gnuplot-nox has both on Debian, but a
  // minimal build may lack cairo. libgd's png has no antialiasing, hence the preference.
  return "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "  set terminal pngcairo noenhanced size " +
         size + " font 'Sans," + font +
         "'\n"
         "} else {\n"
         "  set terminal png noenhanced size " +
         size + " font 'Sans," + font +
         "'\n"
         "}\n"
         "set encoding utf8\n";
}

std::map<std::string, std::string> run_gnuplot(const std::string& script,
                                               const std::map<std::string, std::string>& inputs,
                                               const std::vector<std::string>& outputs) {
  ScratchDir dir;
  for (const auto& [name, content] : inputs)
    write_file_atomic((dir.path() / name).string(), content);
  // gnuplot's own `cd` keeps the spawn simple (no chdir between fork and exec).
  const std::string script_path = (dir.path() / "plot.gp").string();
  write_file_atomic(script_path, "cd '" + dir.path().string() + "'\n" + script);
  const std::string log_path = (dir.path() / "gnuplot.log").string();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string program = "gnuplot";
  char* argv[] = {program.data(), const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error == ENOENT) throw GnuplotMissing();
  if (spawn_error != 0)
    throw GnuplotFailed(std::string("cannot start gnuplot: ") + std::strerror(spawn_error));

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw GnuplotFailed(std::string("waitpid: ") + std::strerror(errno));
  std::string log;
  if (fs::exists(log_path)) log = read_file(log_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw GnuplotFailed("gnuplot " + how + ": " + tail(log, 600));
  }

  std::map<std::string, std::string> produced;
  for (const auto& name : outputs) {
    const fs::path p = dir.path() / name;
    if (!fs::exists(p) || fs::file_size(p) == 0)
      throw GnuplotFailed("gnuplot wrote no " + name + ": " + tail(log, 600));
    produced[name] = read_file(p.string());
  }
  return produced;
}

}  // namespace jointnlu::report
