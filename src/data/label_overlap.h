// Whether an evaluation set can be scored by a model trained on a training set: a dev set whose
// domains or intents never occur in training scores 0 on them, which looks like a broken model
// rather than mismatched files. Training warns before it starts.
#pragma once

#include <string>
#include <vector>

#include "core/example.h"

namespace jointnlu {

// One message per problem, naming `eval_name`: no domain (or no intent) in common with training at
// all; otherwise the share of records whose domain, intent or a slot key never occurs in training
// (reported when at least 10%). Empty when the sets fit together.
std::vector<std::string> label_overlap_warnings(const std::vector<Example>& train,
                                                const std::vector<Record>& eval,
                                                const std::string& eval_name);

}  // namespace jointnlu
