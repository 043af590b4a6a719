#include "runtime/kernels.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/kernels_internal.h"

namespace jointnlu::runtime {

using detail::kInt8Group;
using detail::kPanelRows;
using detail::unit_index;

namespace {

constexpr std::size_t kAlign = 64;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

void check_shape(const char* what, std::span<const float> w, std::size_t rows, std::size_t cols) {
  if (rows == 0 || cols == 0) {
    throw std::invalid_argument(std::string(what) + ": empty weight matrix [" +
                                std::to_string(rows) + ", " + std::to_string(cols) + "]");
  }
  if (w.size() != rows * cols) {
    throw std::invalid_argument(std::string(what) + ": weight has " + std::to_string(w.size()) +
                                " values, expected [" + std::to_string(rows) + ", " +
                                std::to_string(cols) + "] = " + std::to_string(rows * cols));
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w[i])) {
      throw std::invalid_argument(std::string(what) + ": non-finite weight at row " +
                                  std::to_string(i / cols) + ", column " +
                                  std::to_string(i % cols));
    }
  }
}

detail::F32View f32_view(const PackedMatrix& w) {
  assert(w.type() == WeightType::kF32);
  return {w.f32_data(), w.rows(), w.cols(), w.panels()};
}

detail::Int8View int8_view(const PackedMatrix& w) {
  assert(w.type() == WeightType::kInt8);
  return {w.int8_data(), w.scales(), w.row_sums(), w.rows(), w.cols(), w.groups(), w.panels()};
}

detail::QuantView quant_view(const QuantizedActivations& x) {
  return {x.data(), x.scales(), x.rows(), x.stride()};
}

// Output epilogue shared by the scalar kernels: y = dot (+ bias) (+ y), the order every path uses.
inline void store_row_segment(const float* dot, std::size_t n0, std::size_t count,
                              const float* bias, float* y, bool accumulate) {
  for (std::size_t r = 0; r < count; ++r) {
    float v = dot[r];
    if (bias != nullptr) v += bias[n0 + r];
    if (accumulate) v += y[n0 + r];
    y[n0 + r] = v;
  }
}

// ---- scalar path: the portable fallback, written on the packed layout (so it also checks packing)
// ----

void gemm_f32_scalar(const PackedMatrix& w, const float* x, std::size_t m, const float* bias,
                     float* y, bool accumulate) {
  const std::size_t n = w.rows();
  const std::size_t k_dim = w.cols();
  for (std::size_t t = 0; t < m; ++t) {
    const float* xt = x + t * k_dim;
    float* yt = y + t * n;
    for (std::size_t p = 0; p < w.panels(); ++p) {
      float acc[kPanelRows] = {};
      for (std::size_t k = 0; k < k_dim; ++k) {
        const float* col = w.f32_data() + unit_index(p, k, k_dim, w.panels()) * kPanelRows;
        for (std::size_t r = 0; r < kPanelRows; ++r) acc[r] += col[r] * xt[k];
      }
      const std::size_t n0 = p * kPanelRows;
      store_row_segment(acc, n0, std::min(kPanelRows, n - n0), bias, yt, accumulate);
    }
  }
}

void quantize_rows_scalar(const float* x, std::size_t m, std::size_t k, QuantizedActivations& out) {
  std::int8_t* q = out.prepare(m, k);
  float* scales = out.mutable_scales();
  for (std::size_t t = 0; t < m; ++t) {
    const float* xt = x + t * k;
    float amax = 0.0f;
    for (std::size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(xt[i]));
    // Same arithmetic as the vector paths (multiply by 127/amax, round half to even) so that every
    // path produces identical integers.
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scales[t] = amax / 127.0f;
    std::int8_t* qt = q + t * out.stride();
    for (std::size_t i = 0; i < k; ++i) {
      const float v = std::clamp(std::nearbyint(xt[i] * inv), -127.0f, 127.0f);
      qt[i] = static_cast<std::int8_t>(v);
    }
    std::memset(qt + k, 0, out.stride() - k);
  }
}

void gemm_int8_scalar(const PackedMatrix& w, const QuantizedActivations& x, const float* bias,
                      float* y, bool accumulate) {
  const std::size_t n = w.rows();
  const std::size_t groups = w.groups();
  for (std::size_t t = 0; t < x.rows(); ++t) {
    const std::int8_t* xt = x.row(t);
    float* yt = y + t * n;
    for (std::size_t p = 0; p < w.panels(); ++p) {
      std::int32_t acc[kPanelRows] = {};
      for (std::size_t g = 0; g < groups; ++g) {
        const std::int8_t* unit =
            w.int8_data() + unit_index(p, g, groups, w.panels()) * kPanelRows * kInt8Group;
        for (std::size_t r = 0; r < kPanelRows; ++r) {
          for (std::size_t j = 0; j < kInt8Group; ++j) {
            acc[r] += std::int32_t{unit[r * kInt8Group + j]} * std::int32_t{xt[g * kInt8Group + j]};
          }
        }
      }
      const std::size_t n0 = p * kPanelRows;
      float dot[kPanelRows];
      for (std::size_t r = 0; r < kPanelRows; ++r) {
        dot[r] = static_cast<float>(acc[r]) * (x.scale(t) * w.scales()[n0 + r]);
      }
      store_row_segment(dot, n0, std::min(kPanelRows, n - n0), bias, yt, accumulate);
    }
  }
}

