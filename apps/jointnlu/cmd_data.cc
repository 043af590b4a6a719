// `jointnlu data stats FILE...` and `jointnlu vocab`
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/tokenizer.h"
#include "data/corpus.h"
#include "data/dataset.h"
#include "data/vocab_builder.h"
#include "options.h"
#include "report/scores.h"

namespace jointnlu::cli {

std::vector<Command> data_commands() {
  Command stats{
      "data stats",
      "Counts of domains, intents, slot keys, text lengths, and every record that fails to parse "
      "or align",
      {Opt::kInputs, Opt::kFormat, Opt::kMaxChars, Opt::kConllDomain, Opt::kNested, Opt::kJson},
      [](const Options& o) {
        std::size_t problems = 0;
        auto all = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < o.inputs.size(); ++i) {
          const auto st = compute_stats(o.inputs[i], o.read_options());
          problems += st.problems.size();
          if (o.json) {
            all.push_back(report::stats_json(st));
          } else {
            if (i > 0) std::cout << "\n";
            report::print_stats(std::cout, st);
          }
        }
        if (o.json) std::cout << all.dump(1) << "\n";
        // Problems are listed above; a non-zero exit lets scripts stop on unclean data.
        return problems == 0 ? 0 : 3;
      }};
  Command vocab{
      "vocab",
      "Build a vocab.txt from a corpus as pretrain --build-vocab does (e.g. to recreate the "
      "shipped "
      "encoder's vocabulary, scripts/setup.sh)",
      {Opt::kCorpus, Opt::kTrain, Opt::kMinCount, Opt::kOut},
      [](const Options& o) {
        if (o.corpus.empty()) throw std::invalid_argument("vocab needs --corpus");
        if (o.out.empty()) throw std::invalid_argument("vocab needs --out FILE");
        std::vector<std::string> files;
        for (const auto& spec : o.corpus) files.push_back(parse_corpus_spec(spec).path);
        std::vector<std::string> forced;
        if (!o.train.empty())
          for (auto& r : read_records(o.train)) forced.push_back(std::move(r.text));
        VocabBuildOptions options;
        options.min_count = static_cast<std::size_t>(std::max(1, o.min_count));
        const auto v = build_corpus_vocabulary(files, forced, options,
                                               [](const std::string& m) { spdlog::warn("{}", m); });
        Tokenizer(v.tokens).save_vocab(o.out);  // checks the tokens as any vocab.txt reader does
        spdlog::info(
            "{}: {} tokens ({} distinct characters in {} counted; {} added to cover --train)",
            o.out, v.tokens.size(), v.distinct_chars, v.total_chars, v.added);
        return 0;
      }};
  return {stats, vocab};
}

}  // namespace jointnlu::cli
