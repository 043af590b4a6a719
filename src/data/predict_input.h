// What `predict` reads and what scoring a model's predictions needs, shared by the teacher (the
// training plugin) and the student runtime (the light binary), so both accept the same input.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/decoding.h"
#include "core/example.h"

namespace jointnlu {

// An SMP JSON array (its texts), or lines that are either JSON objects with a string "text" field
// or plain text. Blank lines are skipped. Throws DataError naming the file, record and line for
// malformed JSON or a text check_text rejects (invalid UTF-8, control characters, too long), and
// IoError when unreadable. "-" is stdin.
std::vector<std::string> read_predict_input(const std::string& path, std::size_t max_chars);

// Text + predicted frame as records, for the scorer.
std::vector<Record> records_from_predictions(const std::vector<std::string>& texts,
                                             const std::vector<Prediction>& predictions);

}  // namespace jointnlu
