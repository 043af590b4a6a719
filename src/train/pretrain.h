// Masked-LM (+ sentence-order) or replaced-token-detection pretraining of an ALBERT on unlabelled
// text, resumable exactly.
//
// The output directory is a Hugging Face-style AlbertForPreTraining checkpoint after every save:
//   config.json (AlbertConfig, model_type albert), vocab.txt, tokenizer_config.json,
//   model.safetensors (albert.*, predictions.*, sop_classifier.*; train-teacher --init loads
//   albert.*; objective rtd: albert.*, generator.*, discriminator_predictions.*),
// plus the trainer's state for --resume:
//   optimizer.safetensors (moments, step, the torch generator), trainer_state.json (step, schedule,
//   tokens seen, the data pipeline's position and generator), curve.csv (the learning curve).
// The directory is replaced atomically (write_checkpoint_dir), so a reader never sees a mix of
// steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/lexicon_sources.h"
#include "data/corpus.h"
#include "data/vocab_builder.h"
#include "train/distributed_options.h"

namespace jointnlu::train {

// A pretraining run as data (recipe_fields.h): visit() lists every field but `corpus` and
// `synthetic`, which gives `jointnlu pretrain` its flags and help defaults.
struct PretrainRecipe {
  std::vector<CorpusFile> corpus;  // unlabelled text files and their sampling weights
  std::string out;                 // checkpoint directory (see above)
  std::string vocab;               // an existing vocab.txt (exclusive with build_vocab)
  bool build_vocab = false;        // build vocab.txt from the corpus instead
  std::string train;  // labelled file whose characters the vocabulary must cover ("" none)
  int min_count =
      static_cast<int>(VocabBuildOptions{}.min_count);  // vocabulary: least count of a character
  std::string size = "tiny";    // preset or config.json (AlbertConfig::from_preset_or_file)
  double minutes = 0;           // wall-time budget of this process (0: none)
  std::int64_t steps = 0;       // total optimizer steps (0: derived from minutes, else unbounded)
  bool resume = false;          // continue from out
  std::int64_t stop_after = 0;  // save and stop after this many steps of this process (0: no limit)
  int batch_size = PipelineConfig{}.batch_size;  // sequences per step
  int max_length = PipelineConfig{}.max_length;  // tokens per sequence, [CLS] and [SEP]s included
  double lr = 0;        // peak learning rate; 0: the optimizer's (adamw 1e-3, lamb 2e-3)
  double warmup = 0.1;  // warm-up: a fraction of all steps (< 1) or a step count (>= 1)
  std::string optimizer = "adamw";         // adamw | lamb
  int max_ngram = MaskConfig{}.max_ngram;  // longest masked span (in words with masking "word")
  bool sop = false;                        // sentence-order prediction
  // Without SOP: each packed line attends only to itself, at its own positions (PipelineConfig).
  bool isolate_lines = PipelineConfig{}.isolate_lines;
  double checkpoint_minutes = 10;    // save this often
  double eval_minutes = 10;          // held-out evaluation this often (and at every save)
  std::size_t eval_sequences = 512;  // size of the held-out evaluation set
  int log_every = 20;                // steps per curve.csv training row
  std::uint64_t seed = 42;           // seeds the model, dropout and the data pipeline
  // Fresh runs: start the embedding projection at unit output scale instead of HF's N(0, 0.02)
  // (init_embedding_projection_unit_scale). Experimental: it shortens the early plateau on a
  // synthetic positional task but has not yet shown a gain on the real corpus (docs/RESULTS.md).
  bool unit_projection_init = false;
  // Fresh runs: how the position embeddings start ("sinusoidal" | "normal", see PositionInit).
  std::string position_init = "sinusoidal";
  // Fresh runs: hidden and attention dropout of the encoder; < 0 keeps the preset's / file's.
  double encoder_dropout = -1;
  int threads = 0;  // compute threads (0: all cores)
  // Where the model trains: "cpu", "cuda" or "cuda:N" (resolve_device). The data pipeline, the
  // checkpoints and the held-out metrics stay on the host; an exact resume is promised on CPU
  // (a GPU's kernels need not be bitwise repeatable).
  std::string device = "cpu";
  // Benchmark: train on one synthetic batch of the same shape, repeated (no corpus reading), to
  // measure bare forward+backward throughput against the real pipeline.
  bool synthetic = false;
  // "mlm": the masked LM above. "rtd": ELECTRA's replaced-token detection (train/electra.h): a
  // generator of generator_fraction the width fills the masked positions with samples and the
  // encoder learns to tell them from the original tokens; the loss is the generator's masked-LM
  // loss + rtd_weight x the discriminator's mean binary cross-entropy over the real tokens.
  std::string objective = "mlm";
  double generator_fraction = 0.25;  // rtd: generator hidden, intermediate and heads / encoder's
  double rtd_weight = 50;            // rtd: weight of the discriminator loss (ELECTRA's lambda)
  // "char": spans of tokens (characters). "word": spans of whole words, found by forward maximum
  // matching against word_list (data/word_segmenter.h); the 15% budget still counts tokens.
  std::string masking = "char";
  std::string word_list = std::string(kJiebaDictionary);  // one word per line; "word" masking only
  // A data-parallel job (train/distributed.h): every rank reads the same corpus stream and trains
  // on its share of each batch; rank 0 alone evaluates and writes `out`.
  DistributedFields distributed;

