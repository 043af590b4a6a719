#include "core/error.h"

namespace jointnlu {

std::string SourceLocation::to_string() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (record > 0) out += ": record " + std::to_string(record);
  if (line > 0)
    out += (record > 0 ? " (line " : ": line ") + std::to_string(line) + (record > 0 ? ")" : "");
  return out;
}

DataError::DataError(SourceLocation where, const std::string& reason)
    : std::runtime_error(where.to_string() + ": " + reason),
      where_(std::move(where)),
      reason_(reason) {}

}  // namespace jointnlu
