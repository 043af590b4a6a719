// AVX2 + FMA kernels. Compiled with -mavx2 -mfma (CMakeLists.txt) and only called after
// cpu_features() reported both. Same layouts as the AVX-512 path: a 16-row panel is two ymm
// vectors. Includes nothing that defines inline functions or templates with external linkage (see
// kernels_internal.h).
#include <immintrin.h>

#include "runtime/kernels_internal.h"

namespace jointnlu::runtime::detail {
namespace {

using std::size_t;

#define JOINTNLU_INLINE inline __attribute__((always_inline))

// Lane mask for the first `count` (< 8) of 8 floats, for vmaskmovps.
JOINTNLU_INLINE __m256i tail_mask8(size_t count) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), iota);
}

// y[n0 .. n0 + min(count, 8)) = v (+ bias) (+ y), in the scalar path's order.
JOINTNLU_INLINE void store_out8(__m256 v, float* y, size_t n0, size_t count, const float* bias,
                                bool accumulate) {
  if (count >= 8) {
    if (bias != nullptr) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + n0));
    if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(y + n0));
    _mm256_storeu_ps(y + n0, v);
    return;
  }
  const __m256i mask = tail_mask8(count);
  if (bias != nullptr) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + n0, mask));
  if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(y + n0, mask));
  _mm256_maskstore_ps(y + n0, mask, v);
}

// A 16-row panel's output: two halves of 8, the second possibly partial or absent.
JOINTNLU_INLINE void store_panel(__m256 lo, __m256 hi, float* y, size_t n0, size_t count,
                                 const float* bias, bool accumulate) {
  store_out8(lo, y, n0, count, bias, accumulate);
  if (count > 8) store_out8(hi, y, n0 + 8, count - 8, bias, accumulate);
}

// ---- fp32 ----

template <int kM, int kP>
JOINTNLU_INLINE void f32_tile(const F32View& w, size_t p0, const float* x, size_t t0,
                              const float* bias, float* y, bool accumulate) {
  const size_t k_dim = w.cols;
  // Each panel's column 0 and the distance between its columns (blocked layout: see
  // kernels_internal.h). This path keeps one pointer per panel; it has 16 vector registers only,
  // so its tiles are small enough for that.
  const float* wp[kP];
  size_t step[kP];
  for (int p = 0; p < kP; ++p) {
    wp[p] = w.data + unit_index(p0 + p, 0, k_dim, w.panels) * kPanelRows;
    step[p] = block_width(p0 + p, w.panels) * kPanelRows;
  }
  const float* xt = x + t0 * k_dim;
  __m256 acc[kM][kP][2];
  for (int i = 0; i < kM; ++i)
    for (int p = 0; p < kP; ++p) acc[i][p][0] = acc[i][p][1] = _mm256_setzero_ps();
  for (size_t k = 0; k < k_dim; ++k) {
    __m256 wv[kP][2];
    for (int p = 0; p < kP; ++p) {
      wv[p][0] = _mm256_load_ps(wp[p] + k * step[p]);
      wv[p][1] = _mm256_load_ps(wp[p] + k * step[p] + 8);
    }
    for (int i = 0; i < kM; ++i) {
      const __m256 xb = _mm256_broadcast_ss(xt + i * k_dim + k);
      for (int p = 0; p < kP; ++p) {
        acc[i][p][0] = _mm256_fmadd_ps(xb, wv[p][0], acc[i][p][0]);
        acc[i][p][1] = _mm256_fmadd_ps(xb, wv[p][1], acc[i][p][1]);
      }
    }
  }
  for (int i = 0; i < kM; ++i) {
    float* yt = y + (t0 + i) * w.rows;
    for (int p = 0; p < kP; ++p) {
      const size_t n0 = (p0 + p) * kPanelRows;
      store_panel(acc[i][p][0], acc[i][p][1], yt, n0, w.rows - n0, bias, accumulate);
    }
  }
}

template <int kM, int kP>
JOINTNLU_INLINE void f32_rows(const F32View& w, const float* x, size_t t0, const float* bias,
                              float* y, bool accumulate) {
  size_t p = 0;
  for (; p + kP <= w.panels; p += kP) f32_tile<kM, kP>(w, p, x, t0, bias, y, accumulate);
  for (; p < w.panels; ++p) f32_tile<kM, 1>(w, p, x, t0, bias, y, accumulate);
}

