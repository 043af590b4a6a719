// The one option table of the jointnlu CLI. Every subcommand picks the options it uses from here, so a
// flag has one name, one meaning, one default and one help text across the whole tool.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/dataset.h"

namespace jointnlu::cli {

struct Options {
  // Data files.
  std::vector<std::string> inputs;  // positional data files; "-" is stdin
  std::string gold;                 // reference file for eval
  std::string pred;                 // prediction file for eval
  std::string format = "auto";      // auto | smp | jsonl | conll
  std::size_t max_chars = 512;      // longest accepted text, in characters
  std::string on_error = "reject";  // reject | skip
  std::string conll_domain = "default";
  std::string nested = "keep-outer";  // keep-outer | reject
  // Output.
  bool json = false;                // machine-readable output on stdout
  std::string out;                  // output file or directory
  std::string data_dir;             // demo: where to find/write the data
  // Logging.
  int verbosity = 0;                // -v: debug logs
  bool quiet = false;               // -q: warnings and errors only

  ReadOptions read_options() const;
};

enum class Opt {
  kInputs,
  kGold,
  kPred,
  kFormat,
  kMaxChars,
  kOnError,
  kConllDomain,
  kNested,
  kJson,
  kOut,
  kDataDir,
};

// Registers the chosen options on a subcommand, bound to fields of `o`, defaults shown in --help.
void add_options(CLI::App& cmd, Options& o, const std::vector<Opt>& which);

// A subcommand: "data stats" is the subcommand "stats" of the group "data".
struct Command {
  std::string path;
  std::string help;
  std::vector<Opt> options;
  std::function<int(const Options&)> run;  // returns the exit code
};

std::vector<Command> data_commands();
std::vector<Command> eval_commands();
std::vector<Command> demo_commands();

}  // namespace jointnlu::cli
