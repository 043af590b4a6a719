// The student's forward pass: embeddings -> BiLSTM layers -> pooling -> heads.
//
// Per layer and direction the input projections of all time steps are ONE matrix product
// (G = X . W_ih^T + b, [L, 4H]); the recurrence then adds W_hh . h_{t-1} to row t of G with one
// fused [4H, H] matrix-vector product and applies the cell. At t = 0, h = 0, so that product is
// skipped (exact, and it avoids quantising an all-zero vector).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "runtime/student_model.h"

namespace jointnlu::runtime {
namespace {

template <typename T>
void grow(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

// y[m, N] = x[m, K] . W^T (+ bias) (+ y). For int8 weights, x must already be quantised into q
// (so several products can share one quantisation of the same x).
void product(const Kernels& k, const PackedMatrix& w, const float* x, std::size_t m,
             const QuantizedActivations& q, const float* bias, float* y, bool accumulate) {
  if (w.type() == WeightType::kF32)
    k.gemm_f32(w, x, m, bias, y, accumulate);
  else
    k.gemm_int8(w, q, bias, y, accumulate);
}

void quantize(const Kernels& k, WeightType type, const float* x, std::size_t m, std::size_t cols,
              QuantizedActivations& q) {
  if (type == WeightType::kInt8) k.quantize_rows(x, m, cols, q);
}

}  // namespace

void Workspace::ensure(const StudentModel& model, std::size_t length) {
  const StudentConfig& c = model.config();
  const std::size_t l = std::max(length, c.max_length);
  const std::size_t h = c.hidden_size;
  grow(x_, l * c.embedding_size);
  grow(y_[0], l * 2 * h);
  grow(y_[1], l * 2 * h);
  grow(gates_, l * 4 * h);
  grow(c_, h);
  grow(attn_, l * std::max<std::size_t>(c.attention_size, 1));
  grow(alpha_, l);
  grow(pooled_, 2 * h);
  grow(domain_, static_cast<std::size_t>(c.labels.domains().size()));
  grow(intent_, static_cast<std::size_t>(c.labels.intents().size()));
  grow(slots_, l * static_cast<std::size_t>(c.labels.tags().size()));
  quant_.reserve(l, std::max(c.embedding_size, 2 * h));  // allocates only when growing
  quant_h_.reserve(1, h);
}

void StudentModel::embed(std::span<const int> ids, float* x) const {
  const std::size_t e = config_.embedding_size;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    const auto id = static_cast<std::size_t>(ids[t]);
    float* row = x + t * e;
    if (embed_f32_) {
      std::memcpy(row, embed_f32_ + id * e, e * sizeof(float));
    } else {
      const std::int8_t* q = embed_q_ + id * e;
      const float scale = embed_scales_[id];
      for (std::size_t j = 0; j < e; ++j) row[j] = static_cast<float>(q[j]) * scale;
    }
  }
}

StudentLogits StudentModel::forward(std::span<const int> ids, Workspace& ws,
                                    const Kernels& k) const {
  if (ids.empty()) throw std::invalid_argument("StudentModel::forward: empty input");
  for (const int id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= config_.vocab_size)
      throw std::invalid_argument("StudentModel::forward: token id " + std::to_string(id) +
                                  " outside the vocabulary (size " +
                                  std::to_string(config_.vocab_size) + ")");
  ws.ensure(*this, ids.size());
  const std::size_t len = ids.size();
  const std::size_t h = config_.hidden_size;
  const std::size_t h2 = 2 * h;
  const std::size_t h4 = 4 * h;
  const WeightType type = weight_type_;
  QuantizedActivations& q = ws.quant_;     // X of a layer (shared by both directions), Y, pooled
  QuantizedActivations& qh = ws.quant_h_;  // h_{t-1} of the recurrence

  embed(ids, ws.x_.data());
  const float* input = ws.x_.data();
  float* out = nullptr;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    const Layer& layer = layers_[li];
    out = ws.y_[li % 2].data();
    quantize(k, type, input, len, layer.input_size, q);  // shared by both directions
    for (int d = 0; d < 2; ++d) {
      const Direction& dir = layer.dir[d];
      float* gates = ws.gates_.data();
      // All L input projections at once.
      product(k, dir.w_ih, input, len, q, dir.bias.data(), gates, false);
      float* c = ws.c_.data();
      std::fill(c, c + h, 0.0f);
      const float* h_prev = nullptr;
      for (std::size_t step = 0; step < len; ++step) {
        const std::size_t t = d == 0 ? step : len - 1 - step;
        float* g = gates + t * h4;
        if (h_prev) {
          quantize(k, type, h_prev, 1, h, qh);
          product(k, dir.w_hh, h_prev, 1, qh, nullptr, g, true);
        }
        float* h_t = out + t * h2 + d * h;
        k.lstm_cell(g, c, h, c, h_t);
        h_prev = h_t;
      }
    }
    input = out;
  }
  const float* y = out;  // [L, 2H]

  float* pooled = ws.pooled_.data();
  if (config_.pooling == Pooling::kMax) {
    std::copy(y, y + h2, pooled);
    for (std::size_t t = 1; t < len; ++t)
      for (std::size_t j = 0; j < h2; ++j) pooled[j] = std::max(pooled[j], y[t * h2 + j]);
  } else {
    const std::size_t a = config_.attention_size;
    float* hidden = ws.attn_.data();
    quantize(k, attn_proj_.type(), y, len, h2, q);
    product(k, attn_proj_, y, len, q, attn_bias_.data(), hidden, false);
    float* alpha = ws.alpha_.data();
    float top = -std::numeric_limits<float>::infinity();
    for (std::size_t t = 0; t < len; ++t) {
      float s = 0.0f;
      for (std::size_t j = 0; j < a; ++j) s += attn_context_[j] * std::tanh(hidden[t * a + j]);
      alpha[t] = s;
      top = std::max(top, s);
    }
    float sum = 0.0f;
    for (std::size_t t = 0; t < len; ++t) sum += alpha[t] = std::exp(alpha[t] - top);
    std::fill(pooled, pooled + h2, 0.0f);
    for (std::size_t t = 0; t < len; ++t) {
      const float w = alpha[t] / sum;
      for (std::size_t j = 0; j < h2; ++j) pooled[j] += w * y[t * h2 + j];
    }
  }

  quantize(k, type, pooled, 1, h2, q);
  product(k, domain_.w, pooled, 1, q, domain_.bias.data(), ws.domain_.data(), false);
  product(k, intent_.w, pooled, 1, q, intent_.bias.data(), ws.intent_.data(), false);
  quantize(k, type, y, len, h2, q);
  product(k, slots_.w, y, len, q, slots_.bias.data(), ws.slots_.data(), false);

  const std::size_t tags = slots_.w.rows();
  return {std::span<const float>(ws.domain_.data(), domain_.w.rows()),
          std::span<const float>(ws.intent_.data(), intent_.w.rows()),
          std::span<const float>(ws.slots_.data(), len * tags)};
}

}  // namespace jointnlu::runtime
