// `jointnlu predict`, `jointnlu export` and the student half of `eval --model`: the libtorch-free
// runtime. predict and eval hand teacher directories to the training plugin.
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "core/file_io.h"
#include "data/dataset.h"
#include "data/predict_input.h"
#include "data/predict_stream.h"
#include "report/scores.h"
#include "runtime/export.h"
#include "runtime/model_lexicon.h"
#include "runtime/student_parser.h"
#include "student_commands.h"
#include "trainer_plugin.h"

namespace jointnlu::cli {
namespace {

int thread_count(int requested) {
  return requested > 0 ? requested
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

runtime::StudentParser open_student(const std::string& path,
                                    const std::vector<std::string>& lexicons) {
  auto parser = runtime::StudentParser::open(path);
  const auto& m = parser.model();
  if (!lexicons.empty()) {
    if (!m.lexicon())
      throw std::invalid_argument(path +
                                  ": the model reads no lexicon; --lexicon cannot add to it");
    runtime::add_lexicon_entries(*m.lexicon(), runtime::read_lexicon_additions(lexicons), path);
  }
  if (m.lexicon())
    spdlog::info("model {}: lexicon of {} entries in {} categories", path, m.lexicon()->size(),
                 m.lexicon()->categories().size());
  spdlog::info("model {}: BiLSTM {} x H{} ({} pooling), {} weights, {:.1f} MB packed", path,
               m.config().num_layers, m.config().hidden_size, pooling_name(m.config().pooling),
               m.weight_type() == runtime::WeightType::kInt8 ? "int8" : "fp32",
               static_cast<double>(m.packed_bytes()) / 1e6);
  return parser;
}

bool is_student_model(const std::string& path) { return runtime::StudentModel::is_loadable(path); }

int predict_with_student(const Options& o) {
  const auto parser = open_student(o.model, o.lexicon);
  const int threads = thread_count(o.threads);
  const auto report = predict_stream(
      o.input, o.out, o.max_chars,
      [&](const std::vector<std::string>& texts) { return parser.parse_batch(texts, threads); },
      o.predict_stream_options());
  if (report.skipped > 0)
    spdlog::warn("{} records skipped (error lines in the output), {} parsed", report.skipped,
                 report.predicted);
  return 0;
}

int eval_with_student(const Options& o) {
  const auto gold = read_records(o.data, o.read_options());
  std::vector<std::string> texts;
  texts.reserve(gold.size());
  for (const auto& r : gold) texts.push_back(r.text);
  const auto parser = open_student(o.model, o.lexicon);
  const Scores scores = score_records(
      gold, records_from_predictions(texts, parser.parse_batch(texts, thread_count(o.threads))));
  if (o.json)
    std::cout << report::scores_json(scores).dump(1) << "\n";
  else
    report::print_scores(std::cout, scores);
  return 0;
}

std::vector<Command> runtime_commands() {
  Command predict{
      "predict",
      "Parse utterances (plain text lines, JSON lines with \"text\", or an SMP JSON array) with a "
      "model; writes JSON lines",
      {Opt::kModel, Opt::kInput, Opt::kOut, Opt::kThreads, Opt::kMaxChars, Opt::kOnError,
       Opt::kLexicon},
      [](const Options& o) {
        if (o.model.empty()) throw std::invalid_argument("predict needs --model PATH");
        return is_student_model(o.model) ? predict_with_student(o) : run_in_trainer("predict", o);
      }};
  Command export_model{
      "export",
      "Write a student checkpoint directory as one self-contained .safetensors file for the "
      "runtime "
      "(--int8: quantised weight matrices)",
      {Opt::kModel, Opt::kOut, Opt::kInt8, Opt::kLexicon},
      [](const Options& o) {
        if (o.model.empty())
          throw std::invalid_argument("export needs --model DIR (a student directory)");
        if (o.out.empty() || o.out == "-") throw std::invalid_argument("export needs --out FILE");
        const auto report = runtime::export_student(o.model, o.out, o.int8,
                                                    runtime::read_lexicon_additions(o.lexicon));
        spdlog::info(
            "{}: {} tensors, {} weights; matrices {:.2f} MB ({:.1f}% of fp32), file {:.2f} MB",
            o.out, report.tensors, o.int8 ? "int8" : "fp32",
            static_cast<double>(report.matrix_written_bytes) / 1e6,
            100.0 * static_cast<double>(report.matrix_written_bytes) /
                static_cast<double>(std::max<std::size_t>(report.matrix_fp32_bytes, 1)),
            static_cast<double>(report.file_bytes) / 1e6);
        return 0;
      }};
  Command serve{
      "serve",
      "Serve a student over HTTP: POST /v1/parse {\"text\"} or {\"texts\": [...]}, GET "
      "/health; stops "
      "cleanly on SIGINT/SIGTERM",
      {Opt::kModel, Opt::kHost, Opt::kPort, Opt::kThreads, Opt::kMaxChars, Opt::kMaxBodyBytes,
       Opt::kMaxBatch, Opt::kMaxConnections, Opt::kServeTimeouts, Opt::kLexicon, Opt::kAdminToken},
      [](const Options& o) {
        if (o.model.empty()) throw std::invalid_argument("serve needs --model PATH");
        return serve_student(o);
      }};
  return {predict, export_model, serve};
}

}  // namespace jointnlu::cli
