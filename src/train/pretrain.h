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

#include "core/corpus.h"
#include "core/lexicon_sources.h"

namespace jointnlu::train {

struct PretrainConfig {
  std::vector<CorpusFile> corpus;  // unlabelled text files and their sampling weights
  std::string out_dir;             // checkpoint directory (see above)
  std::string vocab;               // an existing vocab.txt (exclusive with build_vocab)
  bool build_vocab = false;        // build vocab.txt from the corpus instead
  std::string train_data;     // labelled file whose characters the vocabulary must cover ("" none)
  int min_count = 2;          // vocabulary: least count of a character
  std::string size = "tiny";  // preset or config.json (AlbertConfig::from_preset_or_file)
  double minutes = 0;         // wall-time budget of this process (0: none)
  std::int64_t steps = 0;     // total optimizer steps (0: derived from minutes, else unbounded)
  bool resume = false;        // continue from out_dir
  std::int64_t stop_after = 0;  // save and stop after this many steps of this process (0: no limit)
  int batch_size = 64;          // sequences per step
  int max_length = 64;          // tokens per sequence, [CLS] and [SEP]s included
  double lr = 1e-3;             // peak learning rate
  double warmup = 0.05;         // warm-up: a fraction of all steps (< 1) or a step count (>= 1)
  std::string optimizer = "adamw";  // adamw | lamb
  int max_ngram = 3;                // longest masked span (in words with masking "word")
  bool sop = false;                 // sentence-order prediction
  // Without SOP: each packed line attends only to itself, at its own positions (PipelineConfig).
  bool isolate_lines = true;
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
  // checkpoints and the held-out metrics stay on the host; an exact --resume is promised on CPU
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
  // matching against word_list (core/word_segmenter.h); the 15% budget still counts tokens.
  std::string masking = "char";
  std::string word_list = std::string(kJiebaDictionary);  // one word per line; "word" masking only
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
// for bad input files, CheckpointError for an unusable state in out_dir.
PretrainSummary run_pretraining(const PretrainConfig& config);

}  // namespace jointnlu::train
