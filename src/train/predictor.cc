#include "train/predictor.h"

#include <algorithm>
#include <span>

#include "core/model_directory.h"
#include "data/predict_input.h"
#include "train/bilstm.h"
#include "train/checkpoint.h"
#include "train/joint_albert.h"

namespace jointnlu::train {

JointPredictor::JointPredictor(JointModel model, Batcher batcher)
    : model_(std::move(model)), batcher_(std::move(batcher)), decoder_(batcher_.labels()) {}

std::vector<Prediction> JointPredictor::predict(const std::vector<std::string>& texts,
                                                std::size_t batch_size) const {
  batch_size = std::max<std::size_t>(1, batch_size);
  model_.module->eval();
  torch::NoGradGuard no_grad;
  std::vector<Prediction> out;
  out.reserve(texts.size());
  for (std::size_t first = 0; first < texts.size(); first += batch_size) {
    const std::size_t last = std::min(texts.size(), first + batch_size);
    std::vector<ModelInput> inputs;
    inputs.reserve(last - first);
    for (std::size_t i = first; i < last; ++i) inputs.push_back(batcher_.input(texts[i]));
    std::vector<const ModelInput*> members;
    for (const auto& in : inputs) members.push_back(&in);
    const JointLogits logits = model_.forward(batcher_.collate_inputs(members));
    const auto domain = logits.domain.to(torch::kFloat32).contiguous();
    const auto intent = logits.intent.to(torch::kFloat32).contiguous();
    const auto slots = logits.slots.to(torch::kFloat32).contiguous();
    const auto nd = static_cast<std::size_t>(domain.size(1));
    const auto ni = static_cast<std::size_t>(intent.size(1));
    const auto row = static_cast<std::size_t>(slots.size(1) * slots.size(2));
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      out.push_back(
          decoder_.decode(texts[first + k], inputs[k],
                          std::span<const float>(domain.data_ptr<float>() + k * nd, nd),
                          std::span<const float>(intent.data_ptr<float>() + k * ni, ni),
                          std::span<const float>(slots.data_ptr<float>() + k * row, row)));
    }
  }
  return out;
}

JointPredictor load_predictor(const std::string& dir) {
  if (is_student_config(ModelDirectory(dir).config())) {
    LoadedStudent student = load_student(dir);
    Batcher batcher(std::move(student.tokenizer), student.spec.labels, student.spec.max_length,
                    student.lexicon);
    return JointPredictor(as_joint_model(student.model), std::move(batcher));
  }
  LoadedTeacher teacher = load_teacher(dir);
  Batcher batcher(std::move(teacher.tokenizer), teacher.spec.labels, teacher.spec.max_length,
                  teacher.lexicon);
  return JointPredictor(as_joint_model(teacher.model), std::move(batcher));
}

std::vector<Record> prediction_records(const std::vector<std::string>& texts,
                                       const std::vector<Prediction>& predictions) {
  return records_from_predictions(texts, predictions);
}

}  // namespace jointnlu::train