inline float sigmoid_ref(float v) { return 1.0f / (1.0f + std::exp(-v)); }

void lstm_cell_scalar(const float* gates, const float* c_prev, std::size_t hidden, float* c,
                      float* h) {
  for (std::size_t j = 0; j < hidden; ++j) {
    const float i = sigmoid_ref(gates[j]);
    const float f = sigmoid_ref(gates[hidden + j]);
    const float g = std::tanh(gates[2 * hidden + j]);
    const float o = sigmoid_ref(gates[3 * hidden + j]);
    const float cj = f * c_prev[j] + i * g;
    c[j] = cj;
    h[j] = o * std::tanh(cj);
  }
}

std::uint64_t read_bytes_scalar(const std::byte* data, std::size_t bytes) {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  for (std::size_t i = 0; i < bytes; i += 32) {
    std::uint64_t v[4];
    std::memcpy(v, data + i, sizeof v);
    a += v[0], b += v[1], c += v[2], d += v[3];
  }
  return a + b + c + d;
}

void add_rows_f32_scalar(const float* table, const std::uint16_t* ids, std::size_t n,
                         std::size_t width, float* g) {
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = table + static_cast<std::size_t>(ids[i]) * width;
    for (std::size_t j = 0; j < width; ++j) g[j] += row[j];
  }
}

void add_rows_int8_scalar(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                          std::size_t n, std::size_t width, float* g) {
  for (std::size_t j = 0; j < width; ++j) {
    std::int32_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += table[static_cast<std::size_t>(ids[i]) * width + j];
    g[j] += static_cast<float>(sum) * scale[j];
  }
}

// ---- adapters from the public types to the ISA files' plain views ----

template <auto kGemm>
void gemm_f32_adapter(const PackedMatrix& w, const float* x, std::size_t m, const float* bias,
                      float* y, bool accumulate) {
  kGemm(f32_view(w), x, m, bias, y, accumulate);
}

template <auto kQuantize>
void quantize_adapter(const float* x, std::size_t m, std::size_t k, QuantizedActivations& out) {
  std::int8_t* q = out.prepare(m, k);
  kQuantize(x, m, k, q, out.stride(), out.mutable_scales());
}

template <auto kGemm>
void gemm_int8_adapter(const PackedMatrix& w, const QuantizedActivations& x, const float* bias,
                       float* y, bool accumulate) {
  assert(x.cols() == w.cols());
  kGemm(int8_view(w), quant_view(x), bias, y, accumulate);
}

// For kernels that want a scratch of x.rows() * x.stride() bytes. It lives here, thread_local
// (allocating only when growing), because the ISA files may not instantiate templates.
template <void (*kGemm)(const detail::Int8View&, const detail::QuantView&, const float*, float*,
                        bool, std::int8_t*)>
void gemm_int8_scratch_adapter(const PackedMatrix& w, const QuantizedActivations& x,
                               const float* bias, float* y, bool accumulate) {
  assert(x.cols() == w.cols());
  thread_local std::vector<std::int8_t> scratch;
  const std::size_t bytes = x.rows() * x.stride();
  if (scratch.size() < bytes) scratch.resize(bytes);
  kGemm(int8_view(w), quant_view(x), bias, y, accumulate, scratch.data());
}

constexpr Kernels kScalarKernels{Isa::kScalar,        gemm_f32_scalar,     quantize_rows_scalar,
                                 gemm_int8_scalar,    lstm_cell_scalar,    read_bytes_scalar,
                                 add_rows_f32_scalar, add_rows_int8_scalar};
constexpr Kernels kAvx2Kernels{Isa::kAvx2,
                               gemm_f32_adapter<detail::gemm_f32_avx2>,
                               quantize_adapter<detail::quantize_rows_avx2>,
                               gemm_int8_adapter<detail::gemm_int8_avx2>,
                               detail::lstm_cell_avx2,
                               detail::read_bytes_avx2,
                               detail::add_rows_f32_avx2,
                               detail::add_rows_int8_avx2};
