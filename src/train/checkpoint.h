// Checkpoints on disk: safetensors files of torch tensors, and checkpoint DIRECTORIES in Hugging
// Face layout (config.json, vocab.txt, model.safetensors, plus any extra files such as trainer
// state).
#pragma once

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "train/state_dict.h"

namespace jointnlu::train {

// Reads every tensor of a safetensors file into CPU torch tensors (F32, F16, BF16, F64, I64, I32,
// I16, I8, U8, BOOL keep their dtype). Throws SafetensorsError naming the file and tensor.
StateDict read_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);
// The same from a file's bytes (received from another rank); `name` starts error messages.
StateDict parse_safetensors(std::string bytes, const std::string& name,
                            std::map<std::string, std::string>* metadata = nullptr);

// Writes tensors (made contiguous, moved to CPU) atomically. Tensors sharing storage are each
// written.
void write_safetensors(const std::string& path, const StateDict& state,
                       const std::map<std::string, std::string>& metadata = {});

// The files of a checkpoint directory. `files` maps a file name to its content (e.g. "config.json",
// "vocab.txt", "trainer_state.json"); `tensors` go to model.safetensors (or `tensors_file`).
struct CheckpointContents {
  std::map<std::string, std::string> files;
  StateDict tensors;
  std::string tensors_file = "model.safetensors";
  std::map<std::string, std::string> metadata;
  // Further safetensors files (name -> tensors), e.g. "optimizer.safetensors".
  std::map<std::string, StateDict> extra_tensor_files;
};

// Writes the directory so that a reader sees either the old checkpoint or the new one, never a mix:
// everything goes into DIR.tmp-PID, which then replaces DIR (the old one is removed afterwards).
void write_checkpoint_dir(const std::string& dir, const CheckpointContents& contents);

// A writer killed between the two renames of write_checkpoint_dir's swap leaves DIR.old-PID and no
// DIR: this renames it back (the last complete checkpoint) and returns true. Called before every
// write and before --resume reads DIR; a no-op when DIR exists or no such directory does.
bool recover_checkpoint_dir(const std::string& dir);

}  // namespace jointnlu::train