// ---- int8: vpmaddubsw with the sign trick ----
//
// maddubs(|x|, sign(w, x)) = |x| * (w * sgn x) = x * w per byte pair, summed into s16 without
// saturation because |x|, |w| <= 127; vpmaddwd with ones then widens the pairs into int32 lanes,
// each lane = one row's 4-column group, as in the VNNI layout.

template <int kM, int kP>
JOINTNLU_INLINE void int8_tile(const Int8View& w, size_t p0, const QuantView& x, size_t t0,
                               const float* bias, float* y, bool accumulate) {
  const std::int8_t* wp[kP];
  size_t step[kP];
  for (int p = 0; p < kP; ++p) {
    wp[p] = w.data + unit_index(p0 + p, 0, w.groups, w.panels) * 64;
    step[p] = block_width(p0 + p, w.panels) * 64;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[kM][kP][2];
  for (int i = 0; i < kM; ++i)
    for (int p = 0; p < kP; ++p) acc[i][p][0] = acc[i][p][1] = _mm256_setzero_si256();
  for (size_t g = 0; g < w.groups; ++g) {
    __m256i wv[kP][2];
    for (int p = 0; p < kP; ++p) {
      const std::int8_t* src = wp[p] + g * step[p];
      wv[p][0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(src));
      wv[p][1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(src + 32));
    }
    for (int i = 0; i < kM; ++i) {
      std::int32_t word;
      __builtin_memcpy(&word, x.data + (t0 + i) * x.stride + g * kInt8Group, sizeof(word));
      const __m256i xs = _mm256_set1_epi32(word);
      const __m256i xa = _mm256_abs_epi8(xs);
      for (int p = 0; p < kP; ++p) {
        for (int h = 0; h < 2; ++h) {
          const __m256i pairs = _mm256_maddubs_epi16(xa, _mm256_sign_epi8(wv[p][h], xs));
          acc[i][p][h] = _mm256_add_epi32(acc[i][p][h], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
  }
  for (int p = 0; p < kP; ++p) {
    const size_t n0 = (p0 + p) * kPanelRows;
    const __m256 w_scale_lo = _mm256_load_ps(w.scales + n0);
    const __m256 w_scale_hi = _mm256_load_ps(w.scales + n0 + 8);
    for (int i = 0; i < kM; ++i) {
      const __m256 sx = _mm256_set1_ps(x.scales[t0 + i]);
      const __m256 lo =
          _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i][p][0]), _mm256_mul_ps(sx, w_scale_lo));
      const __m256 hi =
          _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i][p][1]), _mm256_mul_ps(sx, w_scale_hi));
      store_panel(lo, hi, y + (t0 + i) * w.rows, n0, w.rows - n0, bias, accumulate);
    }
  }
}

template <int kM, int kP>
JOINTNLU_INLINE void int8_rows(const Int8View& w, const QuantView& x, size_t t0, const float* bias,
                               float* y, bool accumulate) {
  size_t p = 0;
  for (; p + kP <= w.panels; p += kP) int8_tile<kM, kP>(w, p, x, t0, bias, y, accumulate);
  for (; p < w.panels; ++p) int8_tile<kM, 1>(w, p, x, t0, bias, y, accumulate);
}

// ---- transcendental functions: the AVX-512 file's Cephes polynomials on 8 lanes ----

JOINTNLU_INLINE __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  // 2^n by building the exponent field; n is in [-126, 127] thanks to the clamp.
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

JOINTNLU_INLINE __m256 sigmoid_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

