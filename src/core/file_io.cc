#include "core/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string_view>

namespace jointnlu {

std::string read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  if (std::filesystem::is_directory(path)) throw IoError(path, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path, "read error");
  return content;
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path == "-") {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) throw IoError("<stdout>", "write error");
    return;
  }
  remove_stale_temporaries(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(tmp, std::string("cannot create: ") + std::strerror(errno));
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw IoError(tmp, "write error (disk full?)");
    }
  }
  // fsync so that the rename never exposes a file whose data is still only in the page cache.
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path, "cannot rename temporary file into place: " + err);
  }
  fsync_directory(std::filesystem::absolute(path).parent_path().string());
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::size_t remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target = fs::absolute(path, ec);
  if (ec) return 0;
  const std::string name = target.filename().string();
  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string other = entry.path().filename().string();
    for (const std::string_view marker : {".tmp.", ".tmp-"}) {
      const std::string prefix = name + std::string(marker);
      if (other.size() <= prefix.size() || other.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string digits = other.substr(prefix.size());
      if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
        continue;
      const auto pid = static_cast<pid_t>(std::stol(digits));
      // Alive (or not ours to signal): leave it; only a writer that is gone cannot finish.
      if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
      std::error_code rm;
      if (fs::remove_all(entry.path(), rm) > 0 && !rm) ++removed;
    }
  }
  return removed;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic(path, [&](std::ostream& out) { out << content; });
}

}  // namespace jointnlu
