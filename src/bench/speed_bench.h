// The speed benchmark (`jointnlu bench`, the pipeline's bench stage): per-utterance latency and
// batched throughput of the teacher (libtorch), the student (libtorch) and the student runtime
// (fp32 and int8), over every utterance of a file, with the ratios and the runtime's own floor
// (runtime_floor.h). The result is a value: the CLI prints it, the pipeline saves to_json(), the
// report reads that file.
//
// A room of its own (src/bench) because it ties train (two engines are libtorch models) and
// runtime, which never include each other. This header is torch-free.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace jointnlu::bench {

struct BenchRecipe {
  std::string teacher;          // teacher checkpoint directory ("": not timed)
  std::string student;          // student directory or export ("": not timed)
  std::string compare_student;  // a second student timed in the same rounds ("": none)
  std::string data;             // the utterances to time (any predict input). Required.
  std::size_t max_chars = ReadOptions{}.max_chars;  // longer lines are errors
  int threads = 0;                                  // throughput threads (0: all cores)
  int rounds = 5;  // latency rounds per model (p50 reported per round too)
};

struct ModelSpeed {
  std::string name;
  double p50_us = 0, p99_us = 0, mean_us = 0;  // over every timed parse of every round
  std::vector<double> round_p50_us;            // p50 of each round alone
  // Each round's all-threads throughput over its own single-thread rate (1 / mean latency).
  std::vector<double> round_scaling;
  double throughput_per_s = 0;
  int threads = 0;
  std::string note;  // the floor, for the runtime engines

  double best_round_p50() const;
  double worst_round_p50() const;
  double scaling() const;  // the median of round_scaling
};

struct BenchResult {
  std::string data;
  std::size_t utterances = 0;
  double mean_chars = 0;
  int threads = 0;
  int rounds = 0;
  std::string isa;  // the runtime kernels' instruction set
  std::vector<ModelSpeed> models;
  // "slow / fast": the median of the rounds' own p50 ratios, and those ratios.
  std::map<std::string, double> ratios;
  std::map<std::string, std::vector<double>> ratio_rounds;
  nlohmann::json floors = nlohmann::json::object();  // per runtime engine: the floor's terms
  std::optional<double> floor_us;                    // the fp32 runtime's floor

  nlohmann::json to_json() const;
};

// Throws std::invalid_argument without a model or utterances, and the loaders' errors.
BenchResult run_speed_bench(const BenchRecipe& recipe);

}  // namespace jointnlu::bench
