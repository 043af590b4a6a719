// The student runtime's side of the commands that also take a teacher (predict, eval --model):
// models the light binary runs itself, without the training plugin.
#pragma once

#include <string>

#include "options.h"

namespace jointnlu::cli {

// An exported .safetensors file or a BiLSTM student directory (config.json model_type
// "jointnlu-bilstm"); a teacher directory is not.
bool is_student_model(const std::string& path);

int predict_with_student(const Options& o);  // predict --model M [FILE|-]
int eval_with_student(const Options& o);     // eval --model M --data FILE
int serve_student(const Options& o);         // serve (cmd_serve.cc)

}  // namespace jointnlu::cli
