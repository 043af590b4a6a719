// Module state as named tensors, independent of the file format: the state dict of a module
// (registered names = checkpoint keys), and loading one into a module with every mismatch named.
// Shared by every model (the ALBERT teacher, the BiLSTM student, pretraining) and the checkpoints.
// The loader knows one Hugging Face convention: an ALBERT encoder's prefix ("albert." or none) is
// mapped when checkpoint and module differ.
#pragma once

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace jointnlu::train {

// A module that is known in checkpoints under extra names for tensors it registers once (weight
// tying). state_dict() writes the aliases; load_state_dict() accepts a checkpoint with the
// canonical name, the alias, or both (the canonical one wins).
class TiedAliases {
 public:
  virtual ~TiedAliases() = default;
  // (alias, canonical) pairs, both relative to this module.
  virtual std::vector<std::pair<std::string, std::string>> tied_aliases() const = 0;
};

using StateDict = std::map<std::string, torch::Tensor>;

// Parameters and buffers under their registered (dotted) names, plus the aliases declared by any
// TiedAliases module in the tree (so an AlbertForPreTraining writes predictions.decoder.weight and
// predictions.decoder.bias like HF's pytorch_model.bin). Tensors are detached but SHARE storage
// with the module (an alias shares it with its canonical tensor): clone them to keep a snapshot.
StateDict state_dict(const torch::nn::Module& module, bool include_tied_aliases = true);

// A checkpoint that does not fit the module: names the first offending tensor.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // "TENSOR: PROBLEM"; tensor() gives the name back, so a caller that renamed the checkpoint's
  // tensors (train/encoder_families.h) can name the tensor as its file spells it.
  CheckpointError(std::string tensor, const std::string& problem)
      : std::runtime_error(tensor + ": " + problem), tensor_(std::move(tensor)) {}
  const std::string& tensor() const { return tensor_; }  // empty when not about one tensor

 private:
  std::string tensor_;
};

struct LoadOptions {
  // Checkpoint tensors the module has no place for are an error instead of only being reported.
  bool error_on_unexpected = false;
  // Expected tensors whose names start with one of these may be absent (they keep their current
  // values, e.g. fresh task heads on a pretrained encoder); "" allows any to be missing.
  std::vector<std::string> allow_missing_prefixes;
  // Convert a checkpoint of another floating dtype (e.g. float16) instead of rejecting it.
  bool allow_dtype_conversion = false;
};

struct LoadReport {
  std::vector<std::string> loaded;      // module names that were filled, in module order
  std::vector<std::string> missing;     // absent but allowed by allow_missing_prefixes
  std::vector<std::string> unexpected;  // checkpoint names (after prefix mapping) left unused
  std::vector<std::string> ignored;     // known HF buffers (embeddings.position_ids, ...) skipped
  // When the checkpoint's encoder prefix differed from the module's (e.g. an AlbertModel
  // checkpoint, "embeddings....", loaded under "albert."), the two prefixes; both empty otherwise.
  std::string checkpoint_prefix;
  std::string module_prefix;
  bool prefix_remapped = false;
};

// A checkpoint's encoder (AlbertModel's embeddings., encoder., pooler.) renamed under `prefix`
// (e.g. "albert."), wherever the checkpoint put it (found by its word embeddings, as
// load_state_dict does); every other tensor is left out. Empty without exactly one encoder.
StateDict encoder_tensors_under(const StateDict& tensors, const std::string& prefix);

// Copies `checkpoint` into the module's parameters and buffers (under NoGradGuard, onto the
// module's device and dtype). Every expected tensor must be present with the same shape and dtype;
// all checks run before anything is copied, so a failed load leaves the module untouched. Throws
// CheckpointError for the first problem in module order, e.g.
//   "albert.encoder.embedding_hidden_mapping_in.weight: shape [312,128] expected, checkpoint has
//    [256,128]".
// ALBERT specifics: the encoder prefix is detected on both sides (the name before
// "embeddings.word_embeddings.weight") and mapped when it differs, so a bare AlbertModel checkpoint
// loads into AlbertForPreTraining ("albert." added) and vice versa ("albert." stripped; the heads
// are then unexpected). Only keys under the encoder (embeddings., encoder., pooler.) are remapped.
// Tied aliases are accepted in place of their canonical tensor.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& checkpoint,
                           const LoadOptions& options = {});

// "[312,128]": the shape format of load errors.
std::string shape_string(at::IntArrayRef shape);

}  // namespace jointnlu::train
