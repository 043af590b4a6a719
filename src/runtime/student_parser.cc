#include "runtime/student_parser.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <numeric>
#include <span>

#include "core/model_input.h"

namespace jointnlu::runtime {

StudentParser::StudentParser(std::unique_ptr<StudentModel> model)
    : model_(std::move(model)),
      decoder_(model_->config().labels),
      pool_(std::make_unique<WorkerPool>()) {}

StudentParser StudentParser::open(const std::string& path) {
  return StudentParser(StudentModel::load(path));
}

Prediction StudentParser::parse(std::string_view text) const {
  thread_local Workspace ws;
  return parse(text, ws);
}

Prediction StudentParser::parse(std::string_view text, Workspace& ws) const {
  const ModelInput input =
      make_model_input(model_->tokenizer(), text, model_->config().max_length, model_->lexicon());
  const StudentLogits logits = model_->forward(input.ids, ws, kernels(), &input.lexicon);
  return decoder_.decode(text, input, logits.domain, logits.intent, logits.slots);
}

std::vector<Prediction> StudentParser::parse_batch(const std::vector<std::string>& texts,
                                                   int threads) const {
  std::vector<Prediction> out(texts.size());
  if (texts.empty()) return out;
  // Texts of similar length share a forward_batch (its product shrinks as the shorter inputs of a
  // batch finish), in batches of up to kBatchSize texts and about kBatchTokens tokens, so a
  // thread's scratch stays small however long the texts are. Tokens are estimated as code points
  // + [CLS] and [SEP]: a token covers at least one character, except in rare normalisation cases,
  // which only make a batch's scratch a little larger.
  const std::size_t max_length = model_->config().max_length;
  std::vector<std::size_t> tokens(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto chars = std::count_if(texts[i].begin(), texts[i].end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
    });
    tokens[i] = std::min(static_cast<std::size_t>(chars) + 2, max_length);
  }
  std::vector<std::size_t> order(texts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tokens[a] > tokens[b]; });
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0, sum = 0; i < order.size(); ++i) {
    const std::size_t t = tokens[order[i]];
    if (i > starts.back() && (i - starts.back() == kBatchSize || sum + t > kBatchTokens)) {
      starts.push_back(i);
      sum = 0;
    }
    sum += t;
  }
  starts.push_back(order.size());
  const std::size_t chunks = starts.size() - 1;
  const auto n = std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), chunks);
  // Work stealing by chunk: fixed slices would leave a thread idle at the end.
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const std::function<void()> work = [&] {
    // Per thread and kept: the pool's workers and the callers live on, so after a thread's first
    // batch the network allocates nothing.
    thread_local BatchWorkspace ws;
    std::vector<ModelInput> inputs;
    std::vector<std::span<const int>> ids;
    std::vector<const PositionFeatures*> features;
    std::vector<StudentLogits> logits;
    for (std::size_t c = next++; c < chunks; c = next++) {
      try {
        const std::size_t first = starts[c];
        const std::size_t count = starts[c + 1] - first;
        inputs.clear();
        ids.clear();
        features.clear();
        for (std::size_t i = 0; i < count; ++i)
          inputs.push_back(make_model_input(model_->tokenizer(), texts[order[first + i]],
                                            max_length, model_->lexicon()));
        for (const auto& in : inputs) {  // after the pushes: no reallocation moves them now
          ids.emplace_back(in.ids);
          features.push_back(&in.lexicon);
        }
        model_->forward_batch(ids, ws, logits, kernels(), features);
        for (std::size_t i = 0; i < count; ++i) {
          const std::size_t t = order[first + i];
          out[t] = decoder_.decode(texts[t], inputs[i], logits[i].domain, logits[i].intent,
                                   logits[i].slots);
        }
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = chunks;
      }
    }
  };
  pool_->run(n, work);
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace jointnlu::runtime
