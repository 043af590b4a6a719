// Training subcommands, implemented in the plugin (they use libtorch).
#pragma once

#include "options.h"

namespace jointnlu::cli {

int run_info(const Options& o);
int run_pretrain(const Options& o);         // train_pretrain.cc
int run_release_encoder(const Options& o);  // train_pretrain.cc
int run_train_teacher(const Options& o);    // train_teacher.cc
int run_train_student(const Options& o);    // train_student.cc
int run_distill(const Options& o);          // train_student.cc
int run_bench(const Options& o);            // train_bench.cc
int run_pipeline(const Options& o);         // train_pipeline.cc
int run_predict(const Options& o);          // train_teacher.cc (teacher checkpoints)
int run_eval_model(const Options& o);       // train_teacher.cc

}  // namespace jointnlu::cli
