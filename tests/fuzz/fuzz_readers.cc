// libFuzzer target: the data readers on arbitrary content. The first byte picks the format (SMP
// JSON, JSON Lines, CoNLL/BIOES, or detection from the content); every record that parses is
// aligned (slots located in the text), as training does.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using jointnlu::DataFormat;
  static const DataFormat kFormats[] = {DataFormat::kSmpJson, DataFormat::kJsonLines,
                                        DataFormat::kConll, DataFormat::kAuto};
  static const char* const kNames[] = {"fuzz.json", "fuzz.jsonl", "fuzz.conll", "fuzz.txt"};
  const std::size_t pick = data[0] % 4;
  const std::string content(reinterpret_cast<const char*>(data) + 1, size - 1);
  jointnlu::ReadOptions options;
  options.format = kFormats[pick];
  options.max_chars = 128;
  // Both policies: stop at the first bad record, and skip bad records with a report.
  for (const auto policy : {jointnlu::OnError::kReject, jointnlu::OnError::kSkip}) {
    options.on_error = policy;
    try {
      jointnlu::ReadReport report;
      const auto records = jointnlu::parse_records(kNames[pick], content, options, &report);
      for (const auto& record : records) {
        try {
          (void)jointnlu::align(record);
        } catch (const std::exception&) {
        }
      }
    } catch (const std::exception&) {
    }
  }
  return 0;
}
