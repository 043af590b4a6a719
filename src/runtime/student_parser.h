// Text in, frame out, with the student: tokenizer -> StudentModel -> JointDecoder (the same
// decoding as the teacher's predictor, so a student and a teacher are scored identically).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/decoding.h"
#include "runtime/student_model.h"
#include "runtime/worker_pool.h"

namespace jointnlu::runtime {

class StudentParser {
 public:
  // Inputs per forward_batch in parse_batch(). From 4 on, the int8 recurrent product reads its
  // weights once per step for 4 rows at a time (the kernels' register tile).
  static constexpr std::size_t kBatchSize = 16;
  // And about this many tokens at most per batch (a longer text runs alone). This bounds a thread's
  // BatchWorkspace to ~1.3 MB at hidden 128, where 16 texts of 64 tokens took ~5 MB.
  static constexpr std::size_t kBatchTokens = 256;

  explicit StudentParser(std::unique_ptr<StudentModel> model);
  // StudentModel::load + the decoder. Throws as load() does.
  static StudentParser open(const std::string& path);

  // Uses a scratch Workspace of the calling thread (thread_local), so concurrent calls from many
  // threads on one parser are safe and, after each thread's first call, the network allocates
  // nothing. Throws std::invalid_argument for invalid UTF-8.
  Prediction parse(std::string_view text) const;
  Prediction parse(std::string_view text, Workspace& ws) const;

  // In input order. Texts are sorted by length and parsed in batches (kBatchSize, kBatchTokens)
  // through StudentModel::forward_batch, so a batch's inputs finish together. threads <= 1: the
  // calling thread; otherwise up to `threads` threads share the batches (the caller and threads
  // of the parser's pool, started on first need and kept; concurrent multi-thread calls take
  // turns). Every thread keeps its BatchWorkspace (thread_local, ~1.3 MB at hidden 128). The first
  // exception raised is rethrown.
  std::vector<Prediction> parse_batch(const std::vector<std::string>& texts, int threads = 1) const;

  const StudentModel& model() const { return *model_; }
  const LabelSpace& labels() const { return decoder_.labels(); }

 private:
  std::unique_ptr<StudentModel> model_;
  JointDecoder decoder_;
  std::unique_ptr<WorkerPool> pool_;  // a pointer: the parser stays movable
};

}  // namespace jointnlu::runtime
