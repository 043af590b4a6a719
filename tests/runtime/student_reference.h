// A straightforward double-precision forward pass of the BiLSTM student, written from the spec
// (torch.nn.LSTM semantics), against which the runtime's kernels are checked.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "student_fixture.h"

namespace jointnlu::testing {

struct ReferenceLogits {
  std::vector<double> domain, intent, slots;  // slots: [L, T]
};

inline ReferenceLogits reference_forward(const StudentFiles& s, const StudentSpec& spec,
                                         const std::vector<int>& ids) {
  const auto& T = s.tensors;
  const std::size_t len = ids.size(), h = spec.hidden_size;
  // y = W x + b for W [rows, cols] (row-major floats), x doubles.
  const auto affine = [](const Tensor& w, const Tensor* b, const std::vector<double>& x) {
    const auto rows = static_cast<std::size_t>(w.shape[0]),
               cols = static_cast<std::size_t>(w.shape[1]);
    std::vector<double> y(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      double acc = b ? b->values[r] : 0.0;
      for (std::size_t c = 0; c < cols; ++c) acc += double(w.values[r * cols + c]) * x[c];
      y[r] = acc;
    }
    return y;
  };
  const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };

  std::vector<std::vector<double>> xs(len);
  const Tensor& emb = T.at("embeddings.word_embeddings.weight");
  for (std::size_t t = 0; t < len; ++t)
    xs[t].assign(emb.values.begin() + ids[t] * spec.embedding_size,
                 emb.values.begin() + (ids[t] + 1) * spec.embedding_size);
  for (std::size_t k = 0; k < spec.num_layers; ++k) {
    std::vector<std::vector<double>> ys(len, std::vector<double>(2 * h));
    for (int d = 0; d < 2; ++d) {
      const std::string l = std::to_string(k) + (d ? "_reverse" : "");
      const Tensor &wih = T.at("lstm.weight_ih_l" + l), &whh = T.at("lstm.weight_hh_l" + l);
      const Tensor &bih = T.at("lstm.bias_ih_l" + l), &bhh = T.at("lstm.bias_hh_l" + l);
      std::vector<double> hs(h, 0.0), cs(h, 0.0);
      for (std::size_t step = 0; step < len; ++step) {
        const std::size_t t = d ? len - 1 - step : step;
        auto g = affine(wih, &bih, xs[t]);
        const auto gh = affine(whh, &bhh, hs);
        for (std::size_t j = 0; j < 4 * h; ++j) g[j] += gh[j];
        for (std::size_t j = 0; j < h; ++j) {
          const double i = sigmoid(g[j]), f = sigmoid(g[h + j]), gg = std::tanh(g[2 * h + j]),
                       o = sigmoid(g[3 * h + j]);
          cs[j] = f * cs[j] + i * gg;
          hs[j] = o * std::tanh(cs[j]);
          ys[t][d * h + j] = hs[j];
        }
      }
    }
    xs = std::move(ys);
  }
  std::vector<double> pooled(2 * h);
  if (spec.pooling == "max") {
    pooled = xs[0];
    for (std::size_t t = 1; t < len; ++t)
      for (std::size_t j = 0; j < 2 * h; ++j) pooled[j] = std::max(pooled[j], xs[t][j]);
  } else {
    const Tensor& ctx = T.at("attention.context.weight");
    std::vector<double> score(len);
    for (std::size_t t = 0; t < len; ++t) {
      auto a = affine(T.at("attention.proj.weight"), &T.at("attention.proj.bias"), xs[t]);
      double sc = 0.0;
      for (std::size_t j = 0; j < a.size(); ++j) sc += double(ctx.values[j]) * std::tanh(a[j]);
      score[t] = sc;
    }
    const double top = *std::max_element(score.begin(), score.end());
    double sum = 0.0;
    for (auto& v : score) sum += v = std::exp(v - top);
    for (std::size_t t = 0; t < len; ++t)
      for (std::size_t j = 0; j < 2 * h; ++j) pooled[j] += score[t] / sum * xs[t][j];
  }
  ReferenceLogits out;
  out.domain = affine(T.at("domain_classifier.weight"), &T.at("domain_classifier.bias"), pooled);
  out.intent = affine(T.at("intent_classifier.weight"), &T.at("intent_classifier.bias"), pooled);
  for (std::size_t t = 0; t < len; ++t) {
    const auto row = affine(T.at("slot_classifier.weight"), &T.at("slot_classifier.bias"), xs[t]);
    out.slots.insert(out.slots.end(), row.begin(), row.end());
  }
  return out;
}

}  // namespace jointnlu::testing
