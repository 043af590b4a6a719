// Private interface between kernels.cc (baseline x86-64) and the per-ISA translation units
// (kernels_avx2.cc, kernels_avx512.cc, compiled with -mavx2/-mavx512* flags).
//
// Only plain structs and function declarations cross this boundary, and the ISA files include
// nothing but <immintrin.h> and fixed-width integer headers: any inline function or template
// instantiated in a TU compiled with -mavx512f becomes a COMDAT symbol that the linker may pick for
// the whole program, which would then crash with SIGILL on a CPU without AVX-512.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jointnlu::runtime::detail {

// Every packed matrix is cut into panels of kPanelRows consecutive rows (the last one zero-padded).
// fp32: element (p*16 + r, k) sits at data[unit_index(p, k, cols, panels)*16 + r] (see below), so
// one 64-byte vector holds column k of 16 rows: the matrix-vector product becomes vector FMAs with
// a broadcast of x[k] and needs no horizontal sums, and the same panels feed the GEMM micro-kernel
// (rows of X broadcast, panels loaded).
inline constexpr std::size_t kPanelRows = 16;
// int8: columns are grouped by 4 (zero-padded to cols4*4), and q(p*16 + r, 4*g + j) sits at
// data[(unit_index(p, g, cols4, panels)*16 + r)*4 + j]: one 64-byte vector is exactly the operand
// of vpdpbusd (16 lanes x 4 consecutive columns) against a broadcast 32-bit group of 4 activations.
inline constexpr std::size_t kInt8Group = 4;
// Panels are stored in blocks of kBlockPanels, interleaved by column (fp32) or group (int8): block
// b holds its nb (4, or fewer in the last block) panels' 64-byte units in the order (unit 0 of
// panel 0 .. panel nb-1, unit 1 of panel 0, ...). A micro-kernel over a block then walks ONE
// pointer with constant offsets; with one pointer per panel (the plain layout) GCC ran out of
// general registers for the 8-panel matrix-vector tile and spilled the pointers through vector
// registers, which on Intel cores competes with vpdpbusd for the same ports (4x slower there).
inline constexpr std::size_t kBlockPanels = 4;

// Index in 64-byte units of unit u (a column for fp32, a group of 4 columns for int8) of panel p,
// for a matrix of `panels` panels and `units` units per panel. Static: an inline function with
// external linkage would be a COMDAT symbol (see above).
// Panels in the block holding panel p: kBlockPanels, or fewer in the last block. Consecutive units
// of one panel are that many 64-byte units apart.
static inline std::size_t block_width(std::size_t p, std::size_t panels) {
  const std::size_t left = panels - p / kBlockPanels * kBlockPanels;
  return left < kBlockPanels ? left : kBlockPanels;
}

static inline std::size_t unit_index(std::size_t p, std::size_t u, std::size_t units,
                                     std::size_t panels) {
  const std::size_t first = p / kBlockPanels * kBlockPanels;
  return first * units + u * block_width(p, panels) + (p - first);
}

struct F32View {
  const float* data;
  std::size_t rows;  // logical rows (N)
  std::size_t cols;  // K
  std::size_t panels;
};

struct Int8View {
  const std::int8_t* data;
  const float* scales;  // [panels*16], per-row dequantisation scale (0 for padding rows)
  const std::int32_t*
      row_sums;  // [panels*16], sum_k q(r, k): the +128 activation offset correction
  std::size_t rows;
  std::size_t cols;
  std::size_t groups;  // cols4 = ceil(cols / 4)
  std::size_t panels;
};

// Activations quantised per row: q in [-127, 127], x ~= q * scale; rows are stride bytes apart and
// zero padded to groups*4 columns.
struct QuantView {
  const std::int8_t* data;
  const float* scales;
  std::size_t rows;
  std::size_t stride;
};

// y[m, N] = x[m, K] . W^T (+ bias[N]) (+ y if accumulate).
void gemm_f32_avx2(const F32View& w, const float* x, std::size_t m, const float* bias, float* y,
                   bool accumulate);
void gemm_f32_avx512(const F32View& w, const float* x, std::size_t m, const float* bias, float* y,
                     bool accumulate);

// Quantises m rows of k floats into q (stride bytes per row, padded with zeros) and scales[m].
void quantize_rows_avx2(const float* x, std::size_t m, std::size_t k, std::int8_t* q,
                        std::size_t stride, float* scales);
void quantize_rows_avx512(const float* x, std::size_t m, std::size_t k, std::int8_t* q,
                          std::size_t stride, float* scales);

void gemm_int8_avx2(const Int8View& w, const QuantView& x, const float* bias, float* y,
                    bool accumulate);
// scratch: x.rows * x.stride bytes, for the activations offset to unsigned.
void gemm_int8_avx512(const Int8View& w, const QuantView& x, const float* bias, float* y,
                      bool accumulate, std::int8_t* scratch);

void lstm_cell_avx2(const float* gates, const float* c_prev, std::size_t hidden, float* c,
                    float* h);
void lstm_cell_avx512(const float* gates, const float* c_prev, std::size_t hidden, float* c,
                      float* h);

std::uint64_t read_bytes_avx2(const std::byte* data, std::size_t bytes);
// g[width] += the rows `ids` (n of them) of table [*, width], added in the order given.
void add_rows_f32_avx2(const float* table, const std::uint16_t* ids, std::size_t n,
                       std::size_t width, float* g);
void add_rows_f32_avx512(const float* table, const std::uint16_t* ids, std::size_t n,
                         std::size_t width, float* g);
// g[k] += float(the exact integer sum of the rows' k-th values) * scale[k], for int8 rows.
// Sums are taken in 16-bit lanes kMaxInt16Rows rows at a time (exact: 258 * 127 < 2^15) and
// widened to 32 bits between such chunks.
inline constexpr std::size_t kMaxInt16Rows = 258;
void add_rows_int8_avx2(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                        std::size_t n, std::size_t width, float* g);
void add_rows_int8_avx512(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                          std::size_t n, std::size_t width, float* g);
std::uint64_t read_bytes_avx512(const std::byte* data, std::size_t bytes);

}  // namespace jointnlu::runtime::detail
