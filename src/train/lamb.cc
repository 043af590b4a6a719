#include "train/lamb.h"

#include <cmath>
#include <stdexcept>

namespace jointnlu::train {

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "adamw") return OptimizerKind::kAdamW;
  if (name == "lamb") return OptimizerKind::kLamb;
  throw std::invalid_argument("unknown optimizer '" + name + "' (adamw or lamb)");
}

AdamLamb::AdamLamb(std::vector<std::pair<std::string, torch::Tensor>> params,
                   OptimizerConfig config)
    : config_(config) {
  for (auto& [name, p] : params) {
    Slot s;
    s.name = name;
    s.param = p;
    s.exp_avg = torch::zeros_like(p);
    s.exp_avg_sq = torch::zeros_like(p);
    // BERT's exclusions: no decay on biases and LayerNorm parameters.
    s.decay = name.find("bias") == std::string::npos &&
              name.find("LayerNorm") == std::string::npos &&
              name.find("layer_norm") == std::string::npos;
    slots_.push_back(std::move(s));
  }
}

void AdamLamb::zero_grad() {
  for (auto& s : slots_) {
    auto& g = s.param.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

void AdamLamb::step(double lr) {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1.0 - std::pow(config_.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(config_.beta2, static_cast<double>(step_));
  for (auto& s : slots_) {
    const auto& g = s.param.grad();
    if (!g.defined()) continue;
    s.exp_avg.mul_(config_.beta1).add_(g, 1.0 - config_.beta1);
    s.exp_avg_sq.mul_(config_.beta2).addcmul_(g, g, 1.0 - config_.beta2);
    auto update = (s.exp_avg / bc1) / ((s.exp_avg_sq / bc2).sqrt_().add_(config_.eps));
    if (s.decay && config_.weight_decay > 0) update.add_(s.param, config_.weight_decay);
    double scale = lr;
    if (config_.kind == OptimizerKind::kLamb) {
      const double w_norm = s.param.norm().item<double>();
      const double u_norm = update.norm().item<double>();
      if (w_norm > 0 && u_norm > 0) scale *= w_norm / u_norm;
    }
    s.param.add_(update, -scale);
  }
}

StateDict AdamLamb::state() const {
  StateDict out;
  for (const auto& s : slots_) {
    out[s.name + ".exp_avg"] = s.exp_avg.clone();
    out[s.name + ".exp_avg_sq"] = s.exp_avg_sq.clone();
  }
  out["optimizer.step"] = torch::tensor(step_, torch::kInt64);
  return out;
}

void AdamLamb::load_state(const StateDict& state) {
  const auto get = [&](const std::string& name, const torch::Tensor& like) {
    auto it = state.find(name);
    if (it == state.end()) throw CheckpointError("optimizer state: " + name + " is missing");
    if (!like.sizes().equals(it->second.sizes()))
      throw CheckpointError("optimizer state: " + name + ": shape " + shape_string(like.sizes()) +
                            " expected, checkpoint has " + shape_string(it->second.sizes()));
    return it->second.to(like.dtype());
  };
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  for (const auto& s : slots_) {
    copies.emplace_back(s.exp_avg, get(s.name + ".exp_avg", s.exp_avg));
    copies.emplace_back(s.exp_avg_sq, get(s.name + ".exp_avg_sq", s.exp_avg_sq));
  }
  auto it = state.find("optimizer.step");
  if (it == state.end()) throw CheckpointError("optimizer state: optimizer.step is missing");
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  step_ = it->second.item<std::int64_t>();
}

}  // namespace jointnlu::train
