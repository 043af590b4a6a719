#include "data/word_vectors.h"

#include <charconv>
#include <cmath>
#include <random>
#include <unordered_map>

#include "core/error.h"
#include "data/corpus.h"

namespace jointnlu {
namespace {

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::size_t parse_count(std::string_view s, const SourceLocation& where, const char* what) {
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0)
    throw DataError(where, std::string("header: ") + what + " '" + std::string(s) +
                               "' is not a positive integer (expected \"COUNT DIM\")");
  return v;
}

}  // namespace

VocabVectors read_vocab_vectors(const std::string& path, const std::vector<std::string>& vocab,
                                std::uint64_t seed) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    index.emplace(vocab[i], i);
    if (vocab[i].size() > 2 && vocab[i].starts_with("##")) index.emplace(vocab[i].substr(2), i);
  }
  VocabVectors out;
  out.found.assign(vocab.size(), false);
  double sum = 0, sum_sq = 0;
  std::size_t values = 0;
  std::size_t invalid = for_each_line(path, [&](std::string_view line, std::size_t line_no) {
    const SourceLocation where{path, 0, line_no};
    const auto f = fields(line);
    if (line_no == 1) {
      if (f.size() != 2) throw DataError(where, "header must be \"COUNT DIM\"");
      parse_count(f[0], where, "count");
      out.dim = parse_count(f[1], where, "dimension");
      out.matrix.assign(vocab.size() * out.dim, 0.0f);
      return true;
    }
    if (f.empty()) return true;
    if (f.size() != out.dim + 1)
      throw DataError(where, "expected a token and " + std::to_string(out.dim) + " values, found " +
                                 std::to_string(f.size() - 1) + " values");
    const auto it = index.find(std::string(f[0]));
    if (it == index.end() || out.found[it->second]) return true;
    float* row = out.matrix.data() + it->second * out.dim;
    for (std::size_t d = 0; d < out.dim; ++d) {
      const std::string s(f[d + 1]);
      char* end = nullptr;
      const float v = std::strtof(s.c_str(), &end);
      if (end != s.c_str() + s.size() || !std::isfinite(v))
        throw DataError(where, "value " + std::to_string(d + 1) + " '" + s + "' is not a number");
      row[d] = v;
      sum += v;
      sum_sq += static_cast<double>(v) * v;
    }
    values += out.dim;
    out.found[it->second] = true;
    ++out.found_count;
    return true;
  });
  if (invalid) throw DataError(SourceLocation{path, 0, 0}, "lines that are not valid UTF-8");
  if (out.dim == 0) throw DataError(SourceLocation{path, 0, 0}, "empty file (no header)");
  const double mean = values ? sum / static_cast<double>(values) : 0.0;
  const double sd =
      values ? std::sqrt(std::max(1e-12, sum_sq / static_cast<double>(values) - mean * mean)) : 0.1;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(sd));
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    if (out.found[i]) continue;
    float* row = out.matrix.data() + i * out.dim;
    for (std::size_t d = 0; d < out.dim; ++d) row[d] = normal(rng);
  }
  return out;
}

}  // namespace jointnlu
