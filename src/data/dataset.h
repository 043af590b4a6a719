// Readers and writers for the labelled data formats:
//   SMP JSON    — an array of {text, domain, intent, slots}; a slot value is a string or a list of
//   them. JSON Lines  — one such object per line (also what `predict` writes; extra fields are
//   ignored). CoNLL       — one "char TAG" per line (BIO or BIOES), a blank line between
//   utterances, intents one
//                 per line in a parallel PATH.intent file; no domain (every record gets one
//                 domain).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/example.h"

namespace jointnlu {

enum class DataFormat { kAuto, kSmpJson, kJsonLines, kConll };

// What to do with a record that is malformed or whose slots cannot be aligned.
enum class OnError {
  kReject,  // stop with a DataError naming the file and record
  kSkip,    // leave the record out, and list it in ReadReport::skipped
};

// What to do with a slot value nested inside another one (flat tags can hold only one of them).
enum class NestedSlots {
  kKeepOuter,  // tag the outer span; the inner pair goes to Example::nested and is reported
  kReject,     // an alignment error like any other
};

struct ReadOptions {
  DataFormat format = DataFormat::kAuto;  // kAuto: from the extension, then from the content
  std::size_t max_chars = 512;            // longer texts are errors
  OnError on_error = OnError::kReject;
  std::string conll_domain = "default";  // the domain given to every CoNLL record
  std::string conll_intent_path;         // CoNLL intents; empty: PATH + ".intent"
  NestedSlots nested = NestedSlots::kKeepOuter;
};

struct ReadReport {
  DataFormat format = DataFormat::kAuto;  // the format actually read
  std::size_t records = 0;                // records in the file, including skipped ones
  std::vector<DataError> skipped;         // records left out under OnError::kSkip
};

const char* format_name(DataFormat format);
// "auto", "smp", "jsonl", "conll"; throws std::invalid_argument otherwise.
DataFormat parse_format(const std::string& name);

// Guesses the format of a file from its name and first bytes.
DataFormat detect_format(const std::string& path, const std::string& content);

// Parses records without aligning slots to the text (what the scorer needs). Text checks (UTF-8,
// empty, control characters, length) and field types are enforced here.
std::vector<Record> read_records(const std::string& path, const ReadOptions& options = {},
                                 ReadReport* report = nullptr);

// Aligns a record: decodes its text and locates its slots (or checks its given spans).
// Throws DataError naming the record.
Example align(const Record& record, NestedSlots nested = NestedSlots::kKeepOuter);

// read_records + align, with the same error policy.
std::vector<Example> read_examples(const std::string& path, const ReadOptions& options = {},
                                   ReadReport* report = nullptr);

// Parses records from in-memory content (path is only used in messages).
std::vector<Record> parse_records(const std::string& path, const std::string& content,
                                  const ReadOptions& options = {}, ReadReport* report = nullptr);

void write_jsonl(std::ostream& out, const std::vector<Record>& records);
void write_smp_json(std::ostream& out, const std::vector<Record>& records);

}  // namespace jointnlu
