// `jointnlu demo`: the main job on the bundled demo data.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "core/file_io.h"
#include "core/metrics.h"
#include "demo_data.h"
#include "options.h"
#include "report.h"

namespace jointnlu::cli {
namespace {

// Writes the compiled-in demo data to DIR/{train,dev,test}.json unless it is already there.
std::string materialise_demo_data(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::pair<const char*, const char*> files[] = {
      {"train.json", kDemoTrain}, {"dev.json", kDemoDev}, {"test.json", kDemoTest}};
  for (const auto& [name, content] : files) write_file_atomic(dir + "/" + name, std::string(content));
  return dir;
}

}  // namespace

std::vector<Command> demo_commands() {
  Command demo{"demo", "Run the main job on the bundled demo data (data/demo)",
               {Opt::kOut, Opt::kDataDir},
               [](const Options& o) {
                 const std::string out = o.out.empty() ? "runs/demo" : o.out;
                 const std::string data = o.data_dir.empty() ? materialise_demo_data(out + "/data") : o.data_dir;
                 spdlog::info("demo data in {}", data);
                 ReadOptions read;
                 for (const char* split : {"train", "dev", "test"}) {
                   const auto st = compute_stats(data + "/" + split + ".json", read);
                   std::cout << "== " << split << " ==\n";
                   print_stats(std::cout, st);
                   std::cout << "\n";
                   if (!st.problems.empty()) return 3;
                 }
                 // The scorer on the gold test set against itself: every figure must be 100.
                 const auto test = read_records(data + "/test.json", read);
                 std::cout << "== scorer self-check (test vs itself) ==\n";
                 print_scores(std::cout, score_records(test, test), false);
                 spdlog::warn("model training is not part of the demo yet: this build has data, metrics and the CLI");
                 return 0;
               }};
  return {demo};
}

}  // namespace jointnlu::cli
