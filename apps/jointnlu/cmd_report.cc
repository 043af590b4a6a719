// `jointnlu report RUN`: RUN/report.md and RUN/plots/*.png from what a pipeline run left behind.
// Needs no model and no training plugin; gnuplot (a subprocess) only for the images.
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/file_io.h"
#include "options.h"
#include "report/run_report.h"

namespace jointnlu::cli {

std::vector<Command> report_commands() {
  Command report{
      "report",
      "Write RUN/report.md (accuracy and latency tables, training summary) and RUN/plots/*.png "
      "(gnuplot) from a pipeline run directory; lists the inputs that are missing. Exit 3: the "
      "report was written but some plots could not be drawn",
      {Opt::kRunDir},
      [](const Options& o) {
        const report::RunInputs run = report::read_run(o.run_dir);
        for (const auto& m : run.missing) spdlog::info("not found: {} ({})", m.path, m.what);
        const report::PlotOutcome plots = report::draw_plots(run);
        for (const auto& w : plots.warnings)
          plots.gnuplot_missing ? spdlog::error("{}", w) : spdlog::warn("{}", w);
        const std::string path = (run.dir / "report.md").string();
        write_file_atomic(path, report::render_markdown(run, plots));
        spdlog::info("{} plots, {} evaluations, {} missing inputs", plots.figures.size(),
                     run.evals.size(), run.missing.size());
        std::cout << path << "\n";
        return plots.warnings.empty() ? 0 : 3;
      }};
  return {report};
}

}  // namespace jointnlu::cli
