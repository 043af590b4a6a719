// The student recipes: the BiLSTM trained on gold labels alone (train_student) or taught by frozen
// teachers' soft targets over an augmented transfer set (distill). Both save the recipe beside the
// model (recipe.json).
#pragma once

#include <string>
#include <vector>

#include "train/recipes/training_recipe.h"

namespace jointnlu::train {

struct StudentRecipe : TrainingRecipe {
  // Teachers. distill: every teacher (an ensemble when more than one; soft targets averaged).
  // train_student: at most one, whose vocabulary (and with embed_init "teacher", embeddings) the
  // student takes; none: a vocabulary of the training characters.
  std::vector<std::string> teacher;
  // Architecture.
  int hidden_size = 128;              // LSTM hidden size per direction
  int layers = 1;                     // BiLSTM layers
  int embedding_size = 128;           // with embed_init random (else the source's size)
  std::string pooling = "max";        // sentence vector for domain and intent: max | attention
  std::string embed_init = "random";  // random | teacher | PATH.vec (word2vec text)
  double dropout = 0.1;
  // Distillation (distill only).
  double alpha = 0.5;                                // weight of the soft targets (1 - alpha: gold)
  double temperature = 2.0;                          // softmax temperature of the kl loss
  std::string kd_loss = "kl";                        // kl | mse
  int augment = 0;                                   // augmented variants per training utterance
  std::string generators = "substitute,mask,ngram";  // augmentation generators
  std::string gazetteers;           // directory of slot-value lists for substitution
  std::vector<std::string> corpus;  // unlabelled text files (PATH[:WEIGHT]; weights unused)
  int corpus_lines = 0;             // unlabelled lines sampled from corpus

  // The fields of both recipes: the common ones and the architecture.
  template <class V>
  void visit_model(V&& v) {
    TrainingRecipe::visit(v);
    v("teacher", teacher,
      "Teacher model directory (train-teacher output); distill: repeat it for an ensemble (soft "
      "targets averaged); train-student: its vocabulary");
    v("hidden_size", hidden_size, "LSTM hidden size per direction");
    v("layers", layers, "BiLSTM layers");
    v("embedding_size", embedding_size,
      "Embedding size with embed_init random (else the source's)");
    v("pooling", pooling, "Sentence representation for domain and intent: max or attention");
    v("embed_init", embed_init,
      "Student embeddings: random, teacher (its factorized embedding matrix), or a word2vec text "
      "file");
    v("dropout", dropout, "Student dropout");
  }
  template <class V>
  void visit_distillation(V&& v) {
    v("alpha", alpha, "Weight of the teacher's soft targets (1 - alpha: gold)");
    v("temperature", temperature, "Softmax temperature (kl loss)");
    v("kd_loss", kd_loss, "Distillation loss: kl (softened distributions) or mse (logits)");
    v("augment", augment, "Augmented variants per training utterance");
    v("generators", generators,
      "Augmentation generators, comma-separated: substitute, mask, ngram");
    v("gazetteers", gazetteers,
      "Directory of slot-value lists (NAME.txt serves slot keys NAME and *_NAME) for substitution");
    v("corpus", corpus, "Unlabelled text, one utterance per line (PATH[:WEIGHT])");
    v("corpus_lines", corpus_lines, "Unlabelled lines sampled from corpus into the transfer set");
  }
  template <class V>
  void visit(V&& v) {
    visit_model(v);
    visit_distillation(v);
  }

  // distilling: the distillation fields are checked too, and a teacher is required.
  void validate(bool distilling) const;
};

// The BiLSTM on gold labels alone (the baseline of distillation).
TrainingOutcome train_student(const StudentRecipe& recipe, const TrainingCallbacks& callbacks = {});
// The BiLSTM taught by recipe.teacher (one or an ensemble).
TrainingOutcome distill(const StudentRecipe& recipe, const TrainingCallbacks& callbacks = {});

}  // namespace jointnlu::train
