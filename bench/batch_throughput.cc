// parse_batch throughput of the C++ API through libjointnlu.so, the baseline of
// bench/python_throughput.py (bench/binding_throughput.sh runs both and reports the ratio).
//
//   batch_throughput MODEL TEXTS_FILE [--threads N] [--rounds R] [--batch B]
//
// Reads the texts (one per line), warms up, then times R rounds of parse_batch over all texts in
// batches of B; prints one JSON line: texts per second of the best round, and peak RSS.
#include <jointnlu/jointnlu.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr
        << "usage: batch_throughput MODEL TEXTS_FILE [--threads N] [--rounds R] [--batch B]\n";
    return 2;
  }
  int threads = 1, rounds = 5;
  std::size_t batch = 64;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (flag == "--threads")
      threads = static_cast<int>(value);
    else if (flag == "--rounds")
      rounds = static_cast<int>(value);
    else if (flag == "--batch")
      batch = static_cast<std::size_t>(value);
    else {
      std::cerr << "batch_throughput: unknown flag " << flag << "\n";
      return 2;
    }
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "batch_throughput: cannot read " << argv[2] << "\n";
    return 1;
  }
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) texts.push_back(line);
  std::vector<std::vector<std::string>> batches;
  for (std::size_t i = 0; i < texts.size(); i += batch)
    batches.emplace_back(texts.begin() + static_cast<long>(i),
                         texts.begin() + static_cast<long>(std::min(texts.size(), i + batch)));
  try {
    jointnlu::ParserOptions options;
    options.threads = threads;
    const auto parser = jointnlu::Parser::open(argv[1], options);
    for (const auto& b : batches) parser.parse_batch(b);  // warm-up: pages, caches, workers
    double best = 0.0;
    for (int round = 0; round < rounds; ++round) {
      const auto start = std::chrono::steady_clock::now();
      for (const auto& b : batches) parser.parse_batch(b);
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, static_cast<double>(texts.size()) / s);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"api\": \"c++\", \"texts\": %zu, \"batch\": %zu, \"threads\": %d, \"rounds\": %d, "
        "\"texts_per_s\": %.1f, \"peak_rss_mb\": %.1f}\n",
        texts.size(), batch, threads, rounds, best, usage.ru_maxrss / 1024.0);
    return 0;
  } catch (const jointnlu::Error& e) {
    std::cerr << "batch_throughput: " << e.what() << "\n";
    return 1;
  }
}
