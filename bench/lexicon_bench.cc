// Lexicon matching speed and size with the jieba dictionary (Debian's python3-jieba): load time,
// resident memory, and match() / match() + features() per utterance over the SMP2019 test texts
// ($JOINTNLU_SMP2019, default ../shared/data/smp2019/test.json beside the checkout; a few
// built-in sentences when absent). One benchmark iteration is one utterance.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/lexicon.h"
#include "core/lexicon_sources.h"

namespace jointnlu {
namespace {

// Resident set size in kB, from /proc/self/status.
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

struct Setup {
  std::unique_ptr<Lexicon> lexicon;
  std::vector<std::string> texts;
  double load_ms = 0;
  double rss_mb = 0;
  std::string skip;  // why the benchmarks cannot run
};

const Setup& setup() {
  static const Setup s = [] {
    Setup s;
    const char* env = std::getenv("JOINTNLU_SMP2019");
    const std::string data =
        env ? env : std::string(JOINTNLU_SOURCE_DIR) + "/../shared/data/smp2019/test.json";
    if (std::filesystem::exists(data)) {
      for (const auto& record : nlohmann::json::parse(read_file(data)))
        s.texts.push_back(record.at("text").get<std::string>());
      std::printf("texts: %zu utterances of %s\n", s.texts.size(), data.c_str());
    } else {
      // Our own sentences (never evaluation texts).
      s.texts = {"小米粥要煮多久",   "今晚有什么综艺节目",   "怎么去西湖断桥",
                 "播放新闻联播",     "去广州的高铁还有票吗", "播放周杰伦的稻香",
                 "后天杭州会下雨吗", "打开网易云音乐"};
      std::printf("texts: %s absent, %zu built-in sentences\n", data.c_str(), s.texts.size());
    }
    if (!std::filesystem::exists(kJiebaDictionary)) {
      s.skip = std::string(kJiebaDictionary) + " absent: install Debian's python3-jieba";
      std::printf("%s\n", s.skip.c_str());
      return s;
    }
    malloc_trim(0);
    const long before = rss_kb();
    const auto start = std::chrono::steady_clock::now();
    s.lexicon = std::make_unique<Lexicon>(build_lexicon({LexiconSource::parse("jieba")}));
    s.load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const auto read_start = std::chrono::steady_clock::now();
    const std::size_t categories = read_lexicon_source(LexiconSource::parse("jieba")).size();
    std::printf(
        "reading and checking the dictionary alone (%zu categories): %.0f ms\n", categories,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - read_start)
            .count());
    // Return what loading freed (the file, the overlay), so the delta is what the lexicon holds.
    malloc_trim(0);
    s.rss_mb = static_cast<double>(rss_kb() - before) / 1024.0;
    std::printf("jieba lexicon: %zu entries in %zu categories, load %.0f ms, RSS +%.1f MB\n",
                s.lexicon->size(), s.lexicon->categories().size(), s.load_ms, s.rss_mb);
    return s;
  }();
  return s;
}

void add_counters(benchmark::State& state, const Setup& s) {
  state.counters["load_ms"] = s.load_ms;
  state.counters["rss_MB"] = s.rss_mb;
  state.counters["entries"] = static_cast<double>(s.lexicon->size());
  state.SetItemsProcessed(state.iterations());
}

void BM_LexiconMatch(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.lexicon) return state.SkipWithError(s.skip.c_str());
  std::vector<LexiconMatch> out;
  std::size_t i = 0;
  std::size_t matches = 0;
  for (auto _ : state) {
    s.lexicon->match(s.texts[i], out);
    matches += out.size();
    benchmark::DoNotOptimize(out.data());
    if (++i == s.texts.size()) i = 0;
  }
  add_counters(state, s);
  state.counters["matches/utt"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LexiconMatch);

void BM_LexiconMatchFeatures(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.lexicon) return state.SkipWithError(s.skip.c_str());
  std::vector<LexiconMatch> out;
  std::size_t i = 0;
  for (auto _ : state) {
    // What a model input needs: the matches (e.g. for the API) and the per-character features.
    s.lexicon->match(s.texts[i], out);
    LexiconFeatures f = s.lexicon->features(s.texts[i]);
    benchmark::DoNotOptimize(f.ids.data());
    benchmark::DoNotOptimize(out.data());
    if (++i == s.texts.size()) i = 0;
  }
  add_counters(state, s);
}
BENCHMARK(BM_LexiconMatchFeatures);

void BM_LexiconFeatures(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.lexicon) return state.SkipWithError(s.skip.c_str());
  std::size_t i = 0;
  for (auto _ : state) {
    LexiconFeatures f = s.lexicon->features(s.texts[i]);
    benchmark::DoNotOptimize(f.ids.data());
    if (++i == s.texts.size()) i = 0;
  }
  add_counters(state, s);
}
BENCHMARK(BM_LexiconFeatures);

}  // namespace
}  // namespace jointnlu

BENCHMARK_MAIN();