JOINTNLU_INLINE __m256 tanh_ps(__m256 x) {
  const __m256 sign_bit = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 ax = _mm256_andnot_ps(sign_bit, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 ac = _mm256_min_ps(ax, _mm256_set1_ps(9.0f));
  const __m256 e = exp_ps(_mm256_add_ps(ac, ac));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 large_abs =
      _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 large = _mm256_or_ps(large_abs, _mm256_and_ps(x, sign_bit));
  const __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm256_blendv_ps(large, small, is_small);
}

JOINTNLU_INLINE void lstm_cell8(const float* gi, const float* gf, const float* gg, const float* go,
                                const float* cp, float* c, float* h) {
  const __m256 i = sigmoid_ps(_mm256_loadu_ps(gi));
  const __m256 f = sigmoid_ps(_mm256_loadu_ps(gf));
  const __m256 g = tanh_ps(_mm256_loadu_ps(gg));
  const __m256 o = sigmoid_ps(_mm256_loadu_ps(go));
  const __m256 cj = _mm256_fmadd_ps(f, _mm256_loadu_ps(cp), _mm256_mul_ps(i, g));
  _mm256_storeu_ps(c, cj);
  _mm256_storeu_ps(h, _mm256_mul_ps(o, tanh_ps(cj)));
}

}  // namespace

void gemm_f32_avx2(const F32View& w, const float* x, size_t m, const float* bias, float* y,
                   bool accumulate) {
  if (m == 1) {
    // 4 panels = 8 ymm accumulators (16 registers in all): enough to hide the FMA latency.
    f32_rows<1, 4>(w, x, 0, bias, y, accumulate);
    return;
  }
  size_t t = 0;
  for (; t + 4 <= m; t += 4) f32_rows<4, 1>(w, x, t, bias, y, accumulate);
  switch (m - t) {
    case 3:
      f32_rows<3, 1>(w, x, t, bias, y, accumulate);
      break;
    case 2:
      f32_rows<2, 2>(w, x, t, bias, y, accumulate);
      break;
    case 1:
      f32_rows<1, 4>(w, x, t, bias, y, accumulate);
      break;
    default:
      break;
  }
}

void quantize_rows_avx2(const float* x, size_t m, size_t k, std::int8_t* q, size_t stride,
                        float* scales) {
  const __m256 sign_bit = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  for (size_t t = 0; t < m; ++t) {
    const float* xt = x + t * k;
    __m256 vmax = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= k; i += 8)
      vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(xt + i)));
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float amax = 0.0f;
    for (float v : lanes) amax = v > amax ? v : amax;
    for (; i < k; ++i) {
      const float v = __builtin_fabsf(xt[i]);
      amax = v > amax ? v : amax;
    }
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scales[t] = amax / 127.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i lo = _mm256_set1_epi32(-127);
    const __m256i hi = _mm256_set1_epi32(127);
    std::int8_t* qt = q + t * stride;
    // Runs to the padded stride (a multiple of 64): lanes past k are 0.
    for (size_t j = 0; j < stride; j += 8) {
      __m256 v;
      if (j + 8 <= k) {
        v = _mm256_loadu_ps(xt + j);
      } else {
        v = j < k ? _mm256_maskload_ps(xt + j, tail_mask8(k - j)) : _mm256_setzero_ps();
      }
      __m256i qi = _mm256_cvtps_epi32(_mm256_mul_ps(v, vinv));
      qi = _mm256_min_epi32(_mm256_max_epi32(qi, lo), hi);
      // 8 int32 -> 8 int8 (values fit, so the saturating packs are exact).
      const __m128i w16 =
          _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
      const __m128i w8 = _mm_packs_epi16(w16, w16);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(qt + j), w8);
    }
  }
}

void gemm_int8_avx2(const Int8View& w, const QuantView& x, const float* bias, float* y,
                    bool accumulate) {
  const size_t m = x.rows;
  if (m == 1) {
    int8_rows<1, 2>(w, x, 0, bias, y, accumulate);
    return;
  }
  size_t t = 0;
  for (; t + 4 <= m; t += 4) int8_rows<4, 1>(w, x, t, bias, y, accumulate);
  for (; t < m; ++t) int8_rows<1, 2>(w, x, t, bias, y, accumulate);
}

