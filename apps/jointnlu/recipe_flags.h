// Recipe fields as command-line flags: each field a recipe's visit() lists becomes --name (with
// dashes for underscores), bound to the field itself, so the help shows the recipe's own default
// and the recipe's one list of fields is the one list of flags. Checks are the recipe's validate()
// (errors name the field; the plugin shows it as the flag).
#pragma once

#include <CLI/CLI.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "train/recipes/recipe_fields.h"

namespace jointnlu::cli {

inline std::string flag_name(const std::string& field) {
  std::string flag = "--" + field;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

class FlagBinder {
 public:
  explicit FlagBinder(CLI::App& cmd) : cmd_(cmd) {}

  template <class T>
  void operator()(const char* name, T& field, const char* help) const {
    const std::string field_name = name;
    std::string flag = flag_name(field_name);
    if (field_name == "out") flag += ",-o";
    if constexpr (std::is_same_v<T, bool>) {
      // Both ways: a field that defaults to true is switched off with --no-NAME.
      cmd_.add_flag(flag + ",!--no-" + flag.substr(2), field,
                    std::string(help) + (field ? " (default: on)" : ""));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      // Repeatable, one value per flag (a positional argument may follow), except the corpus
      // list, which also takes several files after one flag.
      cmd_.add_option(flag, field, std::string(help) + " (repeatable)")
          ->allow_extra_args(field_name == "corpus");
    } else {
      cmd_.add_option(flag, field, help)->capture_default_str();
    }
  }

 private:
  CLI::App& cmd_;
};

// --recipe FILE: the recipe's fields from a JSON file (e.g. a model's recipe.json), read as the
// flag is parsed, so the other flags given override it wherever they stand.
template <class Recipe>
void add_recipe_file_flag(CLI::App& cmd, Recipe& recipe) {
  cmd.add_option_function<std::string>(
         "--recipe",
         [&recipe](const std::string& path) {
           std::ifstream in(path, std::ios::binary);
           if (!in) throw std::invalid_argument(path + ": cannot read the recipe file");
           std::stringstream text;
           text << in.rdbuf();
           nlohmann::json j;
           try {
             j = nlohmann::json::parse(text.str());
           } catch (const nlohmann::json::exception& e) {
             throw std::invalid_argument(path + ": not valid JSON: " + e.what());
           }
           train::recipe_update_from_json(recipe, j, path);
         },
         "Recipe file (JSON, e.g. a model's recipe.json): its fields, which the other flags "
         "override")
      ->trigger_on_parse()
      ->type_name("FILE");
}

}  // namespace jointnlu::cli
