// Per-utterance latency of the student runtime (batch 1, one thread) on a random BiLSTM student:
// embedding 128, hidden 128 per direction, max pooling, 1 or 2 layers, fp32 and int8 (exported with
// `jointnlu export` semantics), on a 9-character utterance. Parse = tokenize + network + decode;
// Forward = the network alone. JOINTNLU_ISA=scalar|avx2|avx512 picks the kernel path.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/label_space.h"
#include "core/model_input.h"
#include "core/safetensors.h"
#include "core/utf8.h"
#include "runtime/export.h"
#include "runtime/student_parser.h"

namespace rt = jointnlu::runtime;
namespace fs = std::filesystem;

namespace {

constexpr const char* kText = "播放周杰伦的稻香吧";  // 9 characters

// A student directory with random weights: a 4000-token character vocabulary, 10 domains, 20
// intents, 30 slot keys (61 tags), SMP2019-like sizes.
std::string make_student(std::size_t layers) {
  const fs::path dir = fs::temp_directory_path() / ("jointnlu_bench_" + std::to_string(::getpid()) +
                                                    "_" + std::to_string(layers));
  fs::create_directories(dir);
  std::vector<std::string> vocab{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (char32_t c = 0x4E00; vocab.size() < 4000; ++c) {
    std::string s;
    jointnlu::append_utf8(s, c);
    vocab.push_back(s);
  }
  for (const char* ch : {"播", "放", "周", "杰", "伦", "的", "稻", "香", "吧"})
    if (std::find(vocab.begin(), vocab.end(), ch) == vocab.end()) vocab.push_back(ch);
  std::vector<std::string> domains, intents, keys;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 10; ++i) domains.push_back("d" + std::to_string(i));
  for (int i = 0; i < 20; ++i) intents.push_back("i" + std::to_string(i));
  for (int i = 0; i < 30; ++i) keys.push_back("k" + std::to_string(i));
  for (int i = 0; i < 20; ++i) pairs.emplace_back(domains[i % 10], intents[i]);
  const jointnlu::LabelSpace labels(domains, intents, keys, pairs);

  const std::int64_t v = static_cast<std::int64_t>(vocab.size()), e = 128, h = 128;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>> tensors;
  const auto add = [&](const std::string& name, std::vector<std::int64_t> shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> values(static_cast<std::size_t>(n));
    for (auto& x : values) x = uniform(rng);
    tensors[name] = {std::move(shape), std::move(values)};
  };
  add("embeddings.word_embeddings.weight", {v, e});
  for (std::size_t k = 0; k < layers; ++k)
    for (const std::string suffix : {"", "_reverse"}) {
      const std::string l = std::to_string(k) + suffix;
      add("lstm.weight_ih_l" + l, {4 * h, k == 0 ? e : 2 * h});
      add("lstm.weight_hh_l" + l, {4 * h, h});
      add("lstm.bias_ih_l" + l, {4 * h});
      add("lstm.bias_hh_l" + l, {4 * h});
    }
  for (const auto& [name, n] : {std::pair{"domain_classifier", labels.domains().size()},
                                std::pair{"intent_classifier", labels.intents().size()},
                                std::pair{"slot_classifier", labels.tags().size()}}) {
    add(std::string(name) + ".weight", {n, 2 * h});
    add(std::string(name) + ".bias", {n});
  }
  const nlohmann::json config = {{"model_type", "jointnlu-bilstm"},
                                 {"vocab_size", vocab.size()},
                                 {"embedding_size", e},
                                 {"hidden_size", h},
                                 {"num_layers", layers},
                                 {"pooling", "max"},
                                 {"jointnlu", {{"labels", labels.to_json()}, {"max_length", 64}}}};
  jointnlu::write_file_atomic((dir / "config.json").string(), config.dump());
  std::string vocab_text;
  for (const auto& t : vocab) vocab_text += t + "\n";
  jointnlu::write_file_atomic((dir / "vocab.txt").string(), vocab_text);
  std::vector<jointnlu::TensorToWrite> out;
  for (const auto& [name, t] : tensors)
    out.push_back(
        {name, jointnlu::DType::kF32, t.first, t.second.data(), t.second.size() * sizeof(float)});
  jointnlu::write_safetensors((dir / "model.safetensors").string(), out);
  return dir.string();
}

// One exported model per (layers, int8), built on first use and kept for the process.
const rt::StudentParser& parser(std::size_t layers, bool int8) {
  static std::map<std::pair<std::size_t, bool>, std::unique_ptr<rt::StudentParser>> cache;
  auto& slot = cache[{layers, int8}];
  if (!slot) {
    const std::string dir = make_student(layers);
    const std::string file = dir + (int8 ? "/int8.safetensors" : "/fp32.safetensors");
    rt::export_student(dir, file, int8);
    slot = std::make_unique<rt::StudentParser>(rt::StudentParser::open(file));
    fs::remove_all(dir);  // the mapping stays valid after the unlink
  }
  return *slot;
}

void BM_Parse(benchmark::State& state) {
  const auto& p = parser(static_cast<std::size_t>(state.range(0)), state.range(1) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(p.parse(kText));
  state.SetLabel(std::string(rt::isa_name(rt::active_isa())) +
                 (state.range(1) ? " int8" : " fp32"));
}

void BM_Forward(benchmark::State& state) {
  const auto& p = parser(static_cast<std::size_t>(state.range(0)), state.range(1) != 0);
  const auto ids = jointnlu::make_model_input(p.model().tokenizer(), kText, 64).ids;
  rt::Workspace ws;
  for (auto _ : state) benchmark::DoNotOptimize(p.model().forward(ids, ws).domain.data());
  state.SetLabel(std::string(rt::isa_name(rt::active_isa())) +
                 (state.range(1) ? " int8" : " fp32") + ", L=" + std::to_string(ids.size()));
}

}  // namespace

// Args: {layers, int8}.
BENCHMARK(BM_Parse)
    ->ArgNames({"layers", "int8"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({2, 0})
    ->Args({2, 1});
BENCHMARK(BM_Forward)
    ->ArgNames({"layers", "int8"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({2, 0})
    ->Args({2, 1});
BENCHMARK_MAIN();
