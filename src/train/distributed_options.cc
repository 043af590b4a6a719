#include "train/distributed_options.h"

#include <charconv>
#include <cstdlib>
#include <system_error>

#include "train/recipes/recipe_fields.h"

namespace jointnlu::train {
namespace {

constexpr int kMaxRanks = 1 << 16;

// A whole number in [low, high] from `text` (the value of `source`, a field's or a variable's);
// RecipeError naming `field` otherwise.
int parse_int(const std::string& text, const std::string& field, const std::string& source, int low,
              int high) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < low ||
      value > high)
    throw RecipeError(field, source + " '" + text + "' is not a whole number in " +
                                 std::to_string(low) + ".." + std::to_string(high));
  return value;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

}  // namespace

DistributedOptions resolve_distributed(const DistributedFields& f) {
  DistributedOptions o;
  if (f.world_size > kMaxRanks)
    throw RecipeError("world_size", "at most " + std::to_string(kMaxRanks) + " ranks");
  if (f.world_size > 0)
    o.world_size = f.world_size;
  else if (const char* v = env("WORLD_SIZE"))
    o.world_size = parse_int(v, "world_size", "$WORLD_SIZE", 1, kMaxRanks);
  if (f.rank >= 0)
    o.rank = f.rank;
  else if (const char* v = env("RANK"))
    o.rank = parse_int(v, "rank", "$RANK", 0, kMaxRanks - 1);
  if (!f.master.empty()) {
    const auto colon = f.master.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw RecipeError("master", "'" + f.master + "' is not HOST:PORT");
    o.master_host = f.master.substr(0, colon);
    o.master_port = parse_int(f.master.substr(colon + 1), "master", "port", 1, 65535);
  } else {
    if (const char* v = env("MASTER_ADDR")) o.master_host = v;
    if (const char* v = env("MASTER_PORT"))
      o.master_port = parse_int(v, "master", "$MASTER_PORT", 1, 65535);
  }
  if (!(f.dist_timeout > 0) || f.dist_timeout > 86400)
    throw RecipeError("dist_timeout", "must be in (0, 86400] seconds");
  o.timeout_seconds = f.dist_timeout;
  if (o.rank >= o.world_size)
    throw RecipeError("rank", std::to_string(o.rank) + " is outside a job of " +
                                  std::to_string(o.world_size) + " ranks (0.." +
                                  std::to_string(o.world_size - 1) + ")");
  return o;
}

}  // namespace jointnlu::train