void lstm_cell_avx2(const float* gates, const float* c_prev, size_t hidden, float* c, float* h) {
  size_t j = 0;
  for (; j + 8 <= hidden; j += 8) {
    lstm_cell8(gates + j, gates + hidden + j, gates + 2 * hidden + j, gates + 3 * hidden + j,
               c_prev + j, c + j, h + j);
  }
  if (j < hidden) {
    // Tail through zero-padded copies, so it gets the same arithmetic as the vector body.
    float buf[6][8] = {};
    const size_t n = hidden - j;
    for (size_t r = 0; r < n; ++r) {
      for (int gate = 0; gate < 4; ++gate) buf[gate][r] = gates[gate * hidden + j + r];
      buf[4][r] = c_prev[j + r];
    }
    float hbuf[8];
    lstm_cell8(buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], hbuf);
    for (size_t r = 0; r < n; ++r) {
      c[j + r] = buf[5][r];
      h[j + r] = hbuf[r];
    }
  }
}

std::uint64_t read_bytes_avx2(const std::byte* data, size_t bytes) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < bytes; i += 128) {
    a = _mm256_add_epi64(a, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i)));
    b = _mm256_add_epi64(b, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 32)));
    c = _mm256_add_epi64(c, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 64)));
    d = _mm256_add_epi64(d, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

void add_rows_f32_avx2(const float* table, const std::uint16_t* ids, size_t n, size_t width,
                       float* g) {
  size_t j = 0;
  // 32 columns of g stay in registers while every row is added.
  for (; j + 32 <= width; j += 32) {
    __m256 a0 = _mm256_loadu_ps(g + j), a1 = _mm256_loadu_ps(g + j + 8);
    __m256 a2 = _mm256_loadu_ps(g + j + 16), a3 = _mm256_loadu_ps(g + j + 24);
    for (size_t i = 0; i < n; ++i) {
      const float* row = table + size_t{ids[i]} * width + j;
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(row));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(row + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(row + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(row + 24));
    }
    _mm256_storeu_ps(g + j, a0);
    _mm256_storeu_ps(g + j + 8, a1);
    _mm256_storeu_ps(g + j + 16, a2);
    _mm256_storeu_ps(g + j + 24, a3);
  }
  for (; j + 8 <= width; j += 8) {
    __m256 a = _mm256_loadu_ps(g + j);
    for (size_t i = 0; i < n; ++i)
      a = _mm256_add_ps(a, _mm256_loadu_ps(table + size_t{ids[i]} * width + j));
    _mm256_storeu_ps(g + j, a);
  }
  for (; j < width; ++j)
    for (size_t i = 0; i < n; ++i) g[j] += table[size_t{ids[i]} * width + j];
}

namespace {

// g[j .. j+8) += float(sum) * scale.
JOINTNLU_INLINE void add_scaled8(__m256i sum, const float* scale, float* g, size_t j) {
  const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), _mm256_loadu_ps(scale + j));
  _mm256_storeu_ps(g + j, _mm256_add_ps(_mm256_loadu_ps(g + j), v));
}

}  // namespace

void add_rows_int8_avx2(const std::int8_t* table, const float* scale, const std::uint16_t* ids,
                        size_t n, size_t width, float* g) {
  size_t j = 0;
  // 32 columns at a time: two vectors of 16 16-bit sums, widened after every kMaxInt16Rows rows.
  for (; j + 32 <= width; j += 32) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t first = 0; first < n; first += kMaxInt16Rows) {
      const size_t last = first + kMaxInt16Rows < n ? first + kMaxInt16Rows : n;
      __m256i a0 = _mm256_setzero_si256(), a1 = a0;
      for (size_t i = first; i < last; ++i) {
        const std::int8_t* row = table + size_t{ids[i]} * width + j;
        a0 = _mm256_add_epi16(a0, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)row)));
        a1 =
            _mm256_add_epi16(a1, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(row + 16))));
      }
      s0 = _mm256_add_epi32(s0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(a0)));
      s1 = _mm256_add_epi32(s1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(a0, 1)));
      s2 = _mm256_add_epi32(s2, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(a1)));
      s3 = _mm256_add_epi32(s3, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(a1, 1)));
    }
    add_scaled8(s0, scale, g, j);
    add_scaled8(s1, scale, g, j + 8);
    add_scaled8(s2, scale, g, j + 16);
    add_scaled8(s3, scale, g, j + 24);
  }
  for (; j < width; ++j) {
    std::int32_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += table[size_t{ids[i]} * width + j];
    g[j] += static_cast<float>(sum) * scale[j];
  }
}

}  // namespace jointnlu::runtime::detail
