// `jointnlu demo`: the main job on the bundled demo data — the whole pipeline (teacher, distilled
// student, fp32/int8 export, evaluation, speed) with a configuration small enough for a few minutes
// on two cores, then a few example sentences parsed by the int8 student.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "data/shipped_encoder.h"
#include "demo_data.h"
#include "options.h"
#include "report/run_report.h"
#include "trainer_plugin.h"

namespace jointnlu::cli {
namespace {

// Writes the compiled-in demo data to DIR/{train,dev,test}.json.
std::string materialise_demo_data(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::pair<const char*, const char*> files[] = {
      {"train.json", kDemoTrain}, {"dev.json", kDemoDev}, {"test.json", kDemoTest}};
  for (const auto& [name, content] : files)
    write_file_atomic(dir + "/" + name, std::string(content));
  return dir;
}

// Small and quick: the shipped encoder fine-tuned for few epochs, a hidden-64 student with 2
// augmented variants per utterance. The figures are those of a 480-utterance toy set, not of a real
// benchmark.
nlohmann::json demo_config() {
  return {{"teacher", {{"epochs", 25}, {"patience", 5}, {"lr", 5e-4}}},
          {"student",
           {{"hidden_size", 64}, {"epochs", 15}, {"patience", 4}, {"augment", 2}, {"alpha", 0.5}}},
          {"seed", 42},
          {"examples",
           {"播放周杰伦的稻香", "明天北京天气怎么样", "帮我定一个早上七点的闹钟", "给妈妈打电话",
            "从上海到杭州的火车票"}}};
}

}  // namespace

std::vector<Command> demo_commands() {
  Command demo{
      "demo",
      "The main job on the bundled demo data: teacher -> distilled student -> fp32/int8 export -> "
      "eval -> speed, then example parses",
      {Opt::kOut, Opt::kDataDir, Opt::kThreads},
      [](const Options& o) {
        Options p = o;
        p.out = o.out.empty() ? "runs/demo" : o.out;
        const std::string data =
            o.data_dir.empty() ? materialise_demo_data(p.out + "/data") : o.data_dir;
        spdlog::info("demo data in {}; run directory {}", data, p.out);
        p.train = data + "/train.json";
        p.dev = data + "/dev.json";
        p.test = data + "/test.json";
        p.config = p.out + "/demo-config.json";
        // The demo must run on any fresh machine; without the shipped encoder's vocabulary (made
        // by scripts/setup.sh from ../shared) the teacher starts from scratch instead.
        if (const ShippedEncoder shipped = find_shipped_encoder(); shipped.dir.empty()) {
          spdlog::warn("{}; the demo teacher trains from scratch", shipped.problem);
          p.init = "none";
        }
        auto config = demo_config();
        config["threads"] = o.threads;
        write_file_atomic(p.config, config.dump(2) + "\n");
        const int code = run_in_trainer("pipeline", p);
        if (code != 0) return code;
        // The report, as `jointnlu report RUN` writes it (images need gnuplot).
        const report::RunInputs run = report::read_run(p.out);
        const report::PlotOutcome plots = report::draw_plots(run);
        for (const auto& w : plots.warnings) spdlog::warn("{}", w);
        const std::string report_path = (run.dir / "report.md").string();
        write_file_atomic(report_path, report::render_markdown(run, plots));
        std::cout << "report: " << report_path << "\n";
        return 0;
      }};
  return {demo};
}

}  // namespace jointnlu::cli
