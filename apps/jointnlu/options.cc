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

PredictStreamOptions Options::predict_stream_options() const {
  PredictStreamOptions p;
  p.on_error = on_error == "skip" ? OnError::kSkip : OnError::kReject;
  return p;
}

void add_options(CLI::App& cmd, Options& o, const std::vector<Opt>& which) {
  for (Opt opt : which) {
    switch (opt) {
      case Opt::kInputs:
        cmd.add_option("files", o.inputs, "Data files (SMP JSON, JSON Lines or CoNLL); - is stdin")
            ->required()
            ->type_name("FILE");
        break;
      case Opt::kInput:
        cmd.add_option("input", o.input, "Input: plain text lines or JSON lines; - is stdin")
            ->type_name("FILE")
            ->capture_default_str();
        break;
      case Opt::kGold:
        cmd.add_option("--gold", o.gold, "Reference data file")->type_name("FILE");
        break;
      case Opt::kPred:
        cmd.add_option("--pred", o.pred, "Predictions in any supported format; - is stdin")
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
        cmd.add_option(
               "--on-error", o.on_error,
               "Bad records: reject (stop there; predict keeps the lines before it), or skip and "
               "report them (predict: an error line in their place); stop = reject")
            ->check(CLI::IsMember({"reject", "stop", "skip"}))
            ->capture_default_str();
        break;
      case Opt::kConllDomain:
        cmd.add_option("--conll-domain", o.conll_domain,
                       "Domain given to CoNLL records (the format has none)")
            ->capture_default_str();
        break;
      case Opt::kNested:
        cmd.add_option("--nested", o.nested,
                       "Slot values nested in another: tag the outer span and report the inner "
                       "one, or reject")
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
        cmd.add_option(
               "--data-dir", o.data_dir,
               "Demo data directory (train/dev/test.json); empty: the data built into the binary")
            ->capture_default_str();
        break;
      case Opt::kRunDir:
        cmd.add_option(
               "run", o.run_dir,
               "Pipeline run directory (config.json, teacher/, student/, eval/, bench.json)")
            ->required()
            ->type_name("DIR");
        break;
      case Opt::kModel:
        cmd.add_option("--model,-m", o.model,
                       "Model: checkpoint directory or exported .safetensors file")
            ->type_name("PATH");
        break;
      case Opt::kData:
        cmd.add_option("--data", o.data, "Data file to predict and score")->type_name("FILE");
        break;
      case Opt::kTrain:
        // Not required here: pretraining takes it optionally (characters its vocabulary must
        // cover); the commands that need it say so (see cmd_trainer.cc).
        cmd.add_option("--train", o.train, "Training data (SMP JSON, JSON Lines or CoNLL)")
            ->type_name("FILE");
        break;
      case Opt::kDev:
        cmd.add_option("--dev", o.dev, "Development data: model selection and early stopping")
            ->type_name("FILE");
        break;
      case Opt::kTest:
        cmd.add_option("--test", o.test, "Test data, scored at the end")->type_name("FILE");
        break;
      case Opt::kInit:
        cmd.add_option("--init", o.init,
                       "Initialise from this checkpoint directory (Hugging Face ALBERT layout); "
                       "default: the shipped "
                       "encoder models/zh-tiny; none: train from scratch (--size)")
            ->type_name("DIR");
        break;
      case Opt::kRounds:
        cmd.add_option("--rounds", o.rounds,
                       "Latency rounds per model: each round times every utterance again, and the "
                       "spread of the rounds' p50 shows how much the machine's own speed moved")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kThreads:
        cmd.add_option("--threads", o.threads, "Compute threads (0: all cores)")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
        break;
      case Opt::kDtype:
        cmd.add_option("--dtype", o.dtype, "Storage of the released weights (loaders widen to f32)")
            ->check(CLI::IsMember({"f16", "bf16", "f32"}))
            ->capture_default_str();
        break;
      case Opt::kCorpus:
        // Required by pretrain (checked there); optional for distill.
        cmd.add_option("--corpus", o.corpus,
                       "Unlabelled text, one utterance per line; PATH:WEIGHT oversamples")
            ->type_name("PATH[:W]");
        break;
      case Opt::kMinCount:
        cmd.add_option("--min-count", o.min_count,
                       "Vocabulary: least count for a character of its own")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kTeacher:
        cmd.add_option("--teacher", o.teacher, "Teacher model directory (train-teacher output)")
            ->type_name("DIR");
        break;
      case Opt::kStudent:
        cmd.add_option("--student", o.student,
                       "Student: checkpoint directory or exported .safetensors file")
            ->type_name("PATH");
        break;
      case Opt::kCompareStudent:
        cmd.add_option("--compare-student", o.compare_student,
                       "bench: a second student (directory or export) whose runtime is timed in "
                       "the same rounds, with ratios (e.g. the same student without a lexicon)")
            ->type_name("PATH");
        break;
      case Opt::kConfig:
        cmd.add_option("--config", o.config,
                       "Pipeline configuration (JSON; see docs); copied into the run directory")
            ->type_name("FILE");
        break;
      case Opt::kGazetteers:
        cmd.add_option("--gazetteers", o.gazetteers,
                       "Directory of slot-value lists (NAME.txt serves slot keys NAME and *_NAME) "
                       "for substitution")
            ->type_name("DIR");
        break;
      case Opt::kLexicon:
        cmd.add_option(
               "--lexicon", o.lexicon,
               "Lexicon source, repeatable: NAME=FILE (one entry per line), PREFIX=DIR (every "
               "*.txt as PREFIX.STEM) or jieba[=FILE] (python3-jieba's dictionary by POS). "
               "Training: the model's categories; predict/serve: entries added to the "
               "model's categories of those names")
            ->allow_extra_args(false)  // one SPEC per --lexicon: a positional input may follow
            ->type_name("SPEC");
        break;
      case Opt::kAdminToken:
        cmd.add_option("--admin-token", o.api.admin_token,
                       "Enables PUT/DELETE /v1/lexicons/NAME for clients sending Authorization: "
                       "Bearer TOKEN (also from JOINTNLU_ADMIN_TOKEN)")
            ->envname("JOINTNLU_ADMIN_TOKEN")
            ->type_name("TOKEN");
        break;
      case Opt::kInt8:
        cmd.add_flag("--int8", o.int8,
                     "Store weight matrices as int8 with per-row scales (~4x smaller)");
        break;
      case Opt::kHost:
        cmd.add_option("--host", o.server.host, "Address to listen on")->capture_default_str();
        break;
      case Opt::kPort:
        cmd.add_option("--port", o.server.port,
                       "TCP port (0: pick a free one; the bound address is printed on stderr)")
            ->check(CLI::Range(0, 65535))
            ->capture_default_str();
        break;
      case Opt::kMaxBodyBytes:
        cmd.add_option("--max-body,--max-body-bytes", o.server.max_body_bytes,
                       "Larger request bodies are refused with 413 (chunked ones too, as soon as "
                       "the limit is passed)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kMaxBatch:
        cmd.add_option("--max-batch", o.api.max_batch,
                       "Most texts in one {\"texts\": [...]} request")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kMaxConnections:
        cmd.add_option("--max-connections", o.server.max_connections,
                       "Connections served at once; more are answered 503 with Retry-After")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kServeTimeouts:
        cmd.add_option("--idle-timeout", o.server.idle_timeout_s,
                       "Seconds a connection may take to send a request's headers, or wait "
                       "between requests")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        cmd.add_option("--request-timeout", o.server.request_timeout_s,
                       "Seconds a client may take to send a request's body (then 408)")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
    }
  }
}

}  // namespace jointnlu::cli
