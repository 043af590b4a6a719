// `jointnlu eval --gold G --pred P`: the official SMP2019 scorer over two files of any supported
// format.
#include <iostream>

#include "data/metrics.h"
#include "options.h"
#include "report/scores.h"
#include "student_commands.h"
#include "trainer_plugin.h"

namespace jointnlu::cli {

std::vector<Command> eval_commands() {
  Command eval{
      "eval",
      "Score predictions against gold data with the official SMP2019 metrics: --gold G --pred P, "
      "or "
      "--model M --data D to predict D with M first",
      {Opt::kGold, Opt::kPred, Opt::kModel, Opt::kData, Opt::kLexicon, Opt::kFormat, Opt::kMaxChars,
       Opt::kConllDomain, Opt::kJson, Opt::kThreads},
      [](const Options& o) {
        if (!o.model.empty() || !o.data.empty()) {
          if (o.model.empty() || o.data.empty() || !o.gold.empty() || !o.pred.empty())
            throw std::invalid_argument(
                "eval takes either --gold and --pred, or --model and --data");
          return is_student_model(o.model) ? eval_with_student(o) : run_in_trainer("eval-model", o);
        }
        if (o.gold.empty() || o.pred.empty())
          throw std::invalid_argument("eval needs --gold and --pred (or --model and --data)");
        const ReadOptions read =
            o.read_options();  // rejects bad records: a skipped one would misalign
        const auto gold = read_records(o.gold, read);
        const auto pred = read_records(o.pred, read);
        const Scores scores = score_records(gold, pred);
        if (o.json)
          std::cout << report::scores_json(scores).dump(1) << "\n";
        else
          report::print_scores(std::cout, scores);
        return 0;
      }};
  return {eval};
}

}  // namespace jointnlu::cli
