// `predict` as a stream: records are read, parsed in small batches and written one JSON line each,
// in bounded memory, flushing after every batch, so a slow producer on stdin sees each result as
// soon as its line is parsed and a bad line costs only itself (skip) or the lines after it
// (reject). Shared by the student runtime and the teacher (the training plugin) through a parse
// callback.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/decoding.h"
#include "core/error.h"
#include "data/dataset.h"

namespace jointnlu {

// Longest input line accepted, in bytes (the server's body limit): a longer one is a bad record,
// read past without being held in memory.
inline constexpr std::size_t kMaxPredictLineBytes = std::size_t{1} << 20;

// One input record: its text, or why it is bad.
struct PredictItem {
  SourceLocation where;
  std::string text;
  std::optional<std::string> problem;  // set: a bad record (text empty)
};

// Reads what `predict` reads, one record at a time: lines of plain text or JSON objects with a
// string "text" (blank lines skipped; CRLF and a UTF-8 BOM accepted), or an SMP JSON array (a
// document, read whole). Texts are checked as check_text does.
class PredictReader {
 public:
  // "-" is stdin. Throws IoError when the file cannot be opened.
  PredictReader(const std::string& path, std::size_t max_chars);
  ~PredictReader();
  PredictReader(const PredictReader&) = delete;
  PredictReader& operator=(const PredictReader&) = delete;

  enum class Status { kItem, kEnd, kWouldBlock };
  // The next record into `item`. may_block false: kWouldBlock when no complete record is buffered
  // and the input has nothing to read right now (a pipe whose writer is slow). Throws IoError on a
  // read error and DataError for a malformed SMP JSON array.
  Status next(PredictItem& item, bool may_block = true);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct PredictStreamOptions {
  std::size_t batch = 256;  // texts parsed together (at most; fewer when the input would block)
  OnError on_error = OnError::kReject;  // kReject: stop at a bad record; kSkip: error line, go on
};

struct PredictStreamReport {
  std::size_t predicted = 0;
  std::size_t skipped = 0;  // bad records written as error lines (kSkip)
};

// Parses a batch of texts; returns one prediction per text, in order.
using ParseBatch = std::function<std::vector<Prediction>(const std::vector<std::string>&)>;

// Reads every record from `in`, writes prediction_json_line for each good one and, under kSkip,
// {"error": MESSAGE, "record": R, "line": L} for each bad one, in input order, flushing `out`
// after every batch. Under kReject the lines before a bad record are written and flushed, then a
// DataError naming it is thrown.
PredictStreamReport stream_predictions(PredictReader& in, std::ostream& out,
                                       const ParseBatch& parse,
                                       const PredictStreamOptions& options);

// `predict` end to end: from `input` ("-": stdin) to `out` (empty or "-": stdout, else a file
// written through a temporary and renamed, also when a bad record stops the stream, so the lines
// before it are kept). Rethrows that DataError after the rename.
PredictStreamReport predict_stream(const std::string& input, const std::string& out,
                                   std::size_t max_chars, const ParseBatch& parse,
                                   const PredictStreamOptions& options);

}  // namespace jointnlu
