#include "core/file_io.h"
#include "pipeline_config.h"

namespace jointnlu::cli {
namespace {

nlohmann::json teacher_defaults() {
  return {{"size", ""},              {"epochs", 30},     {"lr", 0.0},
          {"batch_size", 32},        {"weights", "1,1,2"}, {"class_weights", "none"},
          {"patience", 5},           {"max_length", 64}, {"warmup", 0.1},
          {"position_init", "sinusoidal"}, {"encoder_dropout", -1.0}, {"classifier_pooling", "cls"}};
}

nlohmann::json student_defaults() {
  return {{"hidden_size", 128},   {"layers", 1},          {"pooling", "max"},
          {"embed_init", "random"}, {"epochs", 30},       {"lr", 0.0},
          {"batch_size", 32},     {"weights", "1,1,2"},   {"class_weights", "none"},
          {"patience", 5},        {"alpha", 0.5},         {"temperature", 2.0},
          {"kd_loss", "kl"},      {"augment", 4},         {"generators", "substitute,mask,ngram"},
          {"gazetteers", ""},     {"dropout", 0.1},       {"warmup", 0.1}};
}

// Overlays `given` on `defaults`, each value of the default's JSON type.
nlohmann::json merge(const nlohmann::json& defaults, const nlohmann::json& given,
                     const std::string& where) {
  if (!given.is_object()) throw std::invalid_argument(where + " must be an object");
  nlohmann::json out = defaults;
  for (const auto& [key, value] : given.items()) {
    if (!defaults.contains(key))
      throw std::invalid_argument(where + ": unknown key \"" + key + "\"");
    const auto& d = defaults.at(key);
    const bool ok = (d.is_number() && value.is_number()) || (d.is_string() && value.is_string()) ||
                    (d.is_boolean() && value.is_boolean());
    if (!ok)
      throw std::invalid_argument(where + "." + key + ": expected a " + d.type_name() +
                                  ", got " + value.dump());
    out[key] = value;
  }
  return out;
}

}  // namespace

PipelineConfig PipelineConfig::load(const std::string& path) {
  PipelineConfig c;
  c.teacher = teacher_defaults();
  c.student = student_defaults();
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
      c.teacher = merge(teacher_defaults(), value, where);
    } else if (key == "student") {
      c.student = merge(student_defaults(), value, where);
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
  return {{"teacher", teacher}, {"student", student}, {"seed", seed},
          {"threads", threads}, {"bench", bench},     {"examples", examples}};
}

Options PipelineConfig::teacher_options(const Options& base) const {
  Options o = base;
  o.size = teacher.at("size").get<std::string>();
  o.epochs = teacher.at("epochs").get<int>();
  o.lr = teacher.at("lr").get<double>();
  o.batch_size = teacher.at("batch_size").get<int>();
  o.weights = teacher.at("weights").get<std::string>();
  o.class_weights = teacher.at("class_weights").get<std::string>();
  o.patience = teacher.at("patience").get<int>();
  o.max_length = teacher.at("max_length").get<int>();
  o.warmup = teacher.at("warmup").get<double>();
  o.position_init = teacher.at("position_init").get<std::string>();
  o.encoder_dropout = teacher.at("encoder_dropout").get<double>();
  o.classifier_pooling = teacher.at("classifier_pooling").get<std::string>();
  o.seed = seed;
  o.threads = threads;
  return o;
}

Options PipelineConfig::student_options(const Options& base) const {
  Options o = base;
  o.hidden_size = student.at("hidden_size").get<int>();
  o.layers = student.at("layers").get<int>();
  o.pooling = student.at("pooling").get<std::string>();
  o.embed_init = student.at("embed_init").get<std::string>();
  o.epochs = student.at("epochs").get<int>();
  o.lr = student.at("lr").get<double>();
  o.batch_size = student.at("batch_size").get<int>();
  o.weights = student.at("weights").get<std::string>();
  o.class_weights = student.at("class_weights").get<std::string>();
  o.patience = student.at("patience").get<int>();
  o.alpha = student.at("alpha").get<double>();
  o.temperature = student.at("temperature").get<double>();
  o.kd_loss = student.at("kd_loss").get<std::string>();
  o.augment = student.at("augment").get<int>();
  o.generators = student.at("generators").get<std::string>();
  // The --gazetteers flag stands unless the file names a directory itself.
  if (const auto g = student.at("gazetteers").get<std::string>(); !g.empty()) o.gazetteers = g;
  o.dropout = student.at("dropout").get<double>();
  o.warmup = student.at("warmup").get<double>();
  o.seed = seed;
  o.threads = threads;
  return o;
}

}  // namespace jointnlu::cli
