#include "data/dataset.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"
#include "core/tagging.h"

namespace jointnlu {
namespace {

using ordered_json = nlohmann::ordered_json;

std::size_t line_of(const std::string& content, std::size_t byte) {
  byte = std::min(byte, content.size());
  return 1 + static_cast<std::size_t>(
                 std::count(content.begin(), content.begin() + static_cast<long>(byte), '\n'));
}

// Byte offsets where each top-level array element of a JSON document starts, found by a scan that
// tracks strings and nesting. It lets errors name a record and its line without a position-aware
// parser.
std::vector<std::size_t> element_starts(const std::string& content) {
  std::vector<std::size_t> starts;
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  bool expect_element = false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (depth == 1 && expect_element) {
      starts.push_back(i);
      expect_element = false;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      ++depth;
      if (depth == 1 && c == '[') expect_element = true;
    } else if (c == ']' || c == '}')
      --depth;
    else if (c == ',' && depth == 1)
      expect_element = true;
  }
  return starts;
}

std::string type_name(const ordered_json& j) { return j.type_name(); }

const ordered_json& required_field(const ordered_json& obj, const char* name,
                                   const SourceLocation& where) {
  auto it = obj.find(name);
  if (it == obj.end()) throw DataError(where, std::string("missing field '") + name + "'");
  return *it;
}

std::string required_string(const ordered_json& obj, const char* name,
                            const SourceLocation& where) {
  const auto& v = required_field(obj, name, where);
  if (!v.is_string())
    throw DataError(where,
                    std::string("field '") + name + "' must be a string, not " + type_name(v));
  return v.get<std::string>();
}

void check_label(const std::string& value, const char* name, const SourceLocation& where) {
  std::string error;
  if (!decode_utf8(value, &error))
    throw DataError(where, std::string("field '") + name + "': " + error);
  if (value.empty()) throw DataError(where, std::string("field '") + name + "' is empty");
}

Record record_from_json(const ordered_json& j, const SourceLocation& where,
                        const ReadOptions& options) {
  if (!j.is_object()) throw DataError(where, "expected an object, found " + type_name(j));
  Record r;
  r.where = where;
  r.text = required_string(j, "text", where);
  if (auto problem = check_text(r.text, options.max_chars))
    throw DataError(where, "text '" + abbreviate(r.text) + "': " + *problem);
  r.domain = required_string(j, "domain", where);
  check_label(r.domain, "domain", where);
  r.intent = required_string(j, "intent", where);
  check_label(r.intent, "intent", where);
  const auto& slots = required_field(j, "slots", where);
  if (!slots.is_object())
    throw DataError(where, "field 'slots' must be an object, not " + type_name(slots));
  for (const auto& item : slots.items()) {
    // Named copies, not a structured binding: lambdas may capture those only from clang 16 on.
    const std::string key = item.key();
    const auto& value = item.value();
    check_label(key, "slots", where);
    auto add = [&](const ordered_json& v) {
      if (!v.is_string())
        throw DataError(where, "slot '" + key + "' must be a string or a list of strings, found " +
                                   type_name(v));
      const auto s = v.get<std::string>();
      if (s.empty()) throw DataError(where, "slot '" + key + "' has an empty value");
      r.slots.emplace_back(key, s);
    };
    if (value.is_array()) {
      if (value.empty()) throw DataError(where, "slot '" + key + "' is an empty list");
      for (const auto& v : value) add(v);
    } else {
      add(value);
    }
  }
  return r;
}

// Runs `parse` for one record, applying the error policy. Returns false if the record was skipped.
template <typename F>
bool guarded(const ReadOptions& options, ReadReport* report, F&& parse) {
  try {
    parse();
    return true;
  } catch (const DataError& e) {
    if (options.on_error == OnError::kReject) throw;
    if (report) report->skipped.push_back(e);
    return false;
  }
}

std::vector<Record> parse_smp_json(const std::string& path, const std::string& content,
                                   const ReadOptions& options, ReadReport* report) {
  const auto starts = element_starts(content);
  auto record_at = [&](std::size_t byte) {
    return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), byte) -
                                    starts.begin());
  };
  ordered_json doc;
  try {
    doc = ordered_json::parse(content);
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    SourceLocation where{path, record_at(byte), line_of(content, byte)};
    std::string msg = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line L,
    // column C: ".
    if (auto pos = msg.find("parse error"); pos != std::string::npos) msg = msg.substr(pos);
    throw DataError(where, "malformed JSON: " + msg);
  } catch (const nlohmann::json::exception& e) {
    throw DataError({path, 0, 0}, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_array())
    throw DataError({path, 0, 1}, "expected a JSON array of records, found " + type_name(doc));
  std::vector<Record> out;
  out.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    SourceLocation where{path, i + 1, i < starts.size() ? line_of(content, starts[i]) : 0};
    guarded(options, report, [&] { out.push_back(record_from_json(doc[i], where, options)); });
  }
  if (report) report->records = doc.size();
  return out;
}

