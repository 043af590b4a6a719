#include "options.h"

#include <functional>
#include <optional>

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

PredictStreamOptions Options::predict_stream_options() const {
  PredictStreamOptions p;
  p.on_error = on_error == "skip" ? OnError::kSkip : OnError::kReject;
  return p;
}

namespace {

// What a row sets on its CLI11 option beyond name, field and help.
struct Mods {
  const char* type = nullptr;           // placeholder shown in --help (FILE, DIR, ...)
  std::optional<CLI::Validator> check;  // values failing it are refused with its message
  bool show_default = false;            // --help prints the field's initial value
  bool required = false;                // the command refuses to run without it
  const char* env = nullptr;            // also read from this environment variable
  bool one_value = false;               // one value per occurrence, so a positional may follow
};

struct Row {
  Opt id;
  std::function<void(CLI::App&, Options&)> add;
};

void apply(CLI::Option* opt, const Mods& m) {
  if (m.type != nullptr) opt->type_name(m.type);
  if (m.check) opt->check(*m.check);
  if (m.required) opt->required();
  if (m.env != nullptr) opt->envname(m.env);
  if (m.one_value) opt->allow_extra_args(false);
  if (m.show_default) opt->capture_default_str();
}

// `field` is a pointer to an Options member or a function returning a reference into Options.
template <class Field>
Row option(Opt id, const char* name, Field field, const char* help, Mods mods = {}) {
  return {id, [=](CLI::App& cmd, Options& o) {
            apply(cmd.add_option(name, std::invoke(field, o), help), mods);
          }};
}

Row flag(Opt id, const char* name, bool Options::*field, const char* help) {
  return {id, [=](CLI::App& cmd, Options& o) { cmd.add_flag(name, o.*field, help); }};
}

// GCC 12 warns about the members a designated initializer leaves out; leaving them at their
// defaults is the point of the table's rows.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

const Mods kShown{.show_default = true};
const std::vector<std::string> kFormats{"auto", "smp", "jsonl", "conll"};

// The table: one row per flag (kServeTimeouts has two). Defaults are the fields' initial values.
const std::vector<Row>& option_table() {
  using O = Options;
  static const std::vector<Row> rows{
      option(Opt::kInputs, "files", &O::inputs,
             "Data files (SMP JSON, JSON Lines or CoNLL); - is stdin",
             {.type = "FILE", .required = true}),
      option(Opt::kInput, "input", &O::input, "Input: plain text lines or JSON lines; - is stdin",
             {.type = "FILE", .show_default = true}),
      option(Opt::kGold, "--gold", &O::gold, "Reference data file", {.type = "FILE"}),
      option(Opt::kPred, "--pred", &O::pred, "Predictions in any supported format; - is stdin",
             {.type = "FILE"}),
      option(Opt::kFormat, "--format", &O::format, "Input format",
             {.check = CLI::IsMember(kFormats), .show_default = true}),
      option(Opt::kMaxChars, "--max-chars", &O::max_chars,
             "Reject texts longer than this many characters",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kOnError, "--on-error", &O::on_error,
             "Bad records: reject (stop there; predict keeps the lines before it), or skip and "
             "report them (predict: an error line in their place); stop = reject",
             {.check = CLI::IsMember({"reject", "stop", "skip"}), .show_default = true}),
      option(Opt::kConllDomain, "--conll-domain", &O::conll_domain,
             "Domain given to CoNLL records (the format has none)", kShown),
      option(Opt::kNested, "--nested", &O::nested,
             "Slot values nested in another: tag the outer span and report the inner one, or "
             "reject",
             {.check = CLI::IsMember({"keep-outer", "reject"}), .show_default = true}),
      flag(Opt::kJson, "--json", &O::json, "Print results as JSON"),
      option(Opt::kOut, "--out,-o", &O::out, "Output path", kShown),
      option(Opt::kDataDir, "--data-dir", &O::data_dir,
             "Demo data directory (train/dev/test.json); empty: the data built into the binary",
             kShown),
      option(Opt::kRunDir, "run", &O::run_dir,
             "Pipeline run directory (config.json, teacher/, student/, eval/, bench.json)",
             {.type = "DIR", .required = true}),
      option(Opt::kModel, "--model,-m", &O::model,
             "Model: checkpoint directory or exported .safetensors file", {.type = "PATH"}),
      option(Opt::kData, "--data", &O::data, "Data file to predict and score", {.type = "FILE"}),
      // Not required here: pretraining takes it optionally (characters its vocabulary must
      // cover); the commands that need it say so (see cmd_trainer.cc).
      option(Opt::kTrain, "--train", &O::train, "Training data (SMP JSON, JSON Lines or CoNLL)",
             {.type = "FILE"}),
      option(Opt::kDev, "--dev", &O::dev, "Development data: model selection and early stopping",
             {.type = "FILE"}),
      option(Opt::kTest, "--test", &O::test, "Test data, scored at the end", {.type = "FILE"}),
      option(Opt::kInit, "--init", &O::init,
             "Initialise from this checkpoint directory (Hugging Face ALBERT, BERT or ELECTRA); "
             "default: "
             "the shipped encoder models/zh-tiny; none: train from scratch (--size)",
             {.type = "DIR"}),
      option(Opt::kRounds, "--rounds", &O::rounds,
             "Latency rounds per model: each round times every utterance again, and the spread "
             "of the rounds' p50 shows how much the machine's own speed moved",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kThreads, "--threads", &O::threads, "Compute threads (0: all cores)",
             {.check = CLI::NonNegativeNumber, .show_default = true}),
      option(Opt::kDtype, "--dtype", &O::dtype,
             "Storage of the released weights (loaders widen to f32)",
             {.check = CLI::IsMember({"f16", "bf16", "f32"}), .show_default = true}),
      // Required by pretrain (checked there); optional for distill.
      option(Opt::kCorpus, "--corpus", &O::corpus,
             "Unlabelled text, one utterance per line; PATH:WEIGHT oversamples",
             {.type = "PATH[:W]"}),
      option(Opt::kMinCount, "--min-count", &O::min_count,
             "Vocabulary: least count for a character of its own",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kTeacher, "--teacher", &O::teacher,
             "Teacher model directory (train-teacher output)", {.type = "DIR"}),
      option(Opt::kStudent, "--student", &O::student,
             "Student: checkpoint directory or exported .safetensors file", {.type = "PATH"}),
      option(Opt::kCompareStudent, "--compare-student", &O::compare_student,
             "bench: a second student (directory or export) whose runtime is timed in the same "
             "rounds, with ratios (e.g. the same student without a lexicon)",
             {.type = "PATH"}),
      option(Opt::kConfig, "--config", &O::config,
             "Pipeline configuration (JSON; see docs); copied into the run directory",
             {.type = "FILE"}),
      option(Opt::kGazetteers, "--gazetteers", &O::gazetteers,
             "Directory of slot-value lists (NAME.txt serves slot keys NAME and *_NAME) for "
             "substitution",
             {.type = "DIR"}),
      option(Opt::kLexicon, "--lexicon", &O::lexicon,
             "Lexicon source, repeatable: NAME=FILE (one entry per line), PREFIX=DIR (every "
             "*.txt as PREFIX.STEM) or jieba[=FILE] (python3-jieba's dictionary by POS). "
             "Training: the model's categories; predict/serve: entries added to the model's "
             "categories of those names",
             {.type = "SPEC", .one_value = true}),
      option(Opt::kAdminToken, "--admin-token", [](O & o) -> auto& { return o.api.admin_token; },
             "Enables PUT/DELETE /v1/lexicons/NAME for clients sending Authorization: Bearer "
             "TOKEN (also from JOINTNLU_ADMIN_TOKEN)",
             {.type = "TOKEN", .env = "JOINTNLU_ADMIN_TOKEN"}),
      flag(Opt::kInt8, "--int8", &O::int8,
           "Store weight matrices as int8 with per-row scales (~4x smaller)"),
      option(
          Opt::kHost, "--host", [](O & o) -> auto& { return o.server.host; },
          "Address to listen on", kShown),
      option(Opt::kPort, "--port", [](O & o) -> auto& { return o.server.port; },
             "TCP port (0: pick a free one; the bound address is printed on stderr)",
             {.check = CLI::Range(0, 65535), .show_default = true}),
      option(Opt::kMaxBodyBytes, "--max-body,--max-body-bytes",
             [](O & o) -> auto& { return o.server.max_body_bytes; },
             "Larger request bodies are refused with 413 (chunked ones too, as soon as the "
             "limit is passed)",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kMaxBatch, "--max-batch", [](O & o) -> auto& { return o.api.max_batch; },
             "Most texts in one {\"texts\": [...]} request",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kMaxConnections, "--max-connections",
             [](O & o) -> auto& { return o.server.max_connections; },
             "Connections served at once; more are answered 503 with Retry-After",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kServeTimeouts, "--idle-timeout",
             [](O & o) -> auto& { return o.server.idle_timeout_s; },
             "Seconds a connection may take to send a request's headers, or wait between "
             "requests",
             {.check = CLI::PositiveNumber, .show_default = true}),
      option(Opt::kServeTimeouts, "--request-timeout",
             [](O & o) -> auto& { return o.server.request_timeout_s; },
             "Seconds a client may take to send a request's body (then 408)",
             {.check = CLI::PositiveNumber, .show_default = true}),
  };
  return rows;
}

#pragma GCC diagnostic pop

}  // namespace

void add_options(CLI::App& cmd, Options& o, const std::vector<Opt>& which) {
  for (Opt id : which) {
    for (const Row& row : option_table()) {
      if (row.id == id) row.add(cmd, o);
    }
  }
}

}  // namespace jointnlu::cli
