#include "core/utf8.h"

#include <utf8proc.h>

#include <algorithm>

namespace jointnlu {

std::optional<DecodedText> decode_utf8(std::string_view text, std::string* error) {
  DecodedText out;
  out.chars.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  std::size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n =
        utf8proc_iterate(bytes + pos, static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    if (n <= 0 || cp < 0) {
      if (error) *error = "invalid UTF-8 at byte " + std::to_string(pos);
      return std::nullopt;
    }
    out.chars.push_back(static_cast<char32_t>(cp));
    out.offsets.push_back(pos);
    pos += static_cast<std::size_t>(n);
  }
  out.offsets.push_back(text.size());
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

std::string encode_utf8(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size() * 3);
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

bool is_control(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_CC;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_whitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_ZS;
}

bool is_punctuation(char32_t cp) {
  // BERT treats all non-alphanumeric ASCII as punctuation, plus Unicode P* categories.
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126))
    return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

std::optional<std::string> check_text(std::string_view text, std::size_t max_chars) {
  std::string error;
  auto decoded = decode_utf8(text, &error);
  if (!decoded) return error;
  if (decoded->chars.empty()) return std::string("empty text");
  // Nothing to parse: every model would tag nothing and guess a domain (predict, serve, the
  // readers and the APIs all refuse it alike).
  if (std::all_of(decoded->chars.begin(), decoded->chars.end(), is_whitespace))
    return std::string("the text is only whitespace");
  for (std::size_t i = 0; i < decoded->chars.size(); ++i) {
    if (is_control(decoded->chars[i])) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(decoded->chars[i]));
      return "control character " + std::string(hex) + " at character " + std::to_string(i);
    }
  }
  if (decoded->chars.size() > max_chars)
    return "text has " + std::to_string(decoded->chars.size()) +
           " characters, more than the limit of " + std::to_string(max_chars);
  return std::nullopt;
}

std::string abbreviate(std::string_view text, std::size_t max_chars) {
  auto decoded = decode_utf8(text);
  if (!decoded) return "<invalid UTF-8>";
  if (decoded->chars.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, decoded->offsets[max_chars])) + "...";
}

}  // namespace jointnlu
