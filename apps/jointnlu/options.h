// The one option table of the jointnlu CLI. Every subcommand picks the options it uses from here,
// so a flag has one name, one meaning, one default and one help text across the whole tool.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/speed_bench.h"  // torch-free
#include "data/dataset.h"
#include "data/predict_stream.h"
#include "serve/http_server.h"  // torch-free, no Boost in the header
#include "train/pretrain.h"     // torch-free: the pretraining defaults below come from it
#include "train/recipes/student_recipe.h"  // torch-free
#include "train/recipes/teacher_recipe.h"  // torch-free

namespace jointnlu::cli {

struct Options {
  // Data files.
  std::vector<std::string> inputs;                  // positional data files; "-" is stdin
  std::string input = "-";                          // one optional positional input; "-" is stdin
  std::string gold;                                 // reference file for eval
  std::string pred;                                 // prediction file for eval
  std::string format = "auto";                      // auto | smp | jsonl | conll
  std::size_t max_chars = ReadOptions{}.max_chars;  // longest accepted text, in characters
  std::string on_error = "reject";                  // reject (alias stop) | skip
  std::string conll_domain = "default";
  std::string nested = "keep-outer";  // keep-outer | reject
  // Output.
  bool json = false;     // machine-readable output on stdout
  std::string out;       // output file or directory
  std::string data_dir;  // demo: where to find/write the data
  std::string run_dir;   // report: a pipeline run directory
  // Models and data (the training commands' flags are their recipes' fields, below).
  std::string model;  // a model: checkpoint directory or exported file
  std::string data;   // eval --model: the data file to predict and score
  std::string train;  // training data file
  std::string dev;    // development data file (model selection, early stopping)
  std::string test;   // test data file
  std::string init;   // initialise from this checkpoint directory (e.g. a pretrained ALBERT)
  int threads = 0;    // compute threads; 0: all cores
  // Pretraining.
  std::vector<std::string>
      corpus;  // unlabelled text files, one utterance per line; PATH:WEIGHT oversamples
  int min_count = train::PretrainRecipe{}.min_count;  // vocab: least count of a character
  // Bench and pipeline.
  std::string teacher;  // teacher checkpoint directory (train-student: its vocabulary; bench)
  std::string student;  // bench: student checkpoint directory or exported file
  std::string compare_student;               // bench: a second student timed in the same rounds
  int rounds = bench::BenchRecipe{}.rounds;  // bench: latency rounds per model
  std::string config;                        // pipeline: configuration file (JSON)
  std::string gazetteers;  // directory of slot-value lists (*.txt) for substitution
  // Lexicons (core/lexicon_sources.h): training sources, or entries added at load (predict/serve).
  std::vector<std::string> lexicon;  // --lexicon NAME=FILE | PREFIX=DIR | jieba[=FILE], repeatable
  // Runtime: export and serve.
  std::string dtype = "f16";  // release-encoder: f16 | bf16 | f32 storage of the weights
  bool int8 = false;          // export: int8 weight matrices (per-row scales) instead of fp32
  // serve: the transport's limits (host, port, connections, body, deadlines) and the API's (batch,
  // admin token); max_chars and threads above fill the rest.
  serve::ServerOptions server;
  serve::ApiOptions api;
  // Recipes: train-teacher, train-student, distill and pretrain bind their flags to these fields.
  train::TeacherRecipe teacher_recipe;
  train::StudentRecipe student_recipe;
  train::PretrainRecipe pretrain_recipe;  // pretrain
  // Logging.
  int verbosity = 0;   // -v: debug logs
  bool quiet = false;  // -q: warnings and errors only

  ReadOptions read_options() const;
  // predict: --on-error as the stream's policy.
  PredictStreamOptions predict_stream_options() const;
};

enum class Opt {
  kInputs,
  kInput,
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
  kRunDir,
  kModel,
  kData,
  kTrain,
  kDev,
  kTest,
  kInit,
  kThreads,
  kDtype,
  kRounds,
  kCorpus,
  kMinCount,
  kTeacher,
  kStudent,
  kCompareStudent,
  kConfig,
  kGazetteers,
  kLexicon,
  kAdminToken,
  kInt8,
  kHost,
  kPort,
  kMaxBodyBytes,
  kMaxBatch,
  kMaxConnections,
  kServeTimeouts,
};

// Registers the chosen options on a subcommand, bound to fields of `o`, defaults shown in --help.
void add_options(CLI::App& cmd, Options& o, const std::vector<Opt>& which);

// A subcommand: "data stats" is the subcommand "stats" of the group "data".
struct Command {
  std::string path;
  std::string help;
  std::vector<Opt> options;
  std::function<int(const Options&)> run;  // returns the exit code
  // Binds the command's recipe fields as flags (recipe_flags.h); unset: none.
  std::function<void(CLI::App&, Options&)> bind_recipe = {};
};

std::vector<Command> data_commands();
std::vector<Command> eval_commands();
std::vector<Command> demo_commands();
std::vector<Command> runtime_commands();  // predict, export, serve (student runtime, no libtorch)
std::vector<Command> report_commands();   // report RUN (cmd_report.cc)

}  // namespace jointnlu::cli
