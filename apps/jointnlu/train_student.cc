// `jointnlu train-student` and `jointnlu distill`: the student recipes (src/train/recipes),
// printed.
#include "train/recipes/student_recipe.h"
#include "train_commands.h"
#include "train_common.h"

namespace jointnlu::cli {

int run_train_student(const Options& o) {
  return print_outcome(train::train_student(o.student_recipe), o.student_recipe, o.json);
}

int run_distill(const Options& o) {
  return print_outcome(train::distill(o.student_recipe), o.student_recipe, o.json);
}

}  // namespace jointnlu::cli
