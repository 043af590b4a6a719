// Entries added to a trained model's lexicon without retraining: at export, at load (predict,
// serve --lexicon) and at run time (the API, serve's PUT /v1/lexicons/NAME). The model's
// categories are fixed by its weights (4 features each); their entries are not.
#pragma once

#include <string>
#include <vector>

#include "core/lexicon.h"
#include "core/lexicon_sources.h"

namespace jointnlu::runtime {

// Reads --lexicon SPECs (NAME=FILE, PREFIX=DIR, jieba[=FILE]) into categories. Throws as
// read_lexicon_source.
std::vector<LexiconCategory> read_lexicon_additions(const std::vector<std::string>& specs);

// Adds each category's entries to the model's category of that name and compacts. A name the
// model does not have is a ModelError naming `model` and listing the model's categories.
void add_lexicon_entries(Lexicon& lexicon, const std::vector<LexiconCategory>& additions,
                         const std::string& model);

}  // namespace jointnlu::runtime
