// Batched prediction with any joint model: texts in, decoded frames with confidences out.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/decoding.h"
#include "train/batching.h"
#include "train/joint_model.h"

namespace jointnlu::train {

class JointPredictor {
 public:
  JointPredictor(JointModel model, Batcher batcher);

  // Puts the module in eval mode and runs without gradients; the caller restores train mode if it
  // needs it (the trainer does). Throws std::invalid_argument for invalid UTF-8.
  std::vector<Prediction> predict(const std::vector<std::string>& texts,
                                  std::size_t batch_size = 64) const;

  const Batcher& batcher() const { return batcher_; }
  const LabelSpace& labels() const { return decoder_.labels(); }

 private:
  JointModel model_;
  Batcher batcher_;
  JointDecoder decoder_;
};

// Loads a model directory (an ALBERT teacher or a BiLSTM student, told apart by config.json) for
// prediction.
JointPredictor load_predictor(const std::string& dir);

// Frames of predictions as records (text + frame), for the scorer.
std::vector<Record> prediction_records(const std::vector<std::string>& texts,
                                       const std::vector<Prediction>& predictions);

}  // namespace jointnlu::train
