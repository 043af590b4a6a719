#include "data/word_segmenter.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "core/lexicon_sources.h"

namespace jointnlu {
namespace {

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

WordSegmenter::WordSegmenter(const std::vector<std::string>& words,
                             const std::vector<std::string>& vocab) {
  pieces_.reserve(vocab.size());
  continuation_.reserve(vocab.size());
  for (const auto& token : vocab) {
    const bool cont = token.size() > 2 && token.starts_with("##");
    pieces_.push_back(cont ? token.substr(2) : token);
    continuation_.push_back(cont ? 1 : 0);
  }
  for (std::string w : words) {
    const std::size_t n = code_points(w);
    if (n < 2 || n > kMaxWordTokens) continue;
    for (char& c : w)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    words_.insert(std::move(w));
  }
}

std::vector<std::string> WordSegmenter::read_word_list(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(path, path == kJiebaDictionary
                            ? "word list not found (the jieba dictionary: install Debian's "
                              "python3-jieba)"
                            : "word list not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, std::strerror(errno));
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t end = line.find_first_of(" \t\r");
    line.resize(std::min(end, line.size()));
    if (!line.empty()) words.push_back(line);
  }
  if (in.bad()) throw IoError(path, "read error");
  return words;
}

std::string_view WordSegmenter::piece(std::int32_t id) const {
  return id >= 0 && static_cast<std::size_t>(id) < pieces_.size()
             ? std::string_view(pieces_[static_cast<std::size_t>(id)])
             : std::string_view();
}

std::size_t WordSegmenter::unit_end(std::span<const std::int32_t> ids, std::size_t i) const {
  const auto is_cont = [&](std::int32_t id) {
    return id >= 0 && static_cast<std::size_t>(id) < continuation_.size() &&
           continuation_[static_cast<std::size_t>(id)];
  };
  ++i;
  while (i < ids.size() && is_cont(ids[i])) ++i;
  return i;
}

std::int32_t WordSegmenter::segment(std::span<const std::int32_t> ids, std::int32_t next_word,
                                    std::vector<std::int32_t>& out) const {
  std::string text;
  std::size_t i = 0;
  while (i < ids.size()) {
    // Forward maximum matching: the longest run of units from i that is a listed word.
    std::size_t best = unit_end(ids, i);
    text.clear();
    for (std::size_t k = i; k < best; ++k) text += piece(ids[k]);
    std::size_t units = 1;
    for (std::size_t j = best; j < ids.size() && units < kMaxWordTokens; ++units) {
      const std::size_t e = unit_end(ids, j);
      for (std::size_t k = j; k < e; ++k) text += piece(ids[k]);
      if (words_.find(std::string_view(text)) != words_.end()) best = e;
      j = e;
    }
    out.insert(out.end(), best - i, next_word++);
    i = best;
  }
  return next_word;
}

}  // namespace jointnlu
