// The teacher recipe: fine-tune an ALBERT jointly on domain, intent and slots. train_teacher() runs
// it and saves the recipe beside the model (recipe.json), as fastText saves its args.
#pragma once

#include <string>

#include "train/recipes/training_recipe.h"

namespace jointnlu::train {

struct TeacherRecipe : TrainingRecipe {
  // Where the encoder starts: "" = the shipped encoder (models/zh-tiny, find_shipped_encoder),
  // "none" = a fresh initialisation of `size`, else a Hugging Face ALBERT, BERT or ELECTRA
  // directory (train/encoder_families.h).
  std::string init;
  // With init "none": a preset (tiny, small, base, each also -unshared; bert-tiny, bert-small,
  // bert-base) or an ALBERT config.json;
  // "" = tiny. With an encoder its own shape is used, and a size is an error.
  std::string size;
  std::string position_init = "sinusoidal";  // fresh encoders: sinusoidal | normal
  double encoder_dropout = -1;               // hidden + attention dropout; < 0: the config's
  std::string classifier_pooling = "cls";    // what domain/intent read: cls | mean

  template <class V>
  void visit(V&& v) {
    TrainingRecipe::visit(v);
    v("init", init,
      "Initialise from this checkpoint directory (Hugging Face ALBERT, BERT or ELECTRA); empty: "
      "the "
      "shipped encoder models/zh-tiny; none: train from scratch (size)");
    v("size", size,
      "Model size when trained from scratch (init none; default tiny): a preset (tiny, small, "
      "base, each also -unshared; bert-tiny, bert-small, bert-base: BERT-shaped) or a Hugging "
      "Face ALBERT config.json path");
    v("position_init", position_init,
      "How a freshly built ALBERT's position embeddings start: sinusoidal or normal");
    v("encoder_dropout", encoder_dropout,
      "ALBERT hidden and attention dropout (negative: keep the model config's)");
    v("classifier_pooling", classifier_pooling,
      "What the domain and intent classifiers read: cls (HF's pooler on [CLS]) or mean");
  }

  void validate() const;
};

// Trains (or with resume continues) the teacher into recipe.out. Throws RecipeError for a bad
// recipe, DataError / IoError for bad files, CheckpointError for an unusable checkpoint.
TrainingOutcome train_teacher(const TeacherRecipe& recipe, const TrainingCallbacks& callbacks = {});

}  // namespace jointnlu::train
