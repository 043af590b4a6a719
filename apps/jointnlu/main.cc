// The jointnlu command-line tool: one binary, subcommands, one shared option table (options.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <memory>

#include "core/error.h"
#include "core/file_io.h"
#include "options.h"
#include "trainer_plugin.h"

namespace jointnlu::cli {
namespace {

void setup_logging(const Options& o) {
  auto logger = spdlog::stderr_color_mt("jointnlu");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_level(o.quiet           ? spdlog::level::warn
                    : o.verbosity > 0 ? spdlog::level::debug
                                      : spdlog::level::info);
}

int run(int argc, char** argv) {
  CLI::App app{"jointnlu: joint domain / intent / slot understanding for task-oriented dialogue"};
  app.set_version_flag("--version", std::string("jointnlu ") + JOINTNLU_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(34);

  Options options;
  app.add_flag("-v,--verbose", options.verbosity, "Debug logging");
  app.add_flag("-q,--quiet", options.quiet, "Only warnings and errors on stderr");

  std::vector<Command> commands;
  for (auto&& group : {data_commands(), eval_commands(), runtime_commands(), report_commands(),
                       demo_commands(), trainer_commands()})
    commands.insert(commands.end(), group.begin(), group.end());

  std::map<std::string, CLI::App*> groups;
  std::vector<std::pair<CLI::App*, const Command*>> registered;
  for (const auto& c : commands) {
    CLI::App* parent = &app;
    std::string name = c.path;
    if (auto space = c.path.find(' '); space != std::string::npos) {
      const std::string group = c.path.substr(0, space);
      name = c.path.substr(space + 1);
      auto& g = groups[group];
      if (!g) {
        g = app.add_subcommand(group, group + " commands");
        g->require_subcommand(1);
      }
      parent = g;
    }
    CLI::App* sub = parent->add_subcommand(name, c.help);
    add_options(*sub, options, c.options);
    if (c.bind_recipe) c.bind_recipe(*sub, options);
    registered.emplace_back(sub, &c);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  setup_logging(options);
  for (const auto& [sub, command] : registered)
    if (sub->parsed()) return command->run(options);
  return 2;
}

}  // namespace
}  // namespace jointnlu::cli

int main(int argc, char** argv) {
  try {
    return jointnlu::cli::run(argc, argv);
  } catch (const jointnlu::DataError& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const jointnlu::IoError& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
