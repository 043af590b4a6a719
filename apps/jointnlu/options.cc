#include "options.h"

namespace jointnlu::cli {

ReadOptions Options::read_options() const {
  ReadOptions r;
  r.format = parse_format(format);
  r.max_chars = max_chars;
  r.on_error = on_error == "skip" ? OnError::kSkip : OnError::kReject;
  r.conll_domain = conll_domain;
  r.nested = nested == "reject" ? NestedSlots::kReject : NestedSlots::kKeepOuter;
  return r;
}

void add_options(CLI::App& cmd, Options& o, const std::vector<Opt>& which) {
  for (Opt opt : which) {
    switch (opt) {
      case Opt::kInputs:
        cmd.add_option("files", o.inputs, "Data files (SMP JSON, JSON Lines or CoNLL); - is stdin")
            ->required()
            ->type_name("FILE");
        break;
      case Opt::kGold:
        cmd.add_option("--gold", o.gold, "Reference data file")->required()->type_name("FILE");
        break;
      case Opt::kPred:
        cmd.add_option("--pred", o.pred, "Predictions in any supported format; - is stdin")
            ->required()
            ->type_name("FILE");
        break;
      case Opt::kFormat:
        cmd.add_option("--format", o.format, "Input format")
            ->check(CLI::IsMember({"auto", "smp", "jsonl", "conll"}))
            ->capture_default_str();
        break;
      case Opt::kMaxChars:
        cmd.add_option("--max-chars", o.max_chars, "Reject texts longer than this many characters")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kOnError:
        cmd.add_option("--on-error", o.on_error, "Bad records: reject the file, or skip and report them")
            ->check(CLI::IsMember({"reject", "skip"}))
            ->capture_default_str();
        break;
      case Opt::kConllDomain:
        cmd.add_option("--conll-domain", o.conll_domain, "Domain given to CoNLL records (the format has none)")
            ->capture_default_str();
        break;
      case Opt::kNested:
        cmd.add_option("--nested", o.nested,
                       "Slot values nested in another: tag the outer span and report the inner one, or reject")
            ->check(CLI::IsMember({"keep-outer", "reject"}))
            ->capture_default_str();
        break;
      case Opt::kJson:
        cmd.add_flag("--json", o.json, "Print results as JSON");
        break;
      case Opt::kOut:
        cmd.add_option("--out,-o", o.out, "Output path")->capture_default_str();
        break;
      case Opt::kDataDir:
        cmd.add_option("--data-dir", o.data_dir,
                       "Demo data directory (train/dev/test.json); empty: the data built into the binary")
            ->capture_default_str();
        break;
    }
  }
}

}  // namespace jointnlu::cli
