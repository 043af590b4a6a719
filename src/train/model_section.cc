#include "train/model_section.h"

namespace jointnlu::train {

CheckpointContents joint_checkpoint(const nlohmann::json& config, const Tokenizer& tokenizer,
                                    StateDict tensors, const Lexicon* lexicon) {
  CheckpointContents c;
  if (lexicon) c.files[std::string(kLexiconFile)] = lexicon->to_tsv();
  c.files["config.json"] = config.dump(2) + "\n";
  c.files["vocab.txt"] = tokenizer.vocab_text();
  // What transformers' AutoTokenizer reads to rebuild the same tokenizer from the directory.
  c.files["tokenizer_config.json"] = hf_tokenizer_config(tokenizer.options()).dump(2) + "\n";
  c.tensors = std::move(tensors);
  c.metadata["format"] = "pt";  // what transformers expects of a PyTorch safetensors file
  return c;
}

}  // namespace jointnlu::train
