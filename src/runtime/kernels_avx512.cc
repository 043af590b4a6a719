// AVX-512F/BW/VL + VNNI kernels. Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx2
// -mfma (CMakeLists.txt) and only called after cpu_features() reported those features. Includes
// nothing that defines inline functions or templates with external linkage (see
// kernels_internal.h). GCC 12's avx512fintrin.h initialises _mm512_undefined_*() vectors from
// themselves, which -Wmaybe-uninitialized reports at every inlined use (GCC bug 105593, fixed in
// GCC 13); through _mm512_reduce_add_epi64 the same pattern is reported as -Wuninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include "runtime/kernels_internal.h"

namespace jointnlu::runtime::detail {
namespace {

using std::size_t;

#define JOINTNLU_INLINE inline __attribute__((always_inline))

JOINTNLU_INLINE __mmask16 tail_mask(size_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1);
}

// y[n0 .. n0+count) = v (+ bias) (+ y): the same order of additions as the scalar path.
JOINTNLU_INLINE void store_out(__m512 v, float* y, size_t n0, size_t count, const float* bias,
                               bool accumulate) {
  const __mmask16 mask = tail_mask(count);
  if (bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + n0));
  if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, y + n0));
  _mm512_mask_storeu_ps(y + n0, mask, v);
}

// ---- fp32 ----

// A kM x (kP*16) block of Y: kM rows of X against kP panels. The panels are streamed once per block
// while the kM*kP accumulators stay in registers; each k costs kP loads + kM broadcasts for kM*kP
// FMAs. Software prefetch of the panels was tried and lost 10-40%: the hardware prefetchers already
// follow the sequential block streams.
//
// The panels are whole blocks of the layout (kernels_internal.h), p0 a multiple of kBlockPanels:
// kP = 8 is two full blocks, kP = 4 one, kP < 4 the last block, which has exactly kP panels. Within
// a block the kNb panels' units are adjacent, so every load is the block pointer + a constant.
template <int kP>
constexpr int kNb = kP < int(kBlockPanels) ? kP : int(kBlockPanels);

template <int kM, int kP>
JOINTNLU_INLINE void f32_tile(const F32View& w, size_t p0, const float* x, size_t t0,
                              const float* bias, float* y, bool accumulate) {
  static_assert(kP <= 2 * int(kBlockPanels) && (kP <= int(kBlockPanels) || kP % 4 == 0));
  constexpr int nb = kNb<kP>;
  const size_t k_dim = w.cols;
  const size_t block_stride = kBlockPanels * k_dim * kPanelRows;  // floats between full blocks
  const float* wp = w.data + p0 * k_dim * kPanelRows;
  const float* xt = x + t0 * k_dim;
  __m512 acc[kM][kP];
  for (int i = 0; i < kM; ++i)
    for (int p = 0; p < kP; ++p) acc[i][p] = _mm512_setzero_ps();
  for (size_t k = 0; k < k_dim; ++k) {
    __m512 wv[kP];
    for (int p = 0; p < kP; ++p)
      wv[p] = _mm512_load_ps(wp + (p / nb) * block_stride + (k * nb + p % nb) * kPanelRows);
    for (int i = 0; i < kM; ++i) {
      const __m512 xb = _mm512_set1_ps(xt[i * k_dim + k]);
      for (int p = 0; p < kP; ++p) acc[i][p] = _mm512_fmadd_ps(xb, wv[p], acc[i][p]);
    }
  }
  for (int i = 0; i < kM; ++i) {
    float* yt = y + (t0 + i) * w.rows;
    for (int p = 0; p < kP; ++p) {
      const size_t n0 = (p0 + p) * kPanelRows;
      store_out(acc[i][p], yt, n0, w.rows - n0, bias, accumulate);
    }
  }
}

// A compile-time count (of rows or of panels) for the tile functions below.
template <int kN>
struct Count {
  static constexpr int value = kN;
};

// f(Count<r>{}, at) for a run-time remainder r in 1..3: the leftover of a loop in steps of 4.
template <typename F>
JOINTNLU_INLINE void with_remainder(size_t r, size_t at, F&& f) {
  switch (r) {
    case 3:
      f(Count<3>{}, at);
      break;
    case 2:
      f(Count<2>{}, at);
      break;
    case 1:
      f(Count<1>{}, at);
      break;
    default:
      break;
  }
}

