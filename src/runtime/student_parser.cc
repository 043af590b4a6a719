#include "runtime/student_parser.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "core/model_input.h"

namespace jointnlu::runtime {

StudentParser::StudentParser(std::unique_ptr<StudentModel> model)
    : model_(std::move(model)), decoder_(model_->config().labels) {}

StudentParser StudentParser::open(const std::string& path) {
  return StudentParser(StudentModel::load(path));
}

Prediction StudentParser::parse(std::string_view text) const {
  thread_local Workspace ws;
  return parse(text, ws);
}

Prediction StudentParser::parse(std::string_view text, Workspace& ws) const {
  const ModelInput input = make_model_input(model_->tokenizer(), text, model_->config().max_length);
  const StudentLogits logits = model_->forward(input.ids, ws);
  return decoder_.decode(text, input, logits.domain, logits.intent, logits.slots);
}

std::vector<Prediction> StudentParser::parse_batch(const std::vector<std::string>& texts,
                                                   int threads) const {
  std::vector<Prediction> out(texts.size());
  const auto n =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), texts.size());
  if (n <= 1) {
    for (std::size_t i = 0; i < texts.size(); ++i) out[i] = parse(texts[i]);
    return out;
  }
  // Work stealing by index: utterances differ in length, so fixed slices would leave threads idle.
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto work = [&] {
    Workspace ws;
    for (std::size_t i = next++; i < texts.size(); i = next++) {
      try {
        out[i] = parse(texts[i], ws);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = texts.size();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace jointnlu::runtime