std::vector<Record> parse_jsonl(const std::string& path, const std::string& content,
                                const ReadOptions& options, ReadReport* report) {
  std::vector<Record> out;
  std::size_t line_no = 0;
  std::size_t record = 0;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++record;
    SourceLocation where{path, record, line_no};
    guarded(options, report, [&] {
      ordered_json j;
      try {
        j = ordered_json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        std::string msg = e.what();
        if (auto pos = msg.find("parse error"); pos != std::string::npos) msg = msg.substr(pos);
        throw DataError(where, "malformed JSON: " + msg);
      }
      out.push_back(record_from_json(j, where, options));
    });
  }
  if (report) report->records = record;
  return out;
}

std::vector<std::string> read_lines(const std::string& content) {
  std::vector<std::string> lines;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// The intents of a CoNLL file, one per line, from its parallel file (trailing blank lines dropped).
std::vector<std::string> read_conll_intents(const std::string& path,
                                            const std::string& intent_path) {
  std::vector<std::string> intents;
  try {
    intents = read_lines(read_file(intent_path));
  } catch (const IoError& e) {
    throw DataError(
        {path, 0, 0},
        std::string("CoNLL data needs its intents, one per line, in a parallel file: ") + e.what());
  }
  while (!intents.empty() && intents.back().empty()) intents.pop_back();
  return intents;
}

// One utterance of a CoNLL file as read, before it is checked.
struct ConllUtterance {
  std::vector<std::string> tokens, tags;
  std::size_t first_line = 0;
  std::size_t error_line = 0;  // first malformed line, reported when the utterance is built
  std::string error;
};

// The lines grouped into utterances (blank lines separate them).
std::vector<ConllUtterance> split_conll(const std::string& content) {
  std::vector<ConllUtterance> utterances;
  ConllUtterance cur;
  const auto lines = read_lines(content);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (cur.first_line != 0) utterances.push_back(std::move(cur));
      cur = ConllUtterance{};
      continue;
    }
    if (cur.first_line == 0) cur.first_line = i + 1;
    // The tag follows the last separator; the token is everything before it, and may itself be a
    // space (CAIS writes a space inside an utterance as the line "  O").
    const auto sep = line.find_last_of(" \t");
    if (sep == std::string::npos || sep == 0 || sep + 1 == line.size()) {
      if (cur.error.empty()) {
        cur.error_line = i + 1;
        cur.error = "expected 'token TAG', found '" + abbreviate(line) + "'";
      }
      continue;
    }
    cur.tokens.push_back(line.substr(0, sep));
    cur.tags.push_back(line.substr(sep + 1));
  }
  if (cur.first_line != 0) utterances.push_back(std::move(cur));
  return utterances;
}

// Utterance u (0-based) with its intent as a Record; throws DataError naming file and line.
Record conll_record(const ConllUtterance& p, std::size_t u, const std::string& intent,
                    const std::string& path, const std::string& intent_path,
                    const ReadOptions& options) {
  const SourceLocation where{path, u + 1, p.first_line};
  if (!p.error.empty()) throw DataError({path, u + 1, p.error_line}, p.error);
  Record r;
  r.where = where;
  r.domain = options.conll_domain;
  r.intent = intent;
  if (r.intent.empty()) throw DataError({intent_path, u + 1, u + 1}, "empty intent");
  check_label(r.intent, "intent", {intent_path, u + 1, u + 1});
  // Tokens are usually single characters; a longer token's tag covers all its characters.
  std::vector<std::size_t> char_start;
  std::size_t chars = 0;
  for (const auto& t : p.tokens) {
    std::string error;
    auto d = decode_utf8(t, &error);
    if (!d) throw DataError(where, "token '" + abbreviate(t) + "': " + error);
    char_start.push_back(chars);
    chars += d->chars.size();
    r.text += t;
  }
  char_start.push_back(chars);
  if (auto problem = check_text(r.text, options.max_chars))
    throw DataError(where, "text '" + abbreviate(r.text) + "': " + *problem);
  std::vector<Span> spans;
  try {
    spans = tags_to_spans(p.tags, detect_scheme(p.tags));
  } catch (const TaggingError& e) {
    throw DataError(where, std::string(e.what()) + " in '" + abbreviate(r.text) + "'");
  }
  for (auto& s : spans) {
    s.begin = char_start[s.begin];
    s.end = char_start[s.end];
  }
  Example view;
  view.text = r.text;
  view.decoded = *decode_utf8(r.text);
  view.spans = spans;
  r.slots = view.slots();
  r.spans = std::move(spans);
  return r;
}