// Calls tile(Count<kM>{}, t0) for the 4-row tiles of m rows, then once for the 1-3 leftover rows.
// Used per block of panels (see gemm_f32_avx512): the block of W is fetched from L2 once and
// re-read from L1 by every row tile.
template <typename Tile>
JOINTNLU_INLINE void for_row_tiles(size_t m, Tile&& tile) {
  size_t t = 0;
  for (; t + 4 <= m; t += 4) tile(Count<4>{}, t);
  with_remainder(m - t, t, tile);
}

// Y for every row of X against panels [p0, p0 + kP).
template <int kP>
JOINTNLU_INLINE void f32_block(const F32View& w, size_t p0, const float* x, size_t m,
                               const float* bias, float* y, bool accumulate) {
  for_row_tiles(m, [&](auto rows, size_t t) {
    f32_tile<decltype(rows)::value, kP>(w, p0, x, t, bias, y, accumulate);
  });
}

// ---- int8 (VNNI) ----

// x's group of 4 activations, already offset to unsigned (see gemm_int8_avx512), in every lane: a
// pure load (vpbroadcastd from memory), no execution port.
JOINTNLU_INLINE __m512i broadcast_group_u8(const std::int8_t* q) {
  std::int32_t word;
  __builtin_memcpy(&word, q, sizeof(word));
  return _mm512_set1_epi32(word);
}

// acc + dot products of u8 groups of a with s8 groups of b (vpdpbusd). Not the intrinsic: GCC 12
// allocates its accumulator from zmm0-15 only, so with the 16 accumulators of a 4 x 4 tile it
// shuffled every accumulator through a copy each step (two extra vector moves per vpdpbusd, which
// tripled the time of a tile on Ice Lake, where those moves take an execution port). "v" lets
// the register allocator use all 32 registers; "m" lets the weights come straight from memory.
JOINTNLU_INLINE __m512i dpbusd(__m512i acc, __m512i a_u8, __m512i b_s8) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a_u8), "vm"(b_s8));
  return acc;
}

// As f32_tile (same block rules), for int8 weights.
template <int kM, int kP>
JOINTNLU_INLINE void int8_tile(const Int8View& w, size_t p0, const QuantView& x, size_t t0,
                               const float* bias, float* y, bool accumulate) {
  static_assert(kP <= 2 * int(kBlockPanels) && (kP <= int(kBlockPanels) || kP % 4 == 0));
  constexpr int nb = kNb<kP>;
  constexpr size_t kUnit = kPanelRows * kInt8Group;  // 64 bytes
  const size_t block_stride = kBlockPanels * w.groups * kUnit;
  const std::int8_t* wp = w.data + p0 * w.groups * kUnit;
  __m512i acc[kM][kP];
  for (int i = 0; i < kM; ++i)
    for (int p = 0; p < kP; ++p) acc[i][p] = _mm512_setzero_si512();
  for (size_t g = 0; g < w.groups; ++g) {
    __m512i wv[kP];
    for (int p = 0; p < kP; ++p)
      wv[p] = _mm512_load_si512(wp + (p / nb) * block_stride + (g * nb + p % nb) * kUnit);
    for (int i = 0; i < kM; ++i) {
      const __m512i xb = broadcast_group_u8(x.data + (t0 + i) * x.stride + g * kInt8Group);
      for (int p = 0; p < kP; ++p) acc[i][p] = dpbusd(acc[i][p], xb, wv[p]);
    }
  }
  for (int p = 0; p < kP; ++p) {
    const size_t n0 = (p0 + p) * kPanelRows;
    // Undo the +128 activation offset: sum (q_x + 128) q_w = dot + 128 * sum q_w.
    const __m512i correction = _mm512_slli_epi32(_mm512_load_si512(w.row_sums + n0), 7);
    const __m512 w_scale = _mm512_load_ps(w.scales + n0);
    for (int i = 0; i < kM; ++i) {
      const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(x.scales[t0 + i]), w_scale);
      const __m512 dot =
          _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][p], correction)), scale);
      store_out(dot, y + (t0 + i) * w.rows, n0, w.rows - n0, bias, accumulate);
    }
  }
}

// As f32_block, for int8 weights.
template <int kP>
JOINTNLU_INLINE void int8_block(const Int8View& w, size_t p0, const QuantView& x, const float* bias,
                                float* y, bool accumulate) {
  for_row_tiles(x.rows, [&](auto rows, size_t t) {
    int8_tile<decltype(rows)::value, kP>(w, p0, x, t, bias, y, accumulate);
  });
}

