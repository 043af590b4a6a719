// Whole-file reads and atomic writes. "-" means stdin / stdout.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>

namespace jointnlu {

// A file that cannot be read or written; what() is "PATH: REASON".
class IoError : public std::runtime_error {
 public:
  IoError(const std::string& path, const std::string& reason)
      : std::runtime_error(path + ": " + reason), path_(path), reason_(reason) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

// Reads a file (or stdin for "-") completely. Throws IoError naming the path.
std::string read_file(const std::string& path);

// Writes through `write` into PATH.tmp.<pid>, flushes, fsyncs and renames it over path, then
// fsyncs the directory (so the rename itself survives a power loss), so a reader never sees a
// half-written file. Temporaries of PATH that killed writers left behind are removed first. For
// "-" writes to stdout directly. Throws IoError.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomic(const std::string& path, const std::string& content);

// fsyncs a directory, making the renames and creations inside it durable. Errors are ignored
// (some file systems cannot fsync a directory; the data itself was synced already).
void fsync_directory(const std::string& dir);

// Removes PATH.tmp.<pid> and PATH.tmp-<pid> (files or directories) whose writer process <pid> is
// no longer alive: what a killed atomic write leaves. Returns how many it removed.
std::size_t remove_stale_temporaries(const std::string& path);

}  // namespace jointnlu
