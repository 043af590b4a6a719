#include "data/predict_input.h"

#include "core/error.h"
#include "data/predict_stream.h"

namespace jointnlu {

std::vector<std::string> read_predict_input(const std::string& path, std::size_t max_chars) {
  PredictReader reader(path, max_chars);
  std::vector<std::string> texts;
  PredictItem item;
  while (reader.next(item) == PredictReader::Status::kItem) {
    if (item.problem) throw DataError(item.where, *item.problem);
    texts.push_back(std::move(item.text));
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
}  // namespace jointnlu