constexpr Kernels kAvx512Kernels{Isa::kAvx512,
                                 gemm_f32_adapter<detail::gemm_f32_avx512>,
                                 quantize_adapter<detail::quantize_rows_avx512>,
                                 gemm_int8_scratch_adapter<detail::gemm_int8_avx512>,
                                 detail::lstm_cell_avx512,
                                 detail::read_bytes_avx512,
                                 detail::add_rows_f32_avx512,
                                 detail::add_rows_int8_avx512};

}  // namespace

void detail::AlignedFree::operator()(void* p) const noexcept { std::free(p); }

AlignedBytes allocate_aligned(std::size_t bytes) {
  const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), kAlign);
  void* p = std::aligned_alloc(kAlign, size);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, size);  // padding rows/columns must be zero: the kernels multiply them
  return AlignedBytes(static_cast<std::byte*>(p));
}

// ---- PackedMatrix ----

PackedMatrix PackedMatrix::pack_f32(std::span<const float> w, std::size_t rows, std::size_t cols) {
  check_shape("PackedMatrix::pack_f32", w, rows, cols);
  PackedMatrix packed;
  packed.type_ = WeightType::kF32;
  packed.rows_ = rows;
  packed.cols_ = cols;
  packed.panels_ = (rows + kPanelRows - 1) / kPanelRows;
  packed.bytes_ = packed.panels_ * kPanelRows * cols * sizeof(float);
  packed.storage_ = allocate_aligned(packed.bytes_);
  float* dst = reinterpret_cast<float*>(packed.storage_.get());
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t p = r / kPanelRows;
    const std::size_t lane = r % kPanelRows;
    for (std::size_t k = 0; k < cols; ++k) {
      dst[unit_index(p, k, cols, packed.panels_) * kPanelRows + lane] = w[r * cols + k];
    }
  }
  return packed;
}

void quantize_weights(std::span<const float> w, std::size_t rows, std::size_t cols,
                      std::span<std::int8_t> q, std::span<float> scales) {
  check_shape("quantize_weights", w, rows, cols);
  if (q.size() != rows * cols || scales.size() != rows)
    throw std::invalid_argument("quantize_weights: output sizes do not match [rows, cols]");
  for (std::size_t r = 0; r < rows; ++r) {
    const float* wr = w.data() + r * cols;
    float amax = 0.0f;
    for (std::size_t k = 0; k < cols; ++k) amax = std::max(amax, std::fabs(wr[k]));
    const float scale = amax / 127.0f;
    scales[r] = scale;
    for (std::size_t k = 0; k < cols; ++k) {
      const float v = amax > 0.0f ? std::clamp(std::round(wr[k] / scale), -127.0f, 127.0f) : 0.0f;
      q[r * cols + k] = static_cast<std::int8_t>(v);
    }
  }
}

PackedMatrix PackedMatrix::pack_int8(std::span<const float> w, std::size_t rows, std::size_t cols) {
  check_shape("PackedMatrix::pack_int8", w, rows, cols);
  std::vector<std::int8_t> q(rows * cols);
  std::vector<float> scales(rows);
  quantize_weights(w, rows, cols, q, scales);
  return from_int8(q, scales, rows, cols);
}

PackedMatrix PackedMatrix::from_int8(std::span<const std::int8_t> q,
                                     std::span<const float> row_scales, std::size_t rows,
                                     std::size_t cols) {
  if (rows == 0 || cols == 0 || q.size() != rows * cols || row_scales.size() != rows)
    throw std::invalid_argument("PackedMatrix::from_int8: " + std::to_string(q.size()) +
                                " values and " + std::to_string(row_scales.size()) +
                                " scales do not make a [" + std::to_string(rows) + ", " +
                                std::to_string(cols) + "] matrix");
  PackedMatrix packed;
  packed.type_ = WeightType::kInt8;
  packed.rows_ = rows;
  packed.cols_ = cols;
  packed.panels_ = (rows + kPanelRows - 1) / kPanelRows;
  packed.groups_ = (cols + kInt8Group - 1) / kInt8Group;
  const std::size_t padded_rows = packed.panels_ * kPanelRows;
  // One allocation: [q: padded_rows * groups * 4 bytes (a multiple of 64)][scales][row sums].
  const std::size_t weight_bytes = padded_rows * packed.groups_ * kInt8Group;
  packed.bytes_ = weight_bytes + padded_rows * (sizeof(float) + sizeof(std::int32_t));
  packed.storage_ = allocate_aligned(packed.bytes_);
  std::int8_t* dst = reinterpret_cast<std::int8_t*>(packed.storage_.get());
  float* scales = reinterpret_cast<float*>(packed.storage_.get() + weight_bytes);
  std::int32_t* row_sums = reinterpret_cast<std::int32_t*>(scales + padded_rows);
  for (std::size_t r = 0; r < rows; ++r) {
    // -128 has no positive counterpart, and the AVX2 sign trick needs |q| <= 127.
    if (!std::isfinite(row_scales[r]) || row_scales[r] < 0.0f)
      throw std::invalid_argument("PackedMatrix::from_int8: row " + std::to_string(r) +
                                  " has an invalid scale");
    scales[r] = row_scales[r];
    const std::size_t p = r / kPanelRows;
    const std::size_t lane = r % kPanelRows;
    std::int32_t sum = 0;
    for (std::size_t k = 0; k < cols; ++k) {
      const std::int8_t v = q[r * cols + k];
      if (v == -128)
        throw std::invalid_argument("PackedMatrix::from_int8: row " + std::to_string(r) +
                                    " holds -128 (symmetric quantisation uses [-127, 127])");
      const std::size_t g = k / kInt8Group;
      dst[(unit_index(p, g, packed.groups_, packed.panels_) * kPanelRows + lane) * kInt8Group +
          k % kInt8Group] = v;
      sum += v;
    }
    row_sums[r] = sum;
  }
  packed.scales_ = scales;
  packed.row_sums_ = row_sums;
  return packed;
}

