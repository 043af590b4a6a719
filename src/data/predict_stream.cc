#include "data/predict_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {

struct PredictReader::State {
  std::string path;
  std::size_t max_chars = 0;
  int fd = -1;
  bool owns_fd = false;
  bool eof = false;
  bool started = false;  // the first non-blank byte has been seen (array or lines decided)
  std::string buffer;    // bytes read and not yet consumed, from `pos`
  std::size_t pos = 0;
  bool skipping = false;  // inside a line longer than the limit: dropping bytes up to its end
  std::size_t line = 0;   // lines consumed
  std::size_t record = 0;
  std::vector<Record> array;  // an SMP JSON array's records, served from `next_in_array`
  std::size_t next_in_array = 0;
  bool is_array = false;
  bool array_loaded = false;

  // Reads what is available into `buffer`; false at end of input. Blocks unless `may_block` is
  // false and poll says nothing is ready, in which case it returns true having read nothing.
  bool fill(bool may_block, bool& would_block) {
    would_block = false;
    if (eof) return false;
    if (!may_block) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) {
        would_block = true;
        return true;
      }
    }
    if (pos > 0 && pos == buffer.size()) {
      buffer.clear();
      pos = 0;
    }
    char chunk[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoError(path, std::string("read failed: ") + std::strerror(errno));
      if (n == 0) {
        eof = true;
        return false;
      }
      if (pos > 0) {  // compact before growing
        buffer.erase(0, pos);
        pos = 0;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  // The next complete line (without its newline) into `out`; at end of input the unterminated
  // rest counts as a line. A line over the limit comes back as `too_long` (its bytes dropped as
  // they arrive, so memory stays bounded).
  enum class Line { kLine, kTooLong, kEnd, kWouldBlock };
  Line next_line(std::string& out, bool may_block) {
    for (;;) {
      const std::size_t nl = buffer.find('\n', pos);
      if (nl != std::string::npos) {
        ++line;
        if (skipping) {
          skipping = false;
          pos = nl + 1;
          return Line::kTooLong;
        }
        out.assign(buffer, pos, nl - pos);
        pos = nl + 1;
        if (out.size() > kMaxPredictLineBytes) return Line::kTooLong;
        return Line::kLine;
      }
      if (buffer.size() - pos > kMaxPredictLineBytes) {
        skipping = true;
        buffer.clear();
        pos = 0;
      }
      bool would_block = false;
      if (!fill(may_block, would_block)) {
        if (skipping) {
          ++line;
          skipping = false;
          return Line::kTooLong;
        }
        if (pos < buffer.size()) {
          ++line;
          out.assign(buffer, pos, std::string::npos);
          pos = buffer.size();
          return Line::kLine;
        }
        return Line::kEnd;
      }
      if (would_block) return Line::kWouldBlock;
    }
  }

  // Decides between an SMP array and lines at the first non-blank byte (after a UTF-8 BOM, which
  // is dropped). Returns false when it must wait for input (may_block false).
  bool start(bool may_block, bool& would_block) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    would_block = false;
    while (!started) {
      const std::string_view v = std::string_view(buffer).substr(pos);
      // A BOM may arrive split across reads: wait for three bytes (or the end) before judging.
      const bool maybe_bom = v.size() < kBom.size() && kBom.substr(0, v.size()) == v;
      if (!maybe_bom || eof) {
        if (v.starts_with(kBom)) pos += kBom.size();
        const std::string_view rest = std::string_view(buffer).substr(pos);
        const std::size_t first = rest.find_first_not_of(" \t\r\n");
        if (first != std::string_view::npos || eof) {
          started = true;
          is_array = first != std::string_view::npos && rest[first] == '[';
          break;
        }
      }
      fill(may_block, would_block);
      if (would_block) return false;
    }
    if (is_array && !array_loaded) {
      array_loaded = true;
      bool wb = false;
      while (fill(true, wb)) {
      }
      ReadOptions read;
      read.format = DataFormat::kSmpJson;
      read.max_chars = max_chars;
      buffer.erase(0, pos);
      pos = 0;
      array = parse_records(path, buffer, read);
      buffer.clear();
      pos = 0;
    }
    return true;
  }

  void item_from_line(const std::string& raw, PredictItem& item) {
    std::string_view text = raw;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    item.where = SourceLocation{path == "-" ? "<stdin>" : path, ++record, line};
    item.problem.reset();
    item.text.clear();
    const std::size_t first = text.find_first_not_of(" \t");
    if (text[first] == '{') {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        item.problem = std::string("malformed JSON line: ") + e.what();
        return;
      }
      if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
        item.problem = "a JSON line needs a string field \"text\"";
        return;
      }
      item.text = j["text"].get<std::string>();
    } else {
      item.text.assign(text);
    }
    if (auto problem = check_text(item.text, max_chars)) {
      item.problem = std::move(problem);
      item.text.clear();
    }
  }
};

