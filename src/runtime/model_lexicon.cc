#include "runtime/model_lexicon.h"

#include "runtime/model_tensors.h"

namespace jointnlu::runtime {

std::vector<LexiconCategory> read_lexicon_additions(const std::vector<std::string>& specs) {
  std::vector<LexiconCategory> out;
  for (const auto& spec : specs)
    for (auto& c : read_lexicon_source(LexiconSource::parse(spec))) out.push_back(std::move(c));
  return out;
}

void add_lexicon_entries(Lexicon& lexicon, const std::vector<LexiconCategory>& additions,
                         const std::string& model) {
  if (additions.empty()) return;
  for (const auto& c : additions) {
    const int id = lexicon.category_id(c.name);
    if (id < 0) {
      std::string names;
      for (const auto& n : lexicon.categories()) names += (names.empty() ? "" : ", ") + n;
      throw ModelError(model + ": the model has no lexicon category '" + c.name +
                       "' (its categories: " + names + ")");
    }
    lexicon.add(id, c.entries);
  }
  lexicon.compact();
}

}  // namespace jointnlu::runtime
