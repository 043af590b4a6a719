// Where lexicon entries come from, and reading them: user word lists (one entry per line), a
// directory of such lists, and the jieba dictionary that Debian's python3-jieba package ships
// (349k words with POS tags, grouped into categories by tag).
//
// A source is written as on the command line (`--lexicon SPEC`):
//   NAME=FILE    category NAME: one entry per line, optionally followed by a tab and anything
//                (a weight, a frequency, a POS tag: ignored); blank lines are skipped.
//   PREFIX=DIR   every *.txt file of DIR (sorted by name) is category PREFIX.STEM, read as above
//                (e.g. thuocl=../shared/lexicons/thuocl gives thuocl.food, thuocl.diming, ...).
//   jieba        the jieba dictionary at kJiebaDictionary; jieba=FILE reads another file in its
//                format ("word freq [pos]" per line). Categories jieba.person (nr, nrfg, nrt),
//                jieba.place (ns), jieba.org (nt), jieba.proper (nz, j), and a few coarse groups
//                (noun, verb, adjective, time, ...; see jieba_category()), in that fixed order.
//                Single-character words are skipped: the character embedding already knows them
//                and they would mark nearly every character.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/lexicon.h"

namespace jointnlu {

inline constexpr std::string_view kJiebaDictionary =
    "/usr/lib/python3/dist-packages/jieba/dict.txt";

struct LexiconSource {
  enum class Kind { kFile, kDirectory, kJieba };
  Kind kind = Kind::kFile;
  std::string name;  // category (kFile) or prefix (kDirectory, kJieba: "jieba")
  std::string path;

  // Parses a SPEC as above. Throws std::invalid_argument for an empty name or path, a name with
  // a tab, newline or '=', or a spec with neither '=' nor the word jieba.
  static LexiconSource parse(std::string_view spec);
  std::string to_string() const;  // the spec again
};

// One category's entries as read (normalised with Lexicon::normalize_entry, duplicates removed,
// in first-seen order).
struct LexiconCategory {
  std::string name;
  std::vector<std::string> entries;
};

// Reads a source into its categories. Throws DataError naming file and line for invalid UTF-8, an
// empty entry, an entry (the line before its first tab) longer than kMaxLexiconEntryBytes, a
// control character, or any line longer than 4096 bytes; IoError for a missing or unreadable
// file (for a jieba source the message says to install Debian's python3-jieba, which
// scripts/setup.sh does) and for a directory holding no *.txt file.
std::vector<LexiconCategory> read_lexicon_source(const LexiconSource& source);

// The category a jieba POS tag falls into (without the "jieba." prefix), or "" to skip the word.
std::string_view jieba_category(std::string_view pos);

// Reads every source, merges categories of the same name (in order of first appearance) and
// builds a compacted Lexicon. Throws as read_lexicon_source, and std::invalid_argument past
// kMaxLexiconCategories.
Lexicon build_lexicon(const std::vector<LexiconSource>& sources);

}  // namespace jointnlu