PredictReader::PredictReader(const std::string& path, std::size_t max_chars)
    : state_(std::make_unique<State>()) {
  state_->path = path;
  state_->max_chars = max_chars;
  if (path == "-") {
    state_->fd = STDIN_FILENO;
  } else {
    state_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (state_->fd < 0) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
    state_->owns_fd = true;
  }
}

PredictReader::~PredictReader() {
  if (state_->owns_fd) ::close(state_->fd);
}

PredictReader::Status PredictReader::next(PredictItem& item, bool may_block) {
  State& s = *state_;
  bool would_block = false;
  if (!s.start(may_block, would_block)) return would_block ? Status::kWouldBlock : Status::kEnd;
  if (s.is_array) {
    if (s.next_in_array >= s.array.size()) return Status::kEnd;
    item.where = SourceLocation{s.path, s.next_in_array + 1, 0};
    item.text = std::move(s.array[s.next_in_array++].text);
    item.problem.reset();
    return Status::kItem;
  }
  std::string raw;
  for (;;) {
    switch (s.next_line(raw, may_block)) {
      case State::Line::kEnd:
        return Status::kEnd;
      case State::Line::kWouldBlock:
        return Status::kWouldBlock;
      case State::Line::kTooLong:
        item.where = SourceLocation{s.path == "-" ? "<stdin>" : s.path, ++s.record, s.line};
        item.text.clear();
        item.problem = "line longer than " + std::to_string(kMaxPredictLineBytes) + " bytes";
        return Status::kItem;
      case State::Line::kLine:
        if (raw.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
        s.item_from_line(raw, item);
        return Status::kItem;
    }
  }
}

namespace {

// The records read since the last flush: texts to parse and, in order between them, bad records.
struct Pending {
  std::vector<std::string> texts;
  std::vector<PredictItem> order;  // every record; good ones hold no text (it moved to `texts`)
  std::size_t bytes = 0;

  void flush(std::ostream& out, const ParseBatch& parse, PredictStreamReport& report) {
    if (order.empty()) return;
    const std::vector<Prediction> predictions =
        texts.empty() ? std::vector<Prediction>{} : parse(texts);
    if (predictions.size() != texts.size())
      throw std::logic_error("predict: the parser returned " + std::to_string(predictions.size()) +
                             " predictions for " + std::to_string(texts.size()) + " texts");
    std::size_t t = 0;
    for (const PredictItem& item : order) {
      if (item.problem) {
        out << nlohmann::json{{"error", DataError(item.where, *item.problem).what()},
                              {"record", item.where.record},
                              {"line", item.where.line}}
                   .dump()
            << "\n";
        ++report.skipped;
      } else {
        out << prediction_json_line(texts[t], predictions[t]) << "\n";
        ++t;
        ++report.predicted;
      }
    }
    out.flush();
    texts.clear();
    order.clear();
    bytes = 0;
  }
};

}  // namespace

PredictStreamReport stream_predictions(PredictReader& in, std::ostream& out,
                                       const ParseBatch& parse,
                                       const PredictStreamOptions& options) {
  PredictStreamReport report;
  Pending pending;
  const std::size_t batch = std::max<std::size_t>(options.batch, 1);
  constexpr std::size_t kMaxPendingBytes = std::size_t{4} << 20;
  PredictItem item;
  for (;;) {
    // Block only when nothing waits to be parsed: otherwise parse what is there first.
    const auto status = in.next(item, /*may_block=*/pending.order.empty());
    if (status == PredictReader::Status::kEnd) break;
    if (status == PredictReader::Status::kWouldBlock) {
      pending.flush(out, parse, report);
      continue;
    }
    if (item.problem && options.on_error == OnError::kReject) {
      pending.flush(out, parse, report);
      throw DataError(item.where, *item.problem);
    }
    if (!item.problem) {
      pending.bytes += item.text.size();
      pending.texts.push_back(std::move(item.text));
      item.text.clear();
    }
    pending.order.push_back(item);
    if (pending.texts.size() >= batch || pending.bytes >= kMaxPendingBytes)
      pending.flush(out, parse, report);
  }
  pending.flush(out, parse, report);
  return report;
}

PredictStreamReport predict_stream(const std::string& input, const std::string& out,
                                   std::size_t max_chars, const ParseBatch& parse,
                                   const PredictStreamOptions& options) {
  PredictReader reader(input, max_chars);
  if (out.empty() || out == "-") return stream_predictions(reader, std::cout, parse, options);
  PredictStreamReport report;
  std::optional<DataError> stopped;
  write_file_atomic(out, [&](std::ostream& os) {
    try {
      report = stream_predictions(reader, os, parse, options);
    } catch (const DataError& e) {
      stopped = e;  // keep the lines before it: the file is still written
    }
  });
  if (stopped) throw *stopped;
  return report;
}

}  // namespace jointnlu
