#include "core/file_io.h"
#include "pipeline_config.h"
#include "train/recipes/recipe_fields.h"

namespace jointnlu::cli {

PipelineConfig PipelineConfig::load(const std::string& path) {
  PipelineConfig c;
  if (path.empty()) return c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(path + ": the configuration must be an object");
  for (const auto& [key, value] : j.items()) {
    const std::string where = path + ": " + key;
    if (key == "teacher") {
      train::recipe_update_from_json(c.teacher, value, where);
    } else if (key == "student") {
      train::recipe_update_from_json(c.student, value, where);
    } else if (key == "seed" && value.is_number_unsigned()) {
      c.seed = value.get<std::uint64_t>();
    } else if (key == "threads" && value.is_number_integer() && value.get<int>() >= 0) {
      c.threads = value.get<int>();
    } else if (key == "bench" && value.is_boolean()) {
      c.bench = value.get<bool>();
    } else if (key == "examples" && value.is_array()) {
      for (const auto& e : value) {
        if (!e.is_string()) throw std::invalid_argument(where + ": expected strings");
        c.examples.push_back(e.get<std::string>());
      }
    } else if (key == "seed" || key == "threads" || key == "bench" || key == "examples") {
      throw std::invalid_argument(where + ": wrong type " + value.dump());
    } else {
      throw std::invalid_argument(path + ": unknown key \"" + key + "\"");
    }
  }
  return c;
}

nlohmann::json PipelineConfig::to_json() const {
  return {{"teacher", train::recipe_to_json(teacher)},
          {"student", train::recipe_to_json(student)},
          {"seed", seed},
          {"threads", threads},
          {"bench", bench},
          {"examples", examples}};
}

namespace {

// The command's data flags onto a recipe.
void apply_data(train::TrainingRecipe& r, const Options& base) {
  r.train = base.train;
  r.dev = base.dev;
  r.test = base.test;
  r.max_chars = base.max_chars;
  r.on_error = base.on_error;
  r.conll_domain = base.conll_domain;
}

}  // namespace

train::TeacherRecipe PipelineConfig::teacher_recipe(const Options& base,
                                                    const std::string& out) const {
  train::TeacherRecipe r = teacher;
  apply_data(r, base);
  r.init = base.init;
  r.out = out;
  r.seed = seed;
  r.threads = threads;
  return r;
}

train::StudentRecipe PipelineConfig::student_recipe(const Options& base,
                                                    const std::string& teacher_dir,
                                                    const std::string& out) const {
  train::StudentRecipe r = student;
  apply_data(r, base);
  r.teacher = {teacher_dir};
  r.out = out;
  // The --gazetteers flag stands unless the file names a directory itself.
  if (r.gazetteers.empty()) r.gazetteers = base.gazetteers;
  r.seed = seed;
  r.threads = threads;
  return r;
}

}  // namespace jointnlu::cli