PackedMatrix PackedMatrix::pack(WeightType type, std::span<const float> w, std::size_t rows,
                                std::size_t cols) {
  return type == WeightType::kF32 ? pack_f32(w, rows, cols) : pack_int8(w, rows, cols);
}

float PackedMatrix::dequantized(std::size_t r, std::size_t c) const {
  assert(r < rows_ && c < cols_);
  const std::size_t p = r / kPanelRows;
  const std::size_t lane = r % kPanelRows;
  if (type_ == WeightType::kF32)
    return f32_data()[unit_index(p, c, cols_, panels_) * kPanelRows + lane];
  const std::size_t g = c / kInt8Group;
  const std::int8_t q =
      int8_data()[(unit_index(p, g, groups_, panels_) * kPanelRows + lane) * kInt8Group +
                  c % kInt8Group];
  return static_cast<float>(q) * scales_[r];
}

// ---- QuantizedActivations ----

void QuantizedActivations::reserve(std::size_t max_rows, std::size_t max_cols) {
  const std::size_t bytes = max_rows * round_up(std::max<std::size_t>(max_cols, 1), kAlign);
  if (bytes > capacity_bytes_) {
    storage_ = allocate_aligned(bytes);
    capacity_bytes_ = bytes;
  }
  if (scales_.size() < max_rows) scales_.resize(max_rows);
}

std::int8_t* QuantizedActivations::prepare(std::size_t rows, std::size_t cols) {
  // Sized at load in normal use; growing here is a safety net, not the plan (it allocates).
  reserve(rows, cols);
  rows_ = rows;
  cols_ = cols;
  stride_ = round_up(std::max<std::size_t>(cols, 1), kAlign);
  return reinterpret_cast<std::int8_t*>(storage_.get());
}

void QuantizedActivations::gather_rows(const QuantizedActivations& from,
                                       std::span<const std::size_t> rows) {
  std::int8_t* to = prepare(rows.size(), from.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::memcpy(to + r * stride_, from.row(rows[r]), stride_);
    scales_[r] = from.scale(rows[r]);
  }
}

// ---- dispatch ----

const Kernels& kernels_for(Isa isa) {
  assert(isa_supported(isa));
  switch (isa) {
    case Isa::kAvx512:
      return kAvx512Kernels;
    case Isa::kAvx2:
      return kAvx2Kernels;
    case Isa::kScalar:
      break;
  }
  return kScalarKernels;
}

const Kernels& kernels() {
  static const Kernels& active = kernels_for(active_isa());
  return active;
}

void linear(const PackedMatrix& w, std::span<const float> x, const float* bias, std::span<float> y,
            bool accumulate, QuantizedActivations& scratch, const Kernels& k) {
  assert(!w.empty() && x.size() % w.cols() == 0);
  const std::size_t m = x.size() / w.cols();
  assert(y.size() == m * w.rows());
  if (w.type() == WeightType::kF32) {
    k.gemm_f32(w, x.data(), m, bias, y.data(), accumulate);
  } else {
    k.quantize_rows(x.data(), m, w.cols(), scratch);
    k.gemm_int8(w, scratch, bias, y.data(), accumulate);
  }
}

void lstm_cell(std::span<const float> gates, std::span<const float> c_prev, std::span<float> c,
               std::span<float> h, const Kernels& k) {
  assert(gates.size() == 4 * c_prev.size() && c.size() == c_prev.size() && h.size() == c.size());
  k.lstm_cell(gates.data(), c_prev.data(), c_prev.size(), c.data(), h.data());
}

}  // namespace jointnlu::runtime
