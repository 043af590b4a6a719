// `jointnlu train-teacher` (the teacher recipe, src/train/recipes), `jointnlu predict` and
// `jointnlu eval --model` with a teacher checkpoint.
#include <spdlog/spdlog.h>

#include <iostream>

#include "data/dataset.h"
#include "data/metrics.h"
#include "data/predict_stream.h"
#include "report/scores.h"
#include "train/predictor.h"
#include "train/recipes/teacher_recipe.h"
#include "train/torch_env.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {

int run_train_teacher(const Options& o) {
  return print_outcome(train::train_teacher(o.teacher_recipe), o.teacher_recipe, o.json);
}

int run_predict(const Options& o) {
  if (o.model.empty()) throw std::invalid_argument("predict needs --model DIR");
  train::configure_threads(o.threads);
  const auto predictor = train::load_predictor(o.model);
  const auto report = predict_stream(
      o.input, o.out, o.max_chars,
      [&](const std::vector<std::string>& texts) {
        return predictor.predict(texts, kPredictBatch);
      },
      o.predict_stream_options());
  if (report.skipped > 0)
    spdlog::warn("{} records skipped (error lines in the output), {} parsed", report.skipped,
                 report.predicted);
  return 0;
}

int run_eval_model(const Options& o) {
  train::configure_threads(o.threads);
  const auto gold = read_records(o.data, o.read_options());
  const auto predictor = train::load_predictor(o.model);
  std::vector<std::string> texts;
  for (const auto& r : gold) texts.push_back(r.text);
  const Scores scores = score_records(
      gold, train::prediction_records(texts, predictor.predict(texts, kPredictBatch)));
  if (o.json)
    std::cout << report::scores_json(scores).dump(1) << "\n";
  else
    report::print_scores(std::cout, scores);
  return 0;
}

}  // namespace jointnlu::cli
