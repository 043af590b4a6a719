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
      case Opt::kSize:
        cmd.add_option("--size", o.size,
                       "Model size when trained from scratch (train-teacher: with --init none; "
                       "default tiny): a preset (tiny, small, "
                       "base, each also -unshared) or a Hugging Face ALBERT config.json path")
            // The names of train::AlbertConfig::preset_names(); this file is also built without
            // torch.
            ->check(CLI::IsMember({"tiny", "small", "base", "tiny-unshared", "small-unshared",
                                   "base-unshared"}) |
                    (CLI::ExistingFile & CLI::Validator(
                                             [](std::string& s) {
                                               return s.ends_with(".json")
                                                          ? std::string()
                                                          : "a config file name must end in .json";
                                             },
                                             "FILE.json")))
            ->capture_default_str();
        break;
      case Opt::kBatchSize:
        cmd.add_option("--batch-size", o.batch_size, "Examples (or sequences) per optimizer step")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kLr:
        cmd.add_option("--lr", o.lr, "Peak learning rate (0: the command's default)")
            ->capture_default_str();
        break;
      case Opt::kWarmup:
        cmd.add_option("--warmup", o.warmup,
                       "Warm-up: fraction of all steps if < 1, else a step count")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
        break;
      case Opt::kMaxLength:
        cmd.add_option("--max-length", o.max_length,
                       "Longest token sequence, [CLS] and [SEP] included")
            ->check(CLI::Range(4, 4096))
            ->capture_default_str();
        break;
      case Opt::kSeed:
        cmd.add_option("--seed", o.seed, "Random seed (same seed, same run)")
            ->capture_default_str();
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
      case Opt::kDevice:
        cmd.add_option("--device", o.device,
                       "Training device: cpu, cuda or cuda:N (cuda needs a build against a CUDA "
                       "libtorch)")
            ->capture_default_str();
        break;
      case Opt::kDtype:
        cmd.add_option("--dtype", o.dtype, "Storage of the released weights (loaders widen to f32)")
            ->check(CLI::IsMember({"f16", "bf16", "f32"}))
            ->capture_default_str();
        break;
      case Opt::kResume:
        cmd.add_flag("--resume", o.resume, "Continue from the checkpoint in --out");
        break;
      case Opt::kCorpus:
        // Required by pretrain (checked there); optional for distill.
        cmd.add_option("--corpus", o.corpus,
                       "Unlabelled text, one utterance per line; PATH:WEIGHT oversamples")
            ->type_name("PATH[:W]");
        break;
      case Opt::kVocab:
        cmd.add_option("--vocab", o.vocab, "vocab.txt to use")->type_name("FILE");
        break;
      case Opt::kBuildVocab:
        cmd.add_flag("--build-vocab", o.build_vocab, "Build vocab.txt from the corpus");
        break;
      case Opt::kMinCount:
        cmd.add_option("--min-count", o.min_count,
                       "Vocabulary: least count for a character of its own")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kMinutes:
        cmd.add_option("--minutes", o.minutes, "Stop after this many minutes (0: no limit)")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
        break;
      case Opt::kSteps:
        cmd.add_option("--steps", o.steps, "Stop after this many optimizer steps (0: no limit)")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
        break;
      case Opt::kCheckpointMinutes:
        cmd.add_option("--checkpoint-minutes", o.checkpoint_minutes,
                       "Save a resumable checkpoint this often")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kOptimizer:
        cmd.add_option("--optimizer", o.optimizer, "Optimizer")
            ->check(CLI::IsMember({"adamw", "lamb"}))
            ->capture_default_str();
        break;
      case Opt::kMaxNgram:
        cmd.add_option("--max-ngram", o.max_ngram,
                       "Span masking: longest masked n-gram (1: single tokens)")
            ->check(CLI::Range(1, 10))
            ->capture_default_str();
        break;
      case Opt::kSop:
        cmd.add_flag(
            "--sop,!--no-sop", o.sop,
            "Add sentence-order prediction (ALBERT's SOP) to the masked LM; off by default: "
            "most corpus lines are independent utterances, and SOP keeps packed lines "
            "attending to each other");
        break;
      case Opt::kNoIsolateLines:
        cmd.add_flag("--no-isolate-lines", o.no_isolate_lines,
                     "Let packed lines attend to each other at running positions (by default each "
                     "line is its own attention block with its own positions)");
        break;
      case Opt::kUnitProjectionInit:
        cmd.add_flag("--unit-projection-init", o.unit_projection_init,
                     "Experimental: start the embedding->hidden projection at unit output scale "
                     "instead of N(0, initializer_range)");
        break;
      case Opt::kPositionInit:
        cmd.add_option("--position-init", o.position_init,
                       "How a freshly built ALBERT's position embeddings start (both are learned "
                       "and HF-compatible; sinusoidal escapes the masked-LM plateau much sooner)")
            ->check(CLI::IsMember({"sinusoidal", "normal"}))
            ->capture_default_str();
        break;
      case Opt::kObjective:
        cmd.add_option("--objective", o.objective,
                       "Pretraining objective: mlm (masked LM) or rtd (ELECTRA's replaced-token "
                       "detection: a small generator fills the masked positions and the encoder "
                       "judges every token; the checkpoint's albert.* is the discriminator)")
            ->check(CLI::IsMember({"mlm", "rtd"}))
            ->capture_default_str();
        break;
      case Opt::kGeneratorFraction:
        cmd.add_option("--generator-fraction", o.generator_fraction,
                       "rtd: the generator's hidden size, FFN size and heads as a fraction of the "
                       "encoder's (same depth, shared embeddings)")
            ->check(CLI::Range(0.01, 1.0))
            ->capture_default_str();
        break;
      case Opt::kRtdWeight:
        cmd.add_option("--rtd-weight", o.rtd_weight,
                       "rtd: weight of the discriminator's loss against the generator's masked-LM "
                       "loss (ELECTRA: 50)")
            ->check(CLI::NonNegativeNumber)
            ->capture_default_str();
        break;
      case Opt::kMasking:
        cmd.add_option("--masking", o.masking,
                       "Pretraining: mask spans of characters (char) or of whole words (word: "
                       "words found by forward maximum matching against --word-list; --max-ngram "
                       "then counts words)")
            ->check(CLI::IsMember({"char", "word"}))
            ->capture_default_str();
        break;
      case Opt::kWordList:
        cmd.add_option("--word-list", o.word_list,
                       "--masking word: one word per line, anything after a tab or space ignored "
                       "(the default is jieba's dictionary, Debian package python3-jieba)")
            ->type_name("FILE")
            ->capture_default_str();
        break;
      case Opt::kEncoderDropout:
        cmd.add_option(
               "--encoder-dropout", o.encoder_dropout,
               "ALBERT hidden and attention dropout (negative: keep the model config's; the "
               "value used is saved in config.json)")
            ->check(CLI::Range(-1.0, 0.9))
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
        cmd.add_option("--admin-token", o.admin_token,
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
        cmd.add_option("--host", o.host, "Address to listen on")->capture_default_str();
        break;
      case Opt::kPort:
        cmd.add_option("--port", o.port,
                       "TCP port (0: pick a free one; the bound address is printed on stderr)")
            ->check(CLI::Range(0, 65535))
            ->capture_default_str();
        break;
      case Opt::kMaxBodyBytes:
        cmd.add_option("--max-body-bytes", o.max_body_bytes,
                       "Larger request bodies are refused with 413")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
      case Opt::kMaxBatch:
        cmd.add_option("--max-batch", o.max_batch, "Most texts in one {\"texts\": [...]} request")
            ->check(CLI::PositiveNumber)
            ->capture_default_str();
        break;
    }
  }
}

}  // namespace jointnlu::cli
