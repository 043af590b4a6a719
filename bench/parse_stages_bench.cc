// Where one parse's time goes, on a real model and real utterances: tokenize, lexicon matching and
// features, the network with and without the lexicon features, decoding, and the whole parse
// (batch 1, one thread). Finds what a lexicon costs at run time, stage by stage.
//
//   JOINTNLU_BENCH_MODEL=student.safetensors JOINTNLU_BENCH_DATA=test.json \
//     build/bench/parse_stages_bench
//
// DATA: what `predict` reads (an SMP JSON array, JSON lines with "text", or plain text lines).
// Without the two variables every benchmark is skipped.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/model_input.h"
#include "data/predict_input.h"
#include "runtime/student_parser.h"

namespace rt = jointnlu::runtime;

namespace {

struct Setup {
  std::unique_ptr<rt::StudentParser> parser;
  std::vector<std::string> texts;
  std::string error;
};

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    const char* model = std::getenv("JOINTNLU_BENCH_MODEL");
    const char* data = std::getenv("JOINTNLU_BENCH_DATA");
    if (!model || !data) {
      out.error = "set JOINTNLU_BENCH_MODEL and JOINTNLU_BENCH_DATA";
      return out;
    }
    out.parser = std::make_unique<rt::StudentParser>(rt::StudentParser::open(model));
    out.texts = jointnlu::read_predict_input(data, 512);
    return out;
  }();
  return s;
}

// Runs `f(text)` once per utterance per iteration; reports time per utterance.
template <typename F>
void per_utterance(benchmark::State& state, F&& f) {
  const Setup& s = setup();
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  for (auto _ : state)
    for (const std::string& t : s.texts) f(t);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.texts.size()));
  state.counters["us_per_utt"] = benchmark::Counter(
      static_cast<double>(state.iterations() * s.texts.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}

const rt::StudentModel& model() { return setup().parser->model(); }

void BM_Tokenize(benchmark::State& state) {
  per_utterance(state, [](const std::string& t) {
    benchmark::DoNotOptimize(
        jointnlu::make_model_input(model().tokenizer(), t, model().config().max_length, nullptr));
  });
}

void BM_LexiconFeatures(benchmark::State& state) {
  per_utterance(state, [](const std::string& t) {
    if (model().lexicon()) benchmark::DoNotOptimize(model().lexicon()->features(t));
  });
  // How many feature rows the network adds per character: the lexicon's cost in forward().
  if (!model().lexicon()) return;
  std::size_t chars = 0, active = 0;
  for (const auto& t : setup().texts) {
    const auto f = model().lexicon()->features(t);
    chars += f.chars();
    active += f.ids.size();
  }
  state.counters["features_per_char"] = static_cast<double>(active) / static_cast<double>(chars);
}

// Matching with a cold cache: before each utterance 2 MB are read (untimed), as the network's
// weights would evict the lexicon's data in a parse.
void BM_LexiconFeaturesCold(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.error.empty() || !model().lexicon()) {
    state.SkipWithError("needs a model with a lexicon");
    return;
  }
  std::vector<std::uint64_t> junk(2 << 17, 1);
  std::uint64_t sink = 0;
  for (auto _ : state) {
    double seconds = 0;
    for (const std::string& t : s.texts) {
      for (std::size_t i = 0; i < junk.size(); i += 8) sink += junk[i];
      const auto start = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(model().lexicon()->features(t));
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    state.SetIterationTime(seconds);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["us_per_utt"] = benchmark::Counter(
      static_cast<double>(state.iterations() * s.texts.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}

void BM_ModelInput(benchmark::State& state) {
  per_utterance(state, [](const std::string& t) {
    benchmark::DoNotOptimize(jointnlu::make_model_input(
        model().tokenizer(), t, model().config().max_length, model().lexicon()));
  });
}

// The network alone, inputs prepared beforehand; state.range(0): 1 with the lexicon features.
void BM_Forward(benchmark::State& state) {
  std::vector<jointnlu::ModelInput> inputs;
  if (setup().error.empty())
    for (const auto& t : setup().texts)
      inputs.push_back(jointnlu::make_model_input(model().tokenizer(), t,
                                                  model().config().max_length, model().lexicon()));
  const bool lexicon = state.range(0) != 0;
  rt::Workspace ws;
  std::size_t i = 0;
  per_utterance(state, [&](const std::string&) {
    const auto& in = inputs[i++ % inputs.size()];
    benchmark::DoNotOptimize(
        model().forward(in.ids, ws, rt::kernels(), lexicon ? &in.lexicon : nullptr));
  });
}

// Decoding alone (logits computed beforehand).
void BM_Decode(benchmark::State& state) {
  std::vector<jointnlu::ModelInput> inputs;
  std::vector<rt::StudentLogits> logits;
  const jointnlu::JointDecoder decoder(model().config().labels);
  if (setup().error.empty()) {
    rt::Workspace ws;
    for (const auto& t : setup().texts) {
      inputs.push_back(jointnlu::make_model_input(model().tokenizer(), t,
                                                  model().config().max_length, model().lexicon()));
      logits.push_back(
          model().forward(inputs.back().ids, ws, rt::kernels(), &inputs.back().lexicon));
    }
  }
  std::size_t i = 0;
  per_utterance(state, [&](const std::string& t) {
    const std::size_t k = i++ % inputs.size();
    benchmark::DoNotOptimize(
        decoder.decode(t, inputs[k], logits[k].domain, logits[k].intent, logits[k].slots));
  });
}

// The parse's stages in sequence, to compare with the sum of the stages timed alone (the
// difference: what the stages cost each other, e.g. in cache). state.range(0): 0 without the
// lexicon, 1 matching it but not feeding the features to the network, 2 the whole parse.
void BM_Stages(benchmark::State& state) {
  const jointnlu::JointDecoder decoder(model().config().labels);
  rt::Workspace ws;
  const int mode = static_cast<int>(state.range(0));
  per_utterance(state, [&](const std::string& t) {
    const auto in = jointnlu::make_model_input(model().tokenizer(), t, model().config().max_length,
                                               mode > 0 ? model().lexicon() : nullptr);
    const auto logits =
        model().forward(in.ids, ws, rt::kernels(), mode == 2 ? &in.lexicon : nullptr);
    benchmark::DoNotOptimize(decoder.decode(t, in, logits.domain, logits.intent, logits.slots));
  });
}

void BM_Parse(benchmark::State& state) {
  per_utterance(state,
                [](const std::string& t) { benchmark::DoNotOptimize(setup().parser->parse(t)); });
}

}  // namespace

BENCHMARK(BM_Tokenize);
BENCHMARK(BM_LexiconFeatures);
BENCHMARK(BM_LexiconFeaturesCold)->UseManualTime();
BENCHMARK(BM_ModelInput);
BENCHMARK(BM_Forward)->Arg(0)->Arg(1);
BENCHMARK(BM_Decode);
BENCHMARK(BM_Stages)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Parse);
BENCHMARK_MAIN();