std::vector<Record> parse_conll(const std::string& path, const std::string& content,
                                const ReadOptions& options, ReadReport* report) {
  const std::string intent_path =
      options.conll_intent_path.empty() ? path + ".intent" : options.conll_intent_path;
  const auto intents = read_conll_intents(path, intent_path);
  const auto utterances = split_conll(content);
  if (utterances.size() != intents.size())
    throw DataError({intent_path, 0, 0}, std::to_string(intents.size()) + " intents for " +
                                             std::to_string(utterances.size()) + " utterances in " +
                                             path);
  std::vector<Record> out;
  out.reserve(utterances.size());
  for (std::size_t u = 0; u < utterances.size(); ++u)
    guarded(options, report, [&] {
      out.push_back(conll_record(utterances[u], u, intents[u], path, intent_path, options));
    });
  if (report) report->records = utterances.size();
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* format_name(DataFormat format) {
  switch (format) {
    case DataFormat::kAuto:
      return "auto";
    case DataFormat::kSmpJson:
      return "smp";
    case DataFormat::kJsonLines:
      return "jsonl";
    case DataFormat::kConll:
      return "conll";
  }
  return "?";
}

DataFormat parse_format(const std::string& name) {
  for (auto f :
       {DataFormat::kAuto, DataFormat::kSmpJson, DataFormat::kJsonLines, DataFormat::kConll})
    if (name == format_name(f)) return f;
  throw std::invalid_argument("unknown data format '" + name +
                              "' (expected auto, smp, jsonl or conll)");
}

DataFormat detect_format(const std::string& path, const std::string& content) {
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")) return DataFormat::kJsonLines;
  const auto first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '[') return DataFormat::kSmpJson;
  if (first != std::string::npos && content[first] == '{') return DataFormat::kJsonLines;
  if (ends_with(path, ".json")) return DataFormat::kSmpJson;
  return DataFormat::kConll;
}

std::vector<Record> parse_records(const std::string& path, const std::string& content,
                                  const ReadOptions& options, ReadReport* report) {
  const DataFormat format =
      options.format == DataFormat::kAuto ? detect_format(path, content) : options.format;
  if (report) {
    *report = ReadReport{};
    report->format = format;
  }
  switch (format) {
    case DataFormat::kSmpJson:
      return parse_smp_json(path, content, options, report);
    case DataFormat::kJsonLines:
      return parse_jsonl(path, content, options, report);
    case DataFormat::kConll:
      if (path == "-")
        throw DataError({path, 0, 0},
                        "CoNLL data cannot be read from stdin (it needs a .intent file)");
      return parse_conll(path, content, options, report);
    case DataFormat::kAuto:
      break;
  }
  throw std::logic_error("unreachable data format");
}

std::vector<Record> read_records(const std::string& path, const ReadOptions& options,
                                 ReadReport* report) {
  std::string content;
  try {
    content = read_file(path);
  } catch (const IoError& e) {
    throw DataError({path, 0, 0}, e.reason());
  }
  return parse_records(path, content, options, report);
}

Example align(const Record& record, NestedSlots nested) {
  Example ex;
  ex.text = record.text;
  ex.domain = record.domain;
  ex.intent = record.intent;
  ex.where = record.where;
  std::string error;
  auto decoded = decode_utf8(record.text, &error);
  if (!decoded) throw DataError(record.where, error);
  ex.decoded = std::move(*decoded);
  try {
    if (record.spans) {
      check_spans(ex.size(), *record.spans);
      ex.spans = *record.spans;
    } else {
      ex.spans = locate_slots(ex.text, ex.decoded, record.slots,
                              nested == NestedSlots::kKeepOuter ? &ex.nested : nullptr);
    }
  } catch (const TaggingError& e) {
    throw DataError(record.where, std::string(e.what()) + " ('" + abbreviate(record.text) + "')");
  }
  return ex;
}

std::vector<Example> read_examples(const std::string& path, const ReadOptions& options,
                                   ReadReport* report) {
  ReadReport local;
  ReadReport* rep = report ? report : &local;
  const auto records = read_records(path, options, rep);
  std::vector<Example> out;
  out.reserve(records.size());
  for (const auto& r : records)
    guarded(options, rep, [&] { out.push_back(align(r, options.nested)); });
  return out;
}

void write_jsonl(std::ostream& out, const std::vector<Record>& records) {
  for (const auto& r : records) out << to_json_line(r.text, r.domain, r.intent, r.slots) << '\n';
}

void write_smp_json(std::ostream& out, const std::vector<Record>& records) {
  out << "[\n";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    out << ' ' << to_json_line(r.text, r.domain, r.intent, r.slots)
        << (i + 1 < records.size() ? ",\n" : "\n");
  }
  out << "]\n";
}

}  // namespace jointnlu
