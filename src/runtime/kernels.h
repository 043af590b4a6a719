// Numeric kernels of the student runtime: packed weights, fp32 and int8 GEMM / matrix-vector
// products and the fused LSTM cell, each with scalar, AVX2+FMA and AVX-512(+VNNI) paths chosen at
// run time.
//
// Conventions: matrices are row-major; a weight W is [N, K] as torch stores nn.Linear / LSTM
// weights
// ([out, in]), and every product computes Y[m, N] = X[m, K] . W^T (+ bias) (+ Y). Weights are
// packed once at model load (PackedMatrix), where shapes are validated and std::invalid_argument is
// thrown; the kernels themselves never allocate, throw or log — their preconditions are asserts.
//
// int8 scheme: weights symmetric per row, scale_r = max|W_r| / 127, q = round(W / scale_r) in
// [-127, 127]; activations quantised dynamically per row (per vector) on each call the same way.
// The dot product is exact in int32, so every path yields the same integers:
//   * AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes, so activations enter as u8 = q +
//   128
//     and the precomputed 128 * sum_k q_w(r, k) is subtracted afterwards.
//   * AVX2: vpmaddubsw (u8 x s8, pairs summed into *saturating* s16) with the sign trick
//     |x| x sign(w, x): |x|,|w| <= 127 bound each pair by 2*127*127 < 32767, so nothing saturates
//     (the +128 offset would, since 255*127*2 > 32767).
//   * scalar: plain int32 multiply-add.
// y = scale_x * scale_w[r] * dot, i.e. |y - W.x| <= sum_k (|x_k| * scale_w/2 + |W_rk| * scale_x/2 +
// scale_w*scale_x/4): the bound the tests check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runtime/cpu_features.h"

namespace jointnlu::runtime {

namespace detail {
struct AlignedFree {
  void operator()(void* p) const noexcept;
};
}  // namespace detail

// 64-byte aligned, zero-initialised heap storage (one cache line / one zmm register per 64 bytes).
using AlignedBytes = std::unique_ptr<std::byte[], detail::AlignedFree>;
AlignedBytes allocate_aligned(std::size_t bytes);

enum class WeightType { kF32, kInt8 };

// A weight matrix W[rows, cols] in the kernels' layout (see kernels_internal.h): panels of 16 rows
// interleaved column by column (fp32) or by groups of 4 columns (int8, + per-row scales and row
// sums). Footprint: raw weights rounded up to 16 rows (+ 8 bytes per row for int8), i.e. ~25.x% of
// fp32 for int8.
class PackedMatrix {
 public:
  PackedMatrix() = default;

  // w: row-major [rows, cols]; throws std::invalid_argument when w.size() != rows * cols, a
  // dimension is 0, or (int8) a value is not finite.
  static PackedMatrix pack_f32(std::span<const float> w, std::size_t rows, std::size_t cols);
  static PackedMatrix pack_int8(std::span<const float> w, std::size_t rows, std::size_t cols);
  // Already quantised weights (q row-major [rows, cols] in [-127, 127], one scale per row, as
  // quantize_weights makes them): what an exported int8 model holds. Throws std::invalid_argument
  // for mismatched sizes, a -128, or a negative / non-finite scale.
  static PackedMatrix from_int8(std::span<const std::int8_t> q, std::span<const float> scales,
                                std::size_t rows, std::size_t cols);
  static PackedMatrix pack(WeightType type, std::span<const float> w, std::size_t rows,
                           std::size_t cols);

  WeightType type() const { return type_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0; }
  // Bytes of heap storage held (weights + scales + row sums).
  std::size_t bytes() const { return bytes_; }
  std::size_t panels() const { return panels_; }
  std::size_t groups() const { return groups_; }  // int8: ceil(cols / 4)

  // The value the kernels multiply by: W itself for fp32, q * scale for int8 (slow; tests,
  // debugging).
  float dequantized(std::size_t r, std::size_t c) const;
  // int8 only: per-row scale (0 for an all-zero row).
  float scale(std::size_t r) const { return scales_[r]; }

  const float* f32_data() const { return reinterpret_cast<const float*>(storage_.get()); }
  const std::int8_t* int8_data() const {
    return reinterpret_cast<const std::int8_t*>(storage_.get());
  }
  const float* scales() const { return scales_; }
  const std::int32_t* row_sums() const { return row_sums_; }

