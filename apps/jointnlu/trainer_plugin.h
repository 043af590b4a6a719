// The boundary between the light `jointnlu` binary and the libtorch training plugin
// (libjointnlu_trainer.so). Both are built from the same tree, so they share the Options layout; no
// exception crosses the boundary: the plugin reports failures through `error`.
#pragma once

#include <cstddef>
#include <string>

#include "options.h"

extern "C" {
// Runs a training subcommand ("info", "train-teacher", ...). Returns its exit code; on failure
// writes a message into error (NUL-terminated, truncated to error_size).
int jointnlu_trainer_run(const char* command, const jointnlu::cli::Options* options, char* error,
                         std::size_t error_size);
}

namespace jointnlu::cli {

// Loads the plugin (beside the executable, or $JOINTNLU_TRAINER) and runs the command in it. Throws
// std::runtime_error if the plugin is missing or fails to load, and rethrows its error messages.
int run_in_trainer(const std::string& command, const Options& options);

// The training subcommands, as the binary registers them (their code runs in the plugin).
std::vector<Command> trainer_commands();

}  // namespace jointnlu::cli
