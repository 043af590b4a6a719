#include "train/state_dict.h"

#include <optional>
#include <set>
#include <string_view>

namespace jointnlu::train {
namespace {

// The tail of the one tensor every ALBERT encoder has; what precedes it is the encoder's prefix.
constexpr std::string_view kEncoderAnchor = "embeddings.word_embeddings.weight";
// Children of AlbertModel: the only keys moved when the encoder prefix is remapped, so that a
// task head's keys are never renamed into the encoder's namespace.
constexpr std::string_view kEncoderChildren[] = {"embeddings.", "encoder.", "pooler."};
// Buffers HF checkpoints may carry that we recompute instead of storing.
constexpr std::string_view kKnownHfBuffers[] = {"embeddings.position_ids",
                                                "embeddings.token_type_ids"};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with_component(std::string_view s, std::string_view tail) {
  if (s.size() < tail.size() || s.substr(s.size() - tail.size()) != tail) return false;
  return s.size() == tail.size() || s[s.size() - tail.size() - 1] == '.';
}

// Calls f(alias, canonical) with full dotted names for every TiedAliases module in the tree.
template <typename F>
void for_each_tied_alias(const torch::nn::Module& module, F&& f) {
  const auto visit = [&](const torch::nn::Module& m, const std::string& prefix) {
    if (const auto* tied = dynamic_cast<const TiedAliases*>(&m)) {
      for (const auto& [alias, canonical] : tied->tied_aliases())
        f(prefix + alias, prefix + canonical);
    }
  };
  visit(module, "");
  // include_self=false: the top-level module need not be owned by a shared_ptr.
  for (const auto& item : module.named_modules("", /*include_self=*/false)) {
    visit(*item.value(), item.key() + ".");
  }
}

std::optional<std::string> encoder_prefix(const std::vector<std::string>& names) {
  std::optional<std::string> found;
  for (const auto& name : names) {
    if (!ends_with_component(name, kEncoderAnchor)) continue;
    // Two encoders (say a teacher and a student) make the mapping ambiguous: do not guess.
    if (found) return std::nullopt;
    found = name.substr(0, name.size() - kEncoderAnchor.size());
  }
  return found;
}

// `name` moved from the encoder prefix `from` to `to` when it is one of AlbertModel's children
// under `from`; nullopt for every other key (task heads, pretraining heads).
std::optional<std::string> move_encoder_key(const std::string& name, std::string_view from,
                                            std::string_view to) {
  if (!starts_with(name, from)) return std::nullopt;
  const std::string_view rest = std::string_view(name).substr(from.size());
  for (const auto child : kEncoderChildren) {
    if (starts_with(rest, child)) return std::string(to) + std::string(rest);
  }
  return std::nullopt;
}

bool is_known_hf_buffer(const std::string& name) {
  for (const auto tail : kKnownHfBuffers) {
    if (ends_with_component(name, tail)) return true;
  }
  return false;
}

std::string join_names(const std::vector<std::string>& names, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > limit) {
    out += ", ... (";
    out += std::to_string(names.size());
    out += " in all)";
  }
  return out;
}

}  // namespace

std::string shape_string(at::IntArrayRef shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

StateDict state_dict(const torch::nn::Module& module, bool include_tied_aliases) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value().detach();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value().detach();
  if (include_tied_aliases) {
    for_each_tied_alias(module, [&](const std::string& alias, const std::string& canonical) {
      const auto it = out.find(canonical);
      if (it != out.end()) out[alias] = it->second;
    });
  }
  return out;
}

StateDict encoder_tensors_under(const StateDict& tensors, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors) names.push_back(name);
  const auto from = encoder_prefix(names);
  StateDict out;
  if (!from) return out;
  for (const auto& [name, tensor] : tensors) {
    if (const auto moved = move_encoder_key(name, *from, prefix)) out.emplace(*moved, tensor);
  }
  return out;
}

namespace {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// The tensors the module expects, in module order, so that "the first mismatch" is deterministic.
NamedTensors expected_tensors(torch::nn::Module& module) {
  NamedTensors expected;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    expected.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true))
    expected.emplace_back(b.key(), b.value());
  return expected;
}

// The checkpoint with its encoder prefix ("albert." vs "") moved to the module's, when the two
// differ; nullopt when the checkpoint fits as it is.
std::optional<StateDict> remap_encoder_prefix(const NamedTensors& expected,
                                              const StateDict& checkpoint, LoadReport& report) {
  std::vector<std::string> module_names;
  for (const auto& [name, tensor] : expected) module_names.push_back(name);
  std::vector<std::string> checkpoint_names;
  for (const auto& [name, tensor] : checkpoint) checkpoint_names.push_back(name);
  const auto module_prefix = encoder_prefix(module_names);
  const auto checkpoint_prefix = encoder_prefix(checkpoint_names);
  if (!module_prefix || !checkpoint_prefix || *module_prefix == *checkpoint_prefix)
    return std::nullopt;
  StateDict remapped;
  for (const auto& [name, tensor] : checkpoint) {
    const std::string target =
        move_encoder_key(name, *checkpoint_prefix, *module_prefix).value_or(name);
    if (!remapped.emplace(target, tensor).second) {
      throw CheckpointError(target, "present in the checkpoint both with and without the '" +
                                        *checkpoint_prefix + "' prefix");
    }
  }
  report.prefix_remapped = true;
  report.checkpoint_prefix = *checkpoint_prefix;
  report.module_prefix = *module_prefix;
  return remapped;
}

