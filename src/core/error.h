// Errors raised for bad input data. Each names where the problem is, so a user can fix the file.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace jointnlu {

// Where a record came from. record and line are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  std::size_t record = 0;
  std::size_t line = 0;

  // "train.json: record 12 (line 80)" — the prefix of every data error message.
  std::string to_string() const;
};

// A problem with input data: malformed syntax, missing fields, unalignable slots, bad tags...
class DataError : public std::runtime_error {
 public:
  DataError(SourceLocation where, const std::string& reason);

  const SourceLocation& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation where_;
  std::string reason_;
};

// A model file or directory that cannot be used: bad config.json, missing / mis-shaped / mistyped
// tensor, corrupt metadata. what() names the file and, where it applies, the field or tensor.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace jointnlu