// ---- transcendental functions (Cephes single-precision polynomials, ~1-2 ulp) ----

// e^(sign * x) for sign = +1 or -1 and x in [-88, 88] (callers clamp: beyond, the reduction below
// loses its precision and the sigmoid's reciprocal of an infinity would give NaN). n = round(x
// log2 e) by the 1.5 * 2^23 trick (one FMA and one subtraction; vrndscaleps is two micro-ops on
// the same port as the FMAs), and the sign folded into that FMA and the reduction, so sigmoid needs
// no negation: the whole LSTM cell is ~12% faster, with bit-identical results.
template <int kSign>
JOINTNLU_INLINE __m512 exp_ps(__m512 x) {
  const __m512 magic = _mm512_set1_ps(12582912.0f);  // 1.5 * 2^23: its float ulp is 1
  const __m512 n =
      _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(kSign * 1.44269504088896341f), magic), magic);
  // r = sign x - n ln2 in two parts (Cody-Waite) so the reduction is exact enough.
  __m512 r = kSign > 0 ? _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x)
                       : _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

// 1 / d for d >= 1: rcp14 (relative error < 2^-14) refined by one Newton step (error squared,
// below float rounding). vdivps costs several times more and the LSTM cell needs five per lane.
JOINTNLU_INLINE __m512 reciprocal_ps(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  // r' = r (2 - d r) = r + r (1 - d r)
  return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}

JOINTNLU_INLINE __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  // e^-x with x in [-88, 87.3] (e^-87.3 ~ 1.2e-38: 1 + it is 1).
  const __m512 clamped =
      _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-88.0f)), _mm512_set1_ps(87.3f));
  return reciprocal_ps(_mm512_add_ps(one, exp_ps<-1>(clamped)));
}

JOINTNLU_INLINE __m512 tanh_ps(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  // |x| < 0.625: odd polynomial (1 - 2/(e^2x + 1) would cancel catastrophically near 0).
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  // |x| >= 0.625: 1 - 2 / (e^{2|x|} + 1), |x| clamped at 9 where tanh rounds to 1.
  const __m512 clamped = _mm512_min_ps(ax, _mm512_set1_ps(9.0f));
  const __m512 e = exp_ps<1>(_mm512_add_ps(clamped, clamped));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 large_abs =
      _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), reciprocal_ps(_mm512_add_ps(e, one)), one);
  // Copy the sign of x onto the large-|x| result.
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN));
  const __m512 large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(large_abs), sign));
  const __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, large, small);
}

// Calls tile(Count<kP>{}, p) over all panels in whole blocks: pairs of full blocks while they last
// (kP = 8), then full blocks (4), then the partial last block.
template <bool kPairs, typename Tile>
JOINTNLU_INLINE void for_panel_blocks(size_t panels, Tile&& tile) {
  size_t p = 0;
  if constexpr (kPairs)
    for (; p + 8 <= panels; p += 8) tile(Count<8>{}, p);
  for (; p + 4 <= panels; p += 4) tile(Count<4>{}, p);
  with_remainder(panels - p, p, tile);
}

}  // namespace

void gemm_f32_avx512(const F32View& w, const float* x, size_t m, const float* bias, float* y,
                     bool accumulate) {
  if (m == 1) {
    // Matrix-vector: one row of X, so independence has to come from the panels: 8 accumulators
    // (two blocks) cover the FMA latency, and the panel streams are all the reuse there is (each
    // weight used once).
    for_panel_blocks<true>(w.panels, [&](auto panels, size_t p) {
      f32_tile<1, decltype(panels)::value>(w, p, x, 0, bias, y, accumulate);
    });
    return;
  }
  // Blocks of 4 panels outer, 4-row tiles of X inner (4 x 4 = 16 accumulators: 8 loads per 16
  // FMAs). With rows outer, W would stream from L2 once per 4 rows of X (3x for an 11-token
  // utterance); a block (64 rows of W, 32 KB at K = 128) stays in L1 across the row tiles instead.
  for_panel_blocks<false>(w.panels, [&](auto panels, size_t p) {
    f32_block<decltype(panels)::value>(w, p, x, m, bias, y, accumulate);
  });
}