  template <class V>
  void visit(V&& v) {
    v("out", out, "Checkpoint directory (resumable; a Hugging Face AlbertForPreTraining)");
    v("vocab", vocab, "vocab.txt to use");
    v("build_vocab", build_vocab, "Build vocab.txt from the corpus (and train) instead");
    v("train", train, "Labelled data whose characters the built vocabulary must cover");
    v("min_count", min_count, "Vocabulary: least count for a character of its own");
    v("size", size,
      "Model size: a preset (tiny, small, base, each also -unshared; bert-tiny, bert-small, "
      "bert-base) or an ALBERT config.json");
    v("minutes", minutes, "Stop after this many minutes (0: no limit)");
    v("steps", steps, "Total optimizer steps (0: from minutes, else no limit)");
    v("resume", resume, "Continue from the checkpoint in out");
    v("stop_after", stop_after, "Save and stop after this many steps of this process (0: none)");
    v("batch_size", batch_size, "Sequences per optimizer step");
    v("max_length", max_length, "Tokens per sequence, [CLS] and [SEP]s included");
    v("lr", lr, "Peak learning rate (0: the optimizer's, adamw 1e-3, lamb 2e-3)");
    v("warmup", warmup, "Warm-up: fraction of all steps if < 1, else a step count");
    v("optimizer", optimizer, "Optimizer: adamw or lamb");
    v("max_ngram", max_ngram, "Span masking: longest masked n-gram (1: single tokens)");
    v("sop", sop,
      "Add sentence-order prediction (ALBERT's SOP) to the masked LM; off by default: most "
      "corpus lines are independent utterances, and SOP keeps packed lines attending to each "
      "other");
    v("isolate_lines", isolate_lines,
      "Each packed line is its own attention block with its own positions (false: "
      "they attend to each other at running positions)");
    v("checkpoint_minutes", checkpoint_minutes, "Save a resumable checkpoint this often");
    v("eval_minutes", eval_minutes, "Held-out evaluation this often (and at every save)");
    v("eval_sequences", eval_sequences, "Size of the held-out evaluation set");
    v("log_every", log_every, "Steps per training row of curve.csv");
    v("seed", seed, "Random seed (same seed, same run)");
    v("unit_projection_init", unit_projection_init,
      "Experimental: start the embedding->hidden projection at unit output scale");
    v("position_init", position_init,
      "How a fresh ALBERT's position embeddings start: sinusoidal (escapes the masked-LM plateau "
      "much sooner) or normal");
    v("encoder_dropout", encoder_dropout,
      "ALBERT hidden and attention dropout (negative: the model config's)");
    v("threads", threads, "Compute threads (0: all cores)");
    v("device", device, "Training device: cpu, cuda or cuda:N (cuda needs a CUDA libtorch)");
    v("objective", objective,
      "mlm (masked LM) or rtd (ELECTRA's replaced-token detection: a small generator fills the "
      "masked positions and the encoder judges every token)");
    v("generator_fraction", generator_fraction,
      "rtd: the generator's hidden size, FFN size and heads as a fraction of the encoder's");
    v("rtd_weight", rtd_weight, "rtd: weight of the discriminator's loss (ELECTRA: 50)");
    v("masking", masking,
      "Mask spans of characters (char) or of whole words (word: forward maximum matching "
      "against word_list; max_ngram then counts words)");
    v("word_list", word_list,
      "Word masking: one word per line, anything after a tab or space ignored (default: "
      "python3-jieba's dictionary)");
    distributed.visit(v);
  }

  // Throws RecipeError naming the first field out of range.
  void validate() const;
};

struct PretrainSummary {
  std::int64_t step = 0;           // optimizer steps done (in total, over resumptions)
  std::int64_t total_steps = 0;    // planned steps of the schedule (0: unbounded)
  std::int64_t tokens_seen = 0;    // real (non-padding) tokens trained on, in total
  double seconds = 0;              // wall time of this process's training loop
  double tokens_per_second = 0;    // of this process's steps (pipeline included)
  double pipeline_fraction = 0;    // share of the step loop spent producing batches
  double eval_mlm_loss = 0;        // last held-out evaluation
  double eval_mlm_accuracy = 0;    // over every predicted position (kept and random ones too)
  double eval_mask_accuracy = 0;   // over positions whose input was [MASK]: the contextual skill
  bool stopped_by_signal = false;  // SIGINT/SIGTERM: saved and stopped early
  // Data-parallel runs (world_size > 1), this rank over this process's steps: the share of step
  // time inside collectives (waiting for a slower rank included) and the bytes each step
  // all-reduced (gradients, statistics).
  int world_size = 1;
  double communication_fraction = 0;
  double communication_bytes_per_step = 0;
  // The run's objective (a resumed run's is the saved one).
  std::string objective;
  // rtd only (the eval_mlm_* figures are then the generator's): the discriminator's accuracy over
  // all judged tokens, over those left original and over those replaced, and the replaced share
  // (1 - share is the accuracy of always answering "original").
  double eval_rtd_accuracy = 0;
  double eval_rtd_original_accuracy = 0;
  double eval_rtd_replaced_accuracy = 0;
  double eval_rtd_replaced_share = 0;
};

// Runs (or resumes) pretraining. Throws std::invalid_argument for bad settings, IoError / DataError
// for bad input files, CheckpointError for an unusable state in out.
PretrainSummary run_pretraining(const PretrainRecipe& config);

}  // namespace jointnlu::train