 private:
  AlignedBytes storage_;
  const float* scales_ = nullptr;           // inside storage_ (int8)
  const std::int32_t* row_sums_ = nullptr;  // inside storage_ (int8)
  WeightType type_ = WeightType::kF32;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t panels_ = 0;
  std::size_t groups_ = 0;
  std::size_t bytes_ = 0;
};

// The int8 weight scheme above, row-major: q[rows * cols] and scales[rows]. pack_int8 is
// quantize_weights + from_int8, so a model quantised once at export and one quantised at load hold
// the same integers. Throws std::invalid_argument for mismatched sizes.
void quantize_weights(std::span<const float> w, std::size_t rows, std::size_t cols,
                      std::span<std::int8_t> q, std::span<float> scales);

// Dynamically quantised activations (one scale per row), the int8 kernels' input. Sized once at
// model load for the largest [rows, cols] it will hold, so quantising never allocates.
class QuantizedActivations {
 public:
  QuantizedActivations() = default;
  QuantizedActivations(std::size_t max_rows, std::size_t max_cols) { reserve(max_rows, max_cols); }

  // Allocates (only when larger than the current capacity).
  void reserve(std::size_t max_rows, std::size_t max_cols);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t stride() const { return stride_; }  // bytes between rows: cols rounded up to 64
  const std::int8_t* row(std::size_t r) const { return data() + r * stride_; }
  float scale(std::size_t r) const { return scales_[r]; }
  const std::int8_t* data() const { return reinterpret_cast<const std::int8_t*>(storage_.get()); }
  const float* scales() const { return scales_.data(); }

  // For the quantize kernels: sets the shape (must fit the capacity) and returns the storage.
  std::int8_t* prepare(std::size_t rows, std::size_t cols);
  // Row r of this becomes row rows[r] of `from` (values and scale): a reordering of rows already
  // quantised costs a copy of cols bytes a row, instead of quantising them again.
  void gather_rows(const QuantizedActivations& from, std::span<const std::size_t> rows);
  float* mutable_scales() { return scales_.data(); }

 private:
  AlignedBytes storage_;
  std::vector<float> scales_;
  std::size_t capacity_bytes_ = 0;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t stride_ = 0;
};

// One path's kernels. Raw pointers: the caller guarantees the sizes (x: m * w.cols(), y: m *
// w.rows(), bias: w.rows() or null).
struct Kernels {
  Isa isa;
  // y[m, N] = x[m, K] . W^T (+ bias) (+ y when accumulate). W must be fp32. m == 1 is the
  // matrix-vector product (its own register blocking: more independent rows in flight).
  void (*gemm_f32)(const PackedMatrix& w, const float* x, std::size_t m, const float* bias,
                   float* y, bool accumulate);
  // Quantises x[m, k] row by row into out (out must have capacity for [m, k]).
  void (*quantize_rows)(const float* x, std::size_t m, std::size_t k, QuantizedActivations& out);
  // y[x.rows(), N] = dequant(x) . dequant(W)^T (+ bias) (+ y). W must be int8, x.cols() ==
  // W.cols().
  void (*gemm_int8)(const PackedMatrix& w, const QuantizedActivations& x, const float* bias,
                    float* y, bool accumulate);
  // gates[4H] = pre-activations in torch.nn.LSTM order (i, f, g, o):
  //   c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g),  h = sigmoid(o) * tanh(c).
  // c may alias c_prev; h may alias neither gates nor c_prev.
  void (*lstm_cell)(const float* gates, const float* c_prev, std::size_t hidden, float* c,
                    float* h);
  // Reads bytes (a multiple of 256) from data (64-byte aligned) with the path's widest loads and
  // returns a checksum, so the reads cannot be elided. `bench` times it to learn the read bandwidth
  // the matrix kernels can get from wherever a buffer of that size sits (L1, L2 or memory).
  std::uint64_t (*read_bytes)(const std::byte* data, std::size_t bytes);
  // g[width] += the rows `ids` of table [*, width] (the product of 0/1 features with their weight
  // columns: a lexicon's input to the first layer). Rows are added in the order given.
  void (*add_rows_f32)(const float* table, const std::uint16_t* ids, std::size_t n,
                       std::size_t width, float* g);
  // The same for int8 rows with per-column scales: g[k] += float(exact integer sum of the rows'
  // k-th values) * scale[k].
  void (*add_rows_int8)(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                        std::size_t n, std::size_t width, float* g);
};

// The kernels of one path (which must be supported: see isa_supported()).
const Kernels& kernels_for(Isa isa);
// The kernels of active_isa().
const Kernels& kernels();

// Convenience wrappers on spans, dispatching on the weight type; int8 weights quantise x into
// scratch first. Shapes are asserted (debug builds) rather than thrown.
void linear(const PackedMatrix& w, std::span<const float> x, const float* bias, std::span<float> y,
            bool accumulate, QuantizedActivations& scratch, const Kernels& k = kernels());
void lstm_cell(std::span<const float> gates, std::span<const float> c_prev, std::span<float> c,
               std::span<float> h, const Kernels& k = kernels());

}  // namespace jointnlu::runtime