void quantize_rows_avx512(const float* x, size_t m, size_t k, std::int8_t* q, size_t stride,
                          float* scales) {
  for (size_t t = 0; t < m; ++t) {
    const float* xt = x + t * k;
    __m512 vmax = _mm512_setzero_ps();
    for (size_t i = 0; i < k; i += 16) {
      const __m512 v = _mm512_maskz_loadu_ps(tail_mask(k - i), xt + i);
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(v));
    }
    const float amax = _mm512_reduce_max_ps(vmax);
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scales[t] = amax / 127.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127);
    const __m512i hi = _mm512_set1_epi32(127);
    std::int8_t* qt = q + t * stride;
    // Runs to the padded stride: lanes past k load as 0 and store 0, which the int8 GEMM relies on.
    for (size_t i = 0; i < stride; i += 16) {
      const __mmask16 mask = i < k ? tail_mask(k - i) : __mmask16(0);
      const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, xt + i), vinv);
      // Round half to even under the default MXCSR, like std::nearbyint in the scalar path.
      __m512i qi = _mm512_cvtps_epi32(v);
      qi = _mm512_min_epi32(_mm512_max_epi32(qi, lo), hi);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(qt + i), _mm512_cvtepi32_epi8(qi));
    }
  }
}

void gemm_int8_avx512(const Int8View& w, const QuantView& x_signed, const float* bias, float* y,
                      bool accumulate, std::int8_t* scratch) {
  // vpdpbusd multiplies unsigned by signed bytes, so the activations go in as q + 128 (= q ^ 0x80
  // per byte) and the tiles take 128 * sum(w) off after. Offset here, once per row (1/N of the
  // products' work), the broadcasts in the tiles are pure loads: offsetting at each broadcast (a
  // scalar xor and a broadcast from a general register) took execution ports from the vpdpbusd,
  // and a 32 x 256 x 256 product ran 30% slower with it.
  const size_t bytes = x_signed.rows * x_signed.stride;  // stride: a multiple of 64
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (size_t i = 0; i < bytes; i += 64)
    _mm512_storeu_si512(scratch + i, _mm512_xor_si512(_mm512_loadu_si512(x_signed.data + i), flip));
  const QuantView x{scratch, x_signed.scales, x_signed.rows, x_signed.stride};
  if (x.rows == 1) {
    for_panel_blocks<true>(w.panels, [&](auto panels, size_t p) {
      int8_tile<1, decltype(panels)::value>(w, p, x, 0, bias, y, accumulate);
    });
    return;
  }
  // Panel blocks outer, row tiles inner, as for fp32.
  for_panel_blocks<false>(w.panels, [&](auto panels, size_t p) {
    int8_block<decltype(panels)::value>(w, p, x, bias, y, accumulate);
  });
}

// kU vectors of 16 lanes per iteration, evaluated side by side: one lane group's chain (exp,
// reciprocal, then tanh of the new c) is ~40 dependent operations, so a loop over single vectors
// ran at about half the core's throughput, waiting on latency.
template <int kU>
JOINTNLU_INLINE void lstm_cell_group(const float* gates, const float* c_prev, size_t hidden,
                                     size_t j0, float* c, float* h) {
  __m512 cj[kU], o[kU];
  __mmask16 mask[kU];
  for (int u = 0; u < kU; ++u) {
    const size_t j = j0 + u * 16;
    mask[u] = tail_mask(hidden - j);
    const __m512 i = sigmoid_ps(_mm512_maskz_loadu_ps(mask[u], gates + j));
    const __m512 f = sigmoid_ps(_mm512_maskz_loadu_ps(mask[u], gates + hidden + j));
    const __m512 g = tanh_ps(_mm512_maskz_loadu_ps(mask[u], gates + 2 * hidden + j));
    o[u] = sigmoid_ps(_mm512_maskz_loadu_ps(mask[u], gates + 3 * hidden + j));
    cj[u] = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(mask[u], c_prev + j), _mm512_mul_ps(i, g));
  }
  for (int u = 0; u < kU; ++u) {
    const size_t j = j0 + u * 16;
    _mm512_mask_storeu_ps(c + j, mask[u], cj[u]);
    _mm512_mask_storeu_ps(h + j, mask[u], _mm512_mul_ps(o[u], tanh_ps(cj[u])));
  }
}

void lstm_cell_avx512(const float* gates, const float* c_prev, size_t hidden, float* c, float* h) {
  size_t j = 0;
  // Four at a time measured best on Ice Lake (two: 20% slower, eight: spills).
  for (; j + 64 <= hidden; j += 64) lstm_cell_group<4>(gates, c_prev, hidden, j, c, h);
  for (; j < hidden; j += 16) lstm_cell_group<1>(gates, c_prev, hidden, j, c, h);
}

