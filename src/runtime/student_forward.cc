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

// The LSTM recurrence of one direction, shared by forward() and forward_batch(). `gates` holds the
// input projections (with bias) of every step; step s runs rows(s).second sequences whose gate rows
// are contiguous from rows(s).first, the sequences still running first (packed order, so at most
// as many as at the step before). `hs` and `cs` hold one state row per running sequence; h_t of
// the i-th running sequence is also copied to out(s, i). At s = 0, h = 0: W_hh . h is skipped.
template <class Rows, class Out>
void recurrence(const Kernels& k, WeightType type, const PackedMatrix& w_hh, std::size_t h,
                std::size_t steps, float* gates, float* hs, float* cs, QuantizedActivations& qh,
                Rows rows, Out out) {
  const std::size_t h4 = 4 * h;
  std::fill(cs, cs + rows(0).second * h, 0.0f);
  for (std::size_t step = 0; step < steps; ++step) {
    const auto [first, running] = rows(step);
    float* g = gates + first * h4;
    if (step > 0) {
      quantize(k, type, hs, running, h, qh);
      product(k, w_hh, hs, running, qh, nullptr, g, true);
    }
    for (std::size_t i = 0; i < running; ++i) {
      float* c = cs + i * h;
      float* h_t = hs + i * h;
      k.lstm_cell(g + i * h4, c, h, c, h_t);
      std::copy_n(h_t, h, out(step, i));
    }
  }
}

}  // namespace

