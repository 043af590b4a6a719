// `jointnlu bench`: the speed benchmark (src/bench/speed_bench.h), printed as a table or JSON.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/speed_bench.h"
#include "train_commands.h"

namespace jointnlu::cli {
namespace {

void print_table(std::ostream& out, const std::vector<bench::ModelSpeed>& ms) {
  out << std::left << std::setw(26) << "model" << std::right << std::setw(11) << "p50 us"
      << std::setw(19) << "rounds' p50 us" << std::setw(11) << "p99 us" << std::setw(11)
      << "mean us" << std::setw(14) << "utt/s (all)"
      << "\n";
  out << std::fixed << std::setprecision(1);
  for (const auto& m : ms) {
    std::ostringstream range;
    range << std::fixed << std::setprecision(1) << m.best_round_p50() << "-" << m.worst_round_p50();
    out << std::left << std::setw(26) << m.name << std::right << std::setw(11) << m.p50_us
        << std::setw(19) << range.str() << std::setw(11) << m.p99_us << std::setw(11) << m.mean_us
        << std::setw(14) << m.throughput_per_s << (m.note.empty() ? "" : "  " + m.note) << "\n";
  }
}

}  // namespace

int run_bench(const Options& o) {
  bench::BenchRecipe recipe;
  recipe.teacher = o.teacher;
  recipe.student = o.student;
  recipe.compare_student = o.compare_student;
  recipe.data = o.data;
  recipe.max_chars = o.max_chars;
  recipe.threads = o.threads;
  recipe.rounds = o.rounds;
  const bench::BenchResult r = bench::run_speed_bench(recipe);
  if (o.json) {
    std::cout << r.to_json().dump(1) << "\n";
    return 0;
  }
  std::cout << r.utterances << " utterances, " << std::setprecision(3) << r.mean_chars
            << " characters on average; latency: 1 thread, batch 1, " << r.rounds
            << " rounds; throughput: " << r.threads << " threads, batches\n\n";
  print_table(std::cout, r.models);
  std::cout << "\n";
  for (const auto& [name, value] : r.ratios) {
    const std::vector<double>& rounds = r.ratio_rounds.at(name);
    const auto [lo, hi] = std::minmax_element(rounds.begin(), rounds.end());
    std::cout << std::left << std::setw(52) << name << std::right << std::fixed
              << std::setprecision(1) << value << "x (rounds " << *lo << "-" << *hi << ")\n";
  }
  for (const auto& m : r.models) {
    const auto [lo, hi] = std::minmax_element(m.round_scaling.begin(), m.round_scaling.end());
    std::cout << std::left << std::setw(52) << ("throughput / single-thread, " + m.name)
              << std::right << std::fixed << std::setprecision(2) << m.scaling() << "x (rounds "
              << *lo << "-" << *hi << ")\n";
  }
  return 0;
}

}  // namespace jointnlu::cli
