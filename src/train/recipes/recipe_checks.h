// Range and choice checks of recipe fields: each throws RecipeError naming the field.
#pragma once

#include <initializer_list>
#include <string>

#include "train/recipes/recipe_fields.h"

namespace jointnlu::train::recipes {

template <class T>
void check_range(const char* field, T value, T low, T high) {
  if (!(value >= low && value <= high))
    throw RecipeError(field, std::to_string(value) + " is not in [" + std::to_string(low) + ", " +
                                 std::to_string(high) + "]");
}

template <class T>
void check_positive(const char* field, T value) {
  if (!(value > 0)) throw RecipeError(field, std::to_string(value) + " must be positive");
}

template <class T>
void check_non_negative(const char* field, T value) {
  if (!(value >= 0)) throw RecipeError(field, std::to_string(value) + " must not be negative");
}

inline void check_choice(const char* field, const std::string& value,
                         std::initializer_list<const char*> choices) {
  std::string list;
  for (const char* c : choices) {
    if (value == c) return;
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  throw RecipeError(field, "'" + value + "' is not one of " + list);
}

}  // namespace jointnlu::train::recipes
