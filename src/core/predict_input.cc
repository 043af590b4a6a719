#include "core/predict_input.h"

#include <nlohmann/json.hpp>
#include <iostream>
#include <sstream>

#include "core/dataset.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {

std::vector<std::string> read_predict_input(const std::string& path, std::size_t max_chars) {
  const std::string content = read_file(path);
  const auto first = content.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  std::vector<std::string> texts;
  if (first != std::string::npos && content[first] == '[') {
    ReadOptions read;
    read.format = DataFormat::kSmpJson;
    read.max_chars = max_chars;
    for (auto& r : parse_records(path, content, read)) texts.push_back(std::move(r.text));
    return texts;
  }
  std::istringstream in(content);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const SourceLocation where{path, texts.size() + 1, line_no};
    std::string text = line;
    if (line[line.find_first_not_of(" \t")] == '{') {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw DataError(where, std::string("malformed JSON line: ") + e.what());
      }
      if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
        throw DataError(where, "a JSON line needs a string field \"text\"");
      text = j["text"].get<std::string>();
    }
    if (const auto problem = check_text(text, max_chars)) throw DataError(where, *problem);
    texts.push_back(std::move(text));
  }
  return texts;
}

std::vector<Record> records_from_predictions(const std::vector<std::string>& texts,
                                             const std::vector<Prediction>& predictions) {
  std::vector<Record> out;
  out.reserve(predictions.size());
  for (std::size_t i = 0; i < predictions.size() && i < texts.size(); ++i) {
    Record r;
    r.text = texts[i];
    r.domain = predictions[i].frame.domain;
    r.intent = predictions[i].frame.intent;
    r.slots = predictions[i].frame.slots;
    out.push_back(std::move(r));
  }
  return out;
}

void write_predictions(const std::string& path, const std::vector<std::string>& texts,
                       const std::vector<Prediction>& predictions) {
  const auto write = [&](std::ostream& out) {
    for (std::size_t i = 0; i < texts.size() && i < predictions.size(); ++i)
      out << prediction_json_line(texts[i], predictions[i]) << "\n";
  };
  if (path.empty() || path == "-")
    write(std::cout);
  else
    write_file_atomic(path, write);
}

}  // namespace jointnlu