void Workspace::ensure(const StudentModel& model, std::size_t length) {
  const StudentSpec& c = model.config();
  const std::size_t l = std::max(length, c.max_length);
  const std::size_t h = c.hidden_size;
  grow(x_, l * c.embedding_size);
  grow(y_[0], l * 2 * h);
  grow(y_[1], l * 2 * h);
  grow(gates_, l * 4 * h);
  grow(c_, h);
  grow(h_, h);
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

void StudentModel::embed_quantized(std::span<const int> ids, QuantizedActivations& q) const {
  const std::size_t e = config_.embedding_size;
  std::int8_t* out = q.prepare(ids.size(), e);
  float* scales = q.mutable_scales();
  const std::size_t stride = q.stride();
  for (std::size_t t = 0; t < ids.size(); ++t) {
    const auto id = static_cast<std::size_t>(ids[t]);
    std::memcpy(out + t * stride, embed_q_ + id * e, e);
    std::memset(out + t * stride + e, 0, stride - e);  // the int8 kernels read the padding as 0
    scales[t] = embed_scales_[id];
  }
}

void StudentModel::check_features(std::span<const int> ids,
                                  const PositionFeatures* features) const {
  if (!features || features->positions() == 0) return;
  if (config_.lexicon_features() == 0)
    throw std::invalid_argument(
        "StudentModel::forward: lexicon features for a model without a "
        "lexicon");
  if (features->positions() != ids.size())
    throw std::invalid_argument("StudentModel::forward: lexicon features for " +
                                std::to_string(features->positions()) + " positions, input has " +
                                std::to_string(ids.size()));
  for (const std::uint16_t f : features->ids)
    if (f >= config_.lexicon_features())
      throw std::invalid_argument("StudentModel::forward: lexicon feature " + std::to_string(f) +
                                  " outside the model's " +
                                  std::to_string(config_.lexicon_features()));
}

void StudentModel::add_lexicon(const Direction& dir, std::span<const std::uint16_t> active,
                               float* g, const Kernels& k) const {
  if (active.empty()) return;
  const std::size_t h4 = 4 * config_.hidden_size;
  if (!dir.lexicon_q.empty())
    k.add_rows_int8(dir.lexicon_q.data(), dir.lexicon_scale.data(), active.data(), active.size(),
                    h4, g);
  else
    k.add_rows_f32(dir.lexicon.data(), active.data(), active.size(), h4, g);
}

void StudentModel::check_ids(std::span<const int> ids) const {
  if (ids.empty()) throw std::invalid_argument("StudentModel::forward: empty input");
  for (const int id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= config_.vocab_size)
      throw std::invalid_argument("StudentModel::forward: token id " + std::to_string(id) +
                                  " outside the vocabulary (size " +
                                  std::to_string(config_.vocab_size) + ")");
}

void StudentModel::pool(const float* y, std::size_t len, const float* attn_hidden, float* alpha,
                        float* pooled) const {
  const std::size_t h2 = 2 * config_.hidden_size;
  if (config_.pooling == Pooling::kMax) {
    std::copy(y, y + h2, pooled);
    for (std::size_t t = 1; t < len; ++t)
      for (std::size_t j = 0; j < h2; ++j) pooled[j] = std::max(pooled[j], y[t * h2 + j]);
    return;
  }
  const std::size_t a = config_.attention_size;
  float top = -std::numeric_limits<float>::infinity();
  for (std::size_t t = 0; t < len; ++t) {
    float s = 0.0f;
    for (std::size_t j = 0; j < a; ++j) s += attn_context_[j] * std::tanh(attn_hidden[t * a + j]);
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

void StudentModel::heads(const float* pooled, std::size_t b, const float* y, std::size_t rows,
                         QuantizedActivations& q, float* domain, float* intent, float* slots,
                         const Kernels& k) const {
  const std::size_t h2 = 2 * config_.hidden_size;
  quantize(k, weight_type_, pooled, b, h2, q);
  product(k, domain_.w, pooled, b, q, domain_.bias.data(), domain, false);
  product(k, intent_.w, pooled, b, q, intent_.bias.data(), intent, false);
  quantize(k, weight_type_, y, rows, h2, q);
  product(k, slots_.w, y, rows, q, slots_.bias.data(), slots, false);
}

StudentLogits StudentModel::forward(std::span<const int> ids, Workspace& ws, const Kernels& k,
                                    const PositionFeatures* features) const {
  check_ids(ids);
  check_features(ids, features);
  const bool lexicon = features && features->positions() > 0;
  ws.ensure(*this, ids.size());
  const std::size_t len = ids.size();
  const std::size_t h = config_.hidden_size;
  const std::size_t h2 = 2 * h;
  const std::size_t h4 = 4 * h;
  const WeightType type = weight_type_;
  QuantizedActivations& q = ws.quant_;     // X of a layer (shared by both directions), Y, pooled
  QuantizedActivations& qh = ws.quant_h_;  // h_{t-1} of the recurrence

  const bool int8_embeddings = this->int8_embeddings();
  if (int8_embeddings)
    embed_quantized(ids, q);
  else
    embed(ids, ws.x_.data());
  const float* input = ws.x_.data();
  float* out = nullptr;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    const Layer& layer = layers_[li];
    out = ws.y_[li % 2].data();
    if (li > 0 || !int8_embeddings)
      quantize(k, type, input, len, layer.input_size, q);  // shared by both directions
    for (int d = 0; d < 2; ++d) {
      const Direction& dir = layer.dir[d];
      float* gates = ws.gates_.data();
      // All L input projections at once.
      product(k, dir.w_ih, input, len, q, dir.bias.data(), gates, false);
      if (li == 0 && lexicon)
        for (std::size_t t = 0; t < len; ++t) add_lexicon(dir, features->at(t), gates + t * h4, k);
      // One sequence: step s is position s forward, len - 1 - s backward.
      recurrence(
          k, type, dir.w_hh, h, len, gates, ws.h_.data(), ws.c_.data(), qh,
          [&](std::size_t step) {
            return std::pair<std::size_t, std::size_t>{d == 0 ? step : len - 1 - step, 1};
          },
          [&](std::size_t step, std::size_t) {
            return out + (d == 0 ? step : len - 1 - step) * h2 + d * h;
          });
    }
    input = out;
  }
  const float* y = out;  // [L, 2H]

  if (config_.pooling == Pooling::kAttention) {
    quantize(k, attn_proj_.type(), y, len, h2, q);
    product(k, attn_proj_, y, len, q, attn_bias_.data(), ws.attn_.data(), false);
  }
  pool(y, len, ws.attn_.data(), ws.alpha_.data(), ws.pooled_.data());
  heads(ws.pooled_.data(), 1, y, len, q, ws.domain_.data(), ws.intent_.data(), ws.slots_.data(), k);

  const std::size_t tags = slots_.w.rows();
  return {std::span<const float>(ws.domain_.data(), domain_.w.rows()),
          std::span<const float>(ws.intent_.data(), intent_.w.rows()),
          std::span<const float>(ws.slots_.data(), len * tags)};
}

void BatchWorkspace::ensure(const StudentModel& model, std::size_t sequences,
                            std::size_t total_length) {
  const StudentSpec& c = model.config();
  const std::size_t b = sequences, t = total_length;
  const std::size_t h = c.hidden_size;
  order_.resize(b);
  offset_.resize(b);
  source_.resize(t);
  ids_.resize(t);
  packed_ids_.resize(t);
  input_of_.resize(t);
  if (!model.int8_embeddings()) grow(x_, t * c.embedding_size);
  grow(y_[0], t * 2 * h);
  grow(y_[1], t * 2 * h);
  grow(gates_, t * 4 * h);
  if (model.weight_type() == WeightType::kF32)
    grow(packed_x_, t * std::max(c.embedding_size, 2 * h));
  grow(h_, b * h);
  grow(c_, b * h);
  grow(attn_, t * std::max<std::size_t>(c.attention_size, 1));
  grow(alpha_, t);
  grow(pooled_, b * 2 * h);
  grow(domain_, b * c.labels.domains().size());
  grow(intent_, b * c.labels.intents().size());
  grow(slots_, t * c.labels.tags().size());
  quant_.reserve(std::max(t, b), std::max(c.embedding_size, 2 * h));
  if (model.weight_type() == WeightType::kInt8)
    quant_packed_.reserve(t, std::max(c.embedding_size, 2 * h));
  quant_h_.reserve(b, h);
}

StudentModel::PackedBatch StudentModel::check_batch(
    std::span<const std::span<const int>> inputs,
    std::span<const PositionFeatures* const> features) const {
  if (!features.empty() && features.size() != inputs.size())
    throw std::invalid_argument("StudentModel::forward_batch: " + std::to_string(features.size()) +
                                " lexicon feature sets for " + std::to_string(inputs.size()) +
                                " inputs");
  PackedBatch batch{inputs, features};
  for (std::size_t b = 0; b < inputs.size(); ++b) {
    check_ids(inputs[b]);
    if (!features.empty()) {
      check_features(inputs[b], features[b]);
      batch.lexicon = batch.lexicon || (features[b] && features[b]->positions() > 0);
    }
    batch.total += inputs[b].size();
  }
  return batch;
}

// The recurrences run in packed order, as in torch's PackedSequence: sequences sorted by
// decreasing length, and packed row start_[s] + i of a direction is sequence order_[i] at its
// step s (its s-th token forward, s-th from the end backward). The sequences still running at a
// step are then the first rows, and the rows of one step are contiguous: the recurrent product
// accumulates straight into that step's input projections (no per-step copy of the gates), and
// row i of h_ and c_ always belongs to sequence order_[i].
void StudentModel::pack_batch(PackedBatch& batch, BatchWorkspace& ws) const {
  const auto inputs = batch.inputs;
  const bool int8_embeddings = this->int8_embeddings();
  for (std::size_t b = 0, row = 0; b < inputs.size(); ++b) {
    ws.order_[b] = b;
    ws.offset_[b] = row;
    std::fill_n(ws.input_of_.begin() + static_cast<std::ptrdiff_t>(row), inputs[b].size(), b);
    if (int8_embeddings)
      std::copy(inputs[b].begin(), inputs[b].end(),
                ws.ids_.begin() + static_cast<std::ptrdiff_t>(row));
    else
      embed(inputs[b], ws.x_.data() + row * config_.embedding_size);
    row += inputs[b].size();
    batch.max_len = std::max(batch.max_len, inputs[b].size());
  }
  std::stable_sort(ws.order_.begin(), ws.order_.end(), [&](std::size_t a, std::size_t b) {
    return inputs[a].size() > inputs[b].size();
  });
  ws.start_.assign(batch.max_len + 1, 0);
  for (std::size_t step = 0, running = inputs.size(); step < batch.max_len; ++step) {
    while (inputs[ws.order_[running - 1]].size() <= step) --running;
    ws.start_[step + 1] = ws.start_[step] + running;
  }
}

void StudentModel::batch_direction(const PackedBatch& batch, std::size_t li, int d,
                                   const float* input, float* y, BatchWorkspace& ws,
                                   const Kernels& k) const {
  const Direction& dir = layers_[li].dir[d];
  const std::size_t cols = layers_[li].input_size, total = batch.total;
  const std::size_t h = config_.hidden_size;
  for (std::size_t step = 0; step < batch.max_len; ++step)
    for (std::size_t p = ws.start_[step], i = 0; p < ws.start_[step + 1]; ++p, ++i) {
      const std::size_t b = ws.order_[i], len = batch.inputs[b].size();
      ws.source_[p] = ws.offset_[b] + (d == 0 ? step : len - 1 - step);
    }
  const std::span<const std::size_t> source(ws.source_.data(), total);
  const float* packed_input = nullptr;
  if (li == 0 && int8_embeddings()) {
    for (std::size_t p = 0; p < total; ++p) ws.packed_ids_[p] = ws.ids_[source[p]];
    embed_quantized(std::span<const int>(ws.packed_ids_.data(), total), ws.quant_packed_);
  } else if (weight_type_ == WeightType::kInt8) {
    ws.quant_packed_.gather_rows(ws.quant_, source);
  } else {
    float* to = ws.packed_x_.data();
    for (std::size_t p = 0; p < total; ++p)
      std::copy_n(input + source[p] * cols, cols, to + p * cols);
    packed_input = to;
  }
  float* gates = ws.gates_.data();
  product(k, dir.w_ih, packed_input, total, ws.quant_packed_, dir.bias.data(), gates, false);
  if (li == 0 && batch.lexicon)
    for (std::size_t p = 0; p < total; ++p) {
      const std::size_t b = ws.input_of_[source[p]];
      const PositionFeatures* f = batch.features[b];
      if (f && f->positions() > 0)
        add_lexicon(dir, f->at(source[p] - ws.offset_[b]), gates + p * 4 * h, k);
    }
  recurrence(
      k, weight_type_, dir.w_hh, h, batch.max_len, gates, ws.h_.data(), ws.c_.data(), ws.quant_h_,
      [&](std::size_t step) {
        return std::pair<std::size_t, std::size_t>{ws.start_[step],
                                                   ws.start_[step + 1] - ws.start_[step]};
      },
      [&](std::size_t step, std::size_t i) {
        return y + source[ws.start_[step] + i] * 2 * h + d * h;
      });
}

void StudentModel::batch_outputs(const PackedBatch& batch, const float* y, BatchWorkspace& ws,
                                 std::vector<StudentLogits>& out, const Kernels& k) const {
  const std::size_t h2 = 2 * config_.hidden_size, n = batch.inputs.size();
  QuantizedActivations& q = ws.quant_;
  if (config_.pooling == Pooling::kAttention) {
    quantize(k, attn_proj_.type(), y, batch.total, h2, q);
    product(k, attn_proj_, y, batch.total, q, attn_bias_.data(), ws.attn_.data(), false);
  }
  const std::size_t a = std::max<std::size_t>(config_.attention_size, 1);
  for (std::size_t b = 0; b < n; ++b) {
    const std::size_t r = ws.offset_[b];
    pool(y + r * h2, batch.inputs[b].size(), ws.attn_.data() + r * a, ws.alpha_.data(),
         ws.pooled_.data() + b * h2);
  }
  heads(ws.pooled_.data(), n, y, batch.total, q, ws.domain_.data(), ws.intent_.data(),
        ws.slots_.data(), k);

  const std::size_t domains = domain_.w.rows(), intents = intent_.w.rows();
  const std::size_t tags = slots_.w.rows();
  for (std::size_t b = 0; b < n; ++b)
    out.push_back({std::span<const float>(ws.domain_.data() + b * domains, domains),
                   std::span<const float>(ws.intent_.data() + b * intents, intents),
                   std::span<const float>(ws.slots_.data() + ws.offset_[b] * tags,
                                          batch.inputs[b].size() * tags)});
}

void StudentModel::forward_batch(std::span<const std::span<const int>> inputs, BatchWorkspace& ws,
                                 std::vector<StudentLogits>& out, const Kernels& k,
                                 std::span<const PositionFeatures* const> features) const {
  out.clear();
  if (inputs.empty()) return;
  PackedBatch batch = check_batch(inputs, features);
  ws.ensure(*this, inputs.size(), batch.total);
  pack_batch(batch, ws);
  const float* input = ws.x_.data();
  float* y = nullptr;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    y = ws.y_[li % 2].data();
    // The layer's input, quantised once for both directions (int8 layer 0 embeds quantised).
    if (li > 0 || !int8_embeddings())
      quantize(k, weight_type_, input, batch.total, layers_[li].input_size, ws.quant_);
    for (int d = 0; d < 2; ++d) batch_direction(batch, li, d, input, y, ws, k);
    input = y;
  }
  batch_outputs(batch, y, ws, out, k);
}

}  // namespace jointnlu::runtime