std::uint64_t read_bytes_avx512(const std::byte* data, size_t bytes) {
  // Four independent accumulators: the adds never limit the loads.
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t i = 0; i < bytes; i += 256) {
    a = _mm512_add_epi64(a, _mm512_load_si512(data + i));
    b = _mm512_add_epi64(b, _mm512_load_si512(data + i + 64));
    c = _mm512_add_epi64(c, _mm512_load_si512(data + i + 128));
    d = _mm512_add_epi64(d, _mm512_load_si512(data + i + 192));
  }
  return static_cast<std::uint64_t>(
      _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d))));
}

void add_rows_f32_avx512(const float* table, const std::uint16_t* ids, size_t n, size_t width,
                         float* g) {
  size_t j = 0;
  // 64 columns of g stay in registers while every row is added, so g is read and written once.
  for (; j + 64 <= width; j += 64) {
    __m512 a0 = _mm512_loadu_ps(g + j), a1 = _mm512_loadu_ps(g + j + 16);
    __m512 a2 = _mm512_loadu_ps(g + j + 32), a3 = _mm512_loadu_ps(g + j + 48);
    for (size_t i = 0; i < n; ++i) {
      const float* row = table + size_t{ids[i]} * width + j;
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(row));
      a1 = _mm512_add_ps(a1, _mm512_loadu_ps(row + 16));
      a2 = _mm512_add_ps(a2, _mm512_loadu_ps(row + 32));
      a3 = _mm512_add_ps(a3, _mm512_loadu_ps(row + 48));
    }
    _mm512_storeu_ps(g + j, a0);
    _mm512_storeu_ps(g + j + 16, a1);
    _mm512_storeu_ps(g + j + 32, a2);
    _mm512_storeu_ps(g + j + 48, a3);
  }
  for (; j < width; j += 16) {
    const __mmask16 mask = tail_mask(width - j);
    __m512 a = _mm512_maskz_loadu_ps(mask, g + j);
    for (size_t i = 0; i < n; ++i)
      a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(mask, table + size_t{ids[i]} * width + j));
    _mm512_mask_storeu_ps(g + j, mask, a);
  }
}

namespace {

// g[j .. j+16) (masked) += float(sum) * scale.
JOINTNLU_INLINE void add_scaled(__m512i sum, const float* scale, float* g, size_t j,
                                __mmask16 mask) {
  const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_maskz_loadu_ps(mask, scale + j));
  _mm512_mask_storeu_ps(g + j, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, g + j), v));
}

}  // namespace

void add_rows_int8_avx512(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                          size_t n, size_t width, float* g) {
  size_t j = 0;
  // 64 columns at a time: two vectors of 32 16-bit sums, widened into four of 32-bit sums after
  // every kMaxInt16Rows rows (one conversion per 32 values, where 32-bit sums would need two).
  for (; j + 64 <= width; j += 64) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t first = 0; first < n; first += kMaxInt16Rows) {
      const size_t last = first + kMaxInt16Rows < n ? first + kMaxInt16Rows : n;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0;
      for (size_t i = first; i < last; ++i) {
        const std::int8_t* row = table + size_t{ids[i]} * width + j;
        a0 = _mm512_add_epi16(a0, _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)row)));
        a1 = _mm512_add_epi16(a1,
                              _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)(row + 32))));
      }
      s0 = _mm512_add_epi32(s0, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(a0)));
      s1 = _mm512_add_epi32(s1, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(a0, 1)));
      s2 = _mm512_add_epi32(s2, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(a1)));
      s3 = _mm512_add_epi32(s3, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(a1, 1)));
    }
    add_scaled(s0, scale, g, j, 0xFFFF);
    add_scaled(s1, scale, g, j + 16, 0xFFFF);
    add_scaled(s2, scale, g, j + 32, 0xFFFF);
    add_scaled(s3, scale, g, j + 48, 0xFFFF);
  }
  // The last columns, 16 at a time in 32-bit sums.
  for (; j < width; j += 16) {
    const __mmask16 mask = tail_mask(width - j);
    __m512i s = _mm512_setzero_si512();
    for (size_t i = 0; i < n; ++i)
      s = _mm512_add_epi32(
          s, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, table + size_t{ids[i]} * width + j)));
    add_scaled(s, scale, g, j, mask);
  }
}

}  // namespace jointnlu::runtime::detail
