// Registration of the training subcommands and the loader of the plugin that runs them.
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "recipe_flags.h"
#include "trainer_plugin.h"

namespace jointnlu::cli {
namespace {

using RunFn = int (*)(const char*, const Options*, char*, std::size_t);

[[maybe_unused]] std::string plugin_path() {  // unused without the training layer
  if (const char* env = std::getenv("JOINTNLU_TRAINER"); env && *env) return env;
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "libjointnlu_trainer.so";
  exe[n] = '\0';
  const auto dir = std::filesystem::path(exe).parent_path();
  for (const auto& candidate :
       {dir / "libjointnlu_trainer.so", dir / "../lib/jointnlu/libjointnlu_trainer.so"})
    if (std::filesystem::exists(candidate)) return candidate.string();
  return (dir / "libjointnlu_trainer.so").string();
}

}  // namespace

int run_in_trainer(const std::string& command, [[maybe_unused]] const Options& options) {
#ifndef JOINTNLU_WITH_TRAINING
  throw std::runtime_error("'" + command +
                           "' needs the training layer, and this build has none (configured with "
                           "-DJOINTNLU_WITH_TRAINING=OFF)");
#else
  // libgomp's waiting threads spin by default; with another job on the same cores that made 2
  // threads 3-5x slower than 1 (SMP2019 teacher epoch: 147 s vs 31 s; 18.5 s passive). It must be
  // set before libtorch (and so libgomp) is loaded; a user's own setting wins.
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  const std::string path = plugin_path();
  // Loaded once per process and never unloaded: libtorch does not support being unloaded.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw std::runtime_error("cannot load the training plugin " + path + ": " + ::dlerror() +
                             " (build the 'jointnlu_trainer' target, or set JOINTNLU_TRAINER)");
  auto run = reinterpret_cast<RunFn>(::dlsym(handle, "jointnlu_trainer_run"));
  if (!run)
    throw std::runtime_error(path + " is not a jointnlu training plugin (no jointnlu_trainer_run)");
  char error[4096] = {0};
  const int code = run(command.c_str(), &options, error, sizeof error);
  if (error[0] != '\0') throw std::runtime_error(error);
  return code;
#endif
}

namespace {

using Runner = std::function<int(const Options&)>;
using Binder = std::function<void(CLI::App&, Options&)>;

// Runs the command in the plugin once `ready` holds; else refuses with `needs` as the message.
Runner in_trainer(std::string name, std::function<bool(const Options&)> ready = {},
                  std::string needs = {}) {
  return [=](const Options& o) {
    if (ready && !ready(o)) throw std::invalid_argument(name + " needs " + needs);
    return run_in_trainer(name, o);
  };
}

// Binds a recipe's fields as flags, plus --recipe FILE. `visit` picks which fields
// (train-student: the model's, without the distillation ones).
template <class Recipe, class Visit>
Binder recipe_flags(Recipe Options::*recipe, Visit visit) {
  return [=](CLI::App& cmd, Options& o) {
    visit(o.*recipe, FlagBinder(cmd));
    add_recipe_file_flag(cmd, o.*recipe);
  };
}

constexpr auto kAllFields = [](auto& recipe, FlagBinder b) { recipe.visit(b); };

}  // namespace

std::vector<Command> trainer_commands() {
  return {
      {"info",
       "Show the compute environment: BLAS library (OpenBLAS?), threads, sgemm speed",
       {Opt::kThreads},
       in_trainer("info")},
      {"pretrain",
       "Pretrain an ALBERT with masked-LM (+ sentence order) or replaced-token detection on "
       "unlabelled text; resumable, stops on SIGINT/SIGTERM",
       {Opt::kCorpus},
       in_trainer(
           "pretrain", [](const Options& o) { return !o.corpus.empty(); }, "--corpus"),
       recipe_flags(&Options::pretrain_recipe, kAllFields)},
      {"release-encoder",
       "Write the encoder of a pretraining run (--model) as a small Hugging Face ALBERT checkpoint "
       "(--out): albert.* tensors only, stored as --dtype",
       {Opt::kModel, Opt::kOut, Opt::kDtype, Opt::kJson},
       in_trainer(
           "release-encoder", [](const Options& o) { return !o.model.empty() && !o.out.empty(); },
           "--model RUN and --out DIR")},
      {"train-teacher",
       "Fine-tune the ALBERT teacher jointly on domain, intent and slots (from --init or a --size "
       "preset)",
       {Opt::kJson},
       in_trainer("train-teacher"),
       recipe_flags(&Options::teacher_recipe, kAllFields)},
      {"train-student",
       "Train the BiLSTM student alone on gold labels (the 'BiLSTM alone' baseline of "
       "distillation)",
       {Opt::kJson},
       in_trainer("train-student"),
       recipe_flags(&Options::student_recipe,
                    [](auto& recipe, FlagBinder b) { recipe.visit_model(b); })},
      {"distill",
       "Distill a teacher into the BiLSTM student: soft targets on the training set, augmented "
       "variants and unlabelled lines",
       {Opt::kJson},
       in_trainer("distill"),
       recipe_flags(&Options::student_recipe, kAllFields)},
      {"pipeline",
       "Data to deployed model: fine-tune the teacher, distill the student, export fp32 and int8, "
       "evaluate on test, benchmark; re-running resumes",
       {Opt::kTrain, Opt::kDev, Opt::kTest, Opt::kOut, Opt::kInit, Opt::kConfig, Opt::kGazetteers,
        Opt::kMaxChars, Opt::kOnError, Opt::kConllDomain},
       in_trainer(
           "pipeline",
           [](const Options& o) { return !o.train.empty() && !o.test.empty() && !o.out.empty(); },
           "--train, --test and --out (and --dev for model selection)")},
      {"bench",
       "Latency (1 thread, batch 1: p50/p99) and throughput (all threads) of teacher, student and "
       "the student runtime (fp32, int8) over every utterance of a file, with ratios and the "
       "runtime's floor",
       {Opt::kTeacher, Opt::kStudent, Opt::kCompareStudent, Opt::kData, Opt::kThreads, Opt::kRounds,
        Opt::kMaxChars, Opt::kJson},
       in_trainer(
           "bench", [](const Options& o) { return !o.data.empty(); },
           "--data FILE (utterances to time)")},
  };
}

}  // namespace jointnlu::cli
