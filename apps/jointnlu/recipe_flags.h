// Recipe fields as command-line flags: each field a recipe's visit() lists becomes --name (with
// dashes for underscores), bound to the field itself, so the help shows the recipe's own default
// and the recipe's one list of fields is the one list of flags. Checks are the recipe's validate()
// (errors name the field; the plugin shows it as the flag).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <type_traits>
#include <vector>

namespace jointnlu::cli {

inline std::string flag_name(const std::string& field) {
  std::string flag = "--" + field;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

class FlagBinder {
 public:
  explicit FlagBinder(CLI::App& cmd) : cmd_(cmd) {}

  template <class T>
  void operator()(const char* name, T& field, const char* help) const {
    const std::string field_name = name;
    std::string flag = flag_name(field_name);
    if (field_name == "out") flag += ",-o";
    if constexpr (std::is_same_v<T, bool>) {
      // Both ways: a field that defaults to true is switched off with --no-NAME.
      cmd_.add_flag(flag + ",!--no-" + flag.substr(2), field,
                    std::string(help) + (field ? " (default: on)" : ""));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      // Repeatable, one value per flag (a positional argument may follow), except the corpus
      // list, which also takes several files after one flag.
      cmd_.add_option(flag, field, std::string(help) + " (repeatable)")
          ->allow_extra_args(field_name == "corpus");
    } else {
      cmd_.add_option(flag, field, help)->capture_default_str();
    }
  }

 private:
  CLI::App& cmd_;
};

}  // namespace jointnlu::cli
