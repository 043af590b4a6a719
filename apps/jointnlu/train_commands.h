// Training subcommands, implemented in the plugin (they use libtorch).
#pragma once

#include "options.h"

namespace jointnlu::cli {

int run_info(const Options& o);

}  // namespace jointnlu::cli
