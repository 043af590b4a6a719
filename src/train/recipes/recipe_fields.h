// Recipes as data: every recipe struct lists its fields once, in a `visit` member that calls
// v(name, member, help) for each. That one list gives the recipe file format (JSON, below), the
// command-line flags (apps/jointnlu/recipe_flags.h: --name-with-dashes) and their help, whose
// defaults are the struct's own initialisers. Adding a field is one line in `visit`.
//
// Torch-free on purpose: the CLI binary, which does not load libtorch, binds its flags to these
// structs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace jointnlu::train {

// A recipe value that a check rejected. field() is the name used in recipe files ("temperature");
// source() the recipe file it came from, empty for a recipe built in memory (the CLI then shows
// the field as its flag, --temperature).
class RecipeError : public std::invalid_argument {
 public:
  RecipeError(const std::string& field, const std::string& problem, const std::string& source = "")
      : std::invalid_argument((source.empty() ? "" : source + ": ") + field + ": " + problem),
        field_(field),
        problem_(problem),
        source_(source) {}
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }
  const std::string& source() const { return source_; }

 private:
  std::string field_;
  std::string problem_;
  std::string source_;
};

// The recipe as a JSON object, every field present (defaults included).
template <class Recipe>
nlohmann::json recipe_to_json(Recipe recipe) {
  nlohmann::json j = nlohmann::json::object();
  recipe.visit([&](const char* name, auto& field, const char*) { j[name] = field; });
  return j;
}

// Reads the fields `j` gives onto `recipe` (absent ones keep their values). A key the recipe does
// not have, or a value of the wrong type, is a RecipeError naming `source` (a typo must not be
// ignored).
template <class Recipe>
void recipe_update_from_json(Recipe& recipe, const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw std::invalid_argument(source + ": a recipe must be a JSON object");
  std::set<std::string> known;
  recipe.visit([&](const char* name, auto& field, const char*) {
    known.insert(name);
    const auto it = j.find(name);
    if (it == j.end()) return;
    using T = std::remove_reference_t<decltype(field)>;
    try {
      field = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      throw RecipeError(name,
                        "expected " +
                            (std::is_same_v<T, bool>          ? std::string("true or false")
                             : std::is_arithmetic_v<T>        ? std::string("a number")
                             : std::is_same_v<T, std::string> ? std::string("a string")
                                                              : std::string("a list of strings")) +
                            ", got " + it->dump(),
                        source);
    }
  });
  for (const auto& [key, value] : j.items())
    if (!known.contains(key)) throw RecipeError(key, "no such recipe field", source);
}

template <class Recipe>
Recipe recipe_from_json(const nlohmann::json& j, const std::string& source) {
  Recipe recipe;
  recipe_update_from_json(recipe, j, source);
  return recipe;
}

}  // namespace jointnlu::train
