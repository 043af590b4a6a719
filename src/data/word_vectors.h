// Pretrained character vectors in word2vec's text format ("COUNT DIM" header, then "token v1 ...
// vDIM" per line), looked up for a model's vocabulary to initialise its embedding table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace jointnlu {

struct VocabVectors {
  std::size_t dim = 0;
  std::vector<float> matrix;  // [vocab.size(), dim], row-major
  std::vector<bool> found;    // per vocabulary entry: a vector was in the file
  std::size_t found_count = 0;
};

// Streams the file; rows of tokens absent from it are drawn from N(0, sd) where sd is the standard
// deviation of the vectors found (so they sit at the same scale), with `seed`. Vocabulary entries
// are matched as written and, for "##x" pieces, as "x". Throws DataError naming the file and line
// for a malformed header, a wrong number of values or a non-number, and IoError when unreadable.
VocabVectors read_vocab_vectors(const std::string& path, const std::vector<std::string>& vocab,
                                std::uint64_t seed = 42);

}  // namespace jointnlu
