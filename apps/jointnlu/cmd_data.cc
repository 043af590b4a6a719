// `jointnlu data stats FILE...`
#include <iostream>

#include "options.h"
#include "report.h"

namespace jointnlu::cli {

std::vector<Command> data_commands() {
  Command stats{"data stats",
                "Counts of domains, intents, slot keys, text lengths, and every record that fails to parse or align",
                {Opt::kInputs, Opt::kFormat, Opt::kMaxChars, Opt::kConllDomain, Opt::kNested, Opt::kJson},
                [](const Options& o) {
                  std::size_t problems = 0;
                  auto all = nlohmann::ordered_json::array();
                  for (std::size_t i = 0; i < o.inputs.size(); ++i) {
                    const auto st = compute_stats(o.inputs[i], o.read_options());
                    problems += st.problems.size();
                    if (o.json) {
                      all.push_back(stats_json(st));
                    } else {
                      if (i > 0) std::cout << "\n";
                      print_stats(std::cout, st);
                    }
                  }
                  if (o.json) std::cout << all.dump(1) << "\n";
                  // Problems are listed above; a non-zero exit lets scripts stop on unclean data.
                  return problems == 0 ? 0 : 3;
                }};
  return {stats};
}

}  // namespace jointnlu::cli