// A checkpoint tensor fits the module's: defined, same shape, same dtype (or a permitted float
// conversion), finite.
void check_tensor(const std::string& name, const torch::Tensor& dst, const torch::Tensor& src,
                  const LoadOptions& options) {
  if (!src.defined()) throw CheckpointError(name, "the checkpoint tensor is undefined");
  if (src.sizes() != dst.sizes()) {
    throw CheckpointError(name, "shape " + shape_string(dst.sizes()) +
                                    " expected, checkpoint has " + shape_string(src.sizes()));
  }
  if (src.scalar_type() != dst.scalar_type() &&
      !(options.allow_dtype_conversion && src.is_floating_point() && dst.is_floating_point())) {
    throw CheckpointError(name, "dtype " + std::string(c10::toString(dst.scalar_type())) +
                                    " expected, checkpoint has " +
                                    c10::toString(src.scalar_type()));
  }
  // A NaN or Inf weight loads silently and gives NaN scores or wrong labels later.
  if (src.is_floating_point()) {
    const auto bad = torch::logical_not(torch::isfinite(src)).sum().item<int64_t>();
    if (bad > 0)
      throw CheckpointError(name, std::to_string(bad) + " of " + std::to_string(src.numel()) +
                                      " values are not finite (NaN or Inf)");
  }
}

// The checkpoint's tensor for the module's `name`: under that name or, for a tied tensor, under
// one of its aliases (HF writes either form); source_name says which. end() if absent.
StateDict::const_iterator find_source(const StateDict& source, const std::string& name,
                                      const std::map<std::string, std::string>& alias_to_canonical,
                                      std::string& source_name) {
  source_name = name;
  if (const auto it = source.find(name); it != source.end()) return it;
  for (const auto& [alias, canonical] : alias_to_canonical) {
    if (canonical != name) continue;
    if (const auto it = source.find(alias); it != source.end()) {
      source_name = alias;
      return it;
    }
  }
  return source.end();
}

bool allowed_missing(const std::string& name, const LoadOptions& options) {
  for (const auto& prefix : options.allow_missing_prefixes) {
    if (starts_with(name, prefix)) return true;
  }
  return false;
}

}  // namespace

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& checkpoint,
                           const LoadOptions& options) {
  LoadReport report;
  const NamedTensors expected = expected_tensors(module);
  std::map<std::string, std::string> alias_to_canonical;
  for_each_tied_alias(module, [&](const std::string& alias, const std::string& canonical) {
    alias_to_canonical[alias] = canonical;
  });
  const std::optional<StateDict> remapped = remap_encoder_prefix(expected, checkpoint, report);
  const StateDict& source = remapped ? *remapped : checkpoint;

  // Validate everything before copying anything: a failed load must not leave a half-loaded model.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)
  std::set<std::string> used;
  std::map<std::string, torch::Tensor> expected_by_name;
  for (const auto& [name, dst] : expected) {
    expected_by_name[name] = dst;
    std::string source_name;
    const auto it = find_source(source, name, alias_to_canonical, source_name);
    if (it == source.end()) {
      if (allowed_missing(name, options)) {
        report.missing.push_back(name);
        continue;
      }
      throw CheckpointError(
          name, "missing from checkpoint (expected shape " + shape_string(dst.sizes()) + ")");
    }
    check_tensor(source_name, dst, it->second, options);
    used.insert(source_name);
    copies.emplace_back(dst, it->second);
    report.loaded.push_back(name);
  }
  // Aliases that came along with their canonical tensor are consumed, but must still fit.
  for (const auto& [alias, canonical] : alias_to_canonical) {
    const auto it = source.find(alias);
    const auto dst = expected_by_name.find(canonical);
    if (it == source.end() || dst == expected_by_name.end() || used.count(alias)) continue;
    check_tensor(alias, dst->second, it->second, options);
    used.insert(alias);
  }
  for (const auto& [name, tensor] : source) {
    if (used.count(name)) continue;
    (is_known_hf_buffer(name) ? report.ignored : report.unexpected).push_back(name);
  }
  if (options.error_on_unexpected && !report.unexpected.empty()) {
    throw CheckpointError("unexpected tensors in checkpoint: " + join_names(report.unexpected, 10));
  }

  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  return report;
}

}  // namespace jointnlu::train
