// `jointnlu pretrain`: masked-LM (+ SOP) pretraining of an ALBERT on unlabelled text
// (src/train/pretrain.h).
//
// The flags are the fields of train::PretrainRecipe (its visit()). The environment variable
// JOINTNLU_PRETRAIN_SYNTHETIC=1 replaces the corpus by one synthetic batch of the same shape
// (bench/pretrain_throughput.sh compares the two).
#include <cstdlib>
#include <iostream>

#include "data/corpus.h"
#include "train/encoder_release.h"
#include "train/pretrain.h"
#include "train_commands.h"

namespace jointnlu::cli {

int run_pretrain(const Options& o) {
  train::PretrainRecipe c = o.pretrain_recipe;
  for (const auto& spec : o.corpus) c.corpus.push_back(parse_corpus_spec(spec));
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
  if (r.world_size > 1)
    std::cout << ", \"world_size\": " << r.world_size
              << ", \"communication_fraction\": " << r.communication_fraction
              << ", \"communication_bytes_per_step\": " << r.communication_bytes_per_step;
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
