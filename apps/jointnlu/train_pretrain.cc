// `jointnlu pretrain`: masked-LM (+ SOP) pretraining of an ALBERT on unlabelled text
// (src/train/pretrain.h).
//
// Option defaults shared with train-teacher are interpreted for pretraining: --lr 0 means 1e-3
// (AdamW) or 2e-3 (LAMB). The environment variable JOINTNLU_PRETRAIN_SYNTHETIC=1 replaces the
// corpus by one synthetic batch of the same shape (bench/pretrain_throughput.sh compares the two).
#include <cstdlib>
#include <iostream>

#include "core/corpus.h"
#include "train/encoder_release.h"
#include "train/pretrain.h"
#include "train_commands.h"

namespace jointnlu::cli {

int run_pretrain(const Options& o) {
  train::PretrainConfig c;
  for (const auto& spec : o.corpus) c.corpus.push_back(parse_corpus_spec(spec));
  c.out_dir = o.out;
  c.vocab = o.vocab;
  c.build_vocab = o.build_vocab;
  c.train_data = o.train;
  c.min_count = o.min_count;
  if (!o.size.empty()) c.size = o.size;
  c.minutes = o.minutes;
  c.steps = o.steps;
  c.resume = o.resume;
  c.batch_size = o.batch_size;
  c.max_length = o.max_length;
  c.lr = o.lr > 0 ? o.lr : (o.optimizer == "lamb" ? 2e-3 : 1e-3);
  c.warmup = o.warmup;
  c.optimizer = o.optimizer;
  c.max_ngram = o.max_ngram;
  c.sop = o.sop;
  c.isolate_lines = !o.no_isolate_lines;
  c.unit_projection_init = o.unit_projection_init;
  c.position_init = o.position_init;
  c.encoder_dropout = o.encoder_dropout;
  c.checkpoint_minutes = o.checkpoint_minutes;
  c.objective = o.objective;
  c.generator_fraction = o.generator_fraction;
  c.rtd_weight = o.rtd_weight;
  c.masking = o.masking;
  c.word_list = o.word_list;
  c.seed = o.seed;
  c.threads = o.threads;
  c.device = o.device;
  if (const char* s = std::getenv("JOINTNLU_PRETRAIN_SYNTHETIC"); s && std::string(s) == "1")
    c.synthetic = true;
  const auto r = train::run_pretraining(c);
  std::cout << "{\"step\": " << r.step << ", \"total_steps\": " << r.total_steps
            << ", \"tokens_seen\": " << r.tokens_seen << ", \"seconds\": " << r.seconds
            << ", \"tokens_per_second\": " << r.tokens_per_second
            << ", \"pipeline_fraction\": " << r.pipeline_fraction
            << ", \"eval_mlm_loss\": " << r.eval_mlm_loss
            << ", \"eval_mlm_accuracy\": " << r.eval_mlm_accuracy
            << ", \"eval_mask_accuracy\": " << r.eval_mask_accuracy;
  if (r.objective == "rtd")
    std::cout << ", \"eval_rtd_accuracy\": " << r.eval_rtd_accuracy
              << ", \"eval_rtd_original_accuracy\": " << r.eval_rtd_original_accuracy
              << ", \"eval_rtd_replaced_accuracy\": " << r.eval_rtd_replaced_accuracy
              << ", \"eval_rtd_replaced_share\": " << r.eval_rtd_replaced_share;
  std::cout << ", \"stopped_by_signal\": " << (r.stopped_by_signal ? "true" : "false") << "}\n";
  return 0;
}

int run_release_encoder(const Options& o) {
  const auto r = train::write_encoder_release(o.model, o.out, train::parse_release_dtype(o.dtype));
  std::cerr << "released " << o.model << " -> " << o.out << ": " << r.tensors << " tensors, "
            << r.parameters << " parameters, " << r.bytes << " bytes (" << o.dtype
            << "), largest rounding " << r.max_abs_rounding << "\n";
  if (o.json)
    std::cout << "{\"tensors\": " << r.tensors << ", \"parameters\": " << r.parameters
              << ", \"bytes\": " << r.bytes << ", \"max_abs_rounding\": " << r.max_abs_rounding
              << "}\n";
  return 0;
}

}  // namespace jointnlu::cli
