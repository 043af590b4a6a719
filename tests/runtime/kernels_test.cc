// Every kernel path the CPU supports is checked against straightforward references written here (on
// the raw, unpacked weights, in double precision), and the int8 paths against each other.
#include "runtime/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/cpu_features.h"

namespace jointnlu::runtime {
namespace {

std::vector<float> random_vector(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// y[t, n] = sum_k x[t, k] w[n, k] (+ bias[n]) (+ y[t, n]), in double.
std::vector<double> reference_linear(const std::vector<float>& w, std::size_t n, std::size_t k,
                                     const std::vector<float>& x, std::size_t m, const float* bias,
                                     const std::vector<float>* y0) {
  std::vector<double> y(m * n);
  for (std::size_t t = 0; t < m; ++t) {
    for (std::size_t r = 0; r < n; ++r) {
      double acc = 0.0;
      for (std::size_t c = 0; c < k; ++c) acc += double{x[t * k + c]} * double{w[r * k + c]};
      if (bias != nullptr) acc += bias[r];
      if (y0 != nullptr) acc += (*y0)[t * n + r];
      y[t * n + r] = acc;
    }
  }
  return y;
}

struct Shape {
  std::size_t n, k, m;
};

// Covers: the LSTM shapes (4H x H, 4H x E), matrix-vector and GEMM, rows that are not a multiple of
// 16 (padded panels, masked stores), columns not a multiple of 4 (int8 groups) or 16 (vector
// tails), row counts hitting every GEMM remainder tile, and panel counts that end in every kind of
// block (kernels_internal.h): pairs of full blocks + a full block + a partial one of 1, 2 or 3
// panels, for the matrix-vector product (m = 1) and the GEMM.
const Shape kShapes[] = {{512, 128, 9}, {256, 64, 1},  {37, 13, 5},    {16, 1, 3},
                         {48, 7, 2},    {80, 33, 4},   {1024, 256, 1}, {9, 130, 7},
                         {400, 100, 6}, {400, 100, 1}, {200, 20, 1},   {112, 9, 1},
                         {37, 13, 1},   {160, 6, 1},   {96, 17, 6},    {224, 5, 3}};

class KernelsTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_supported(GetParam())) {
      GTEST_SKIP() << isa_name(GetParam()) << " is not supported by this CPU";
    }
  }
  const Kernels& k() const { return kernels_for(GetParam()); }
};

TEST_P(KernelsTest, KernelTableMatchesIsa) { EXPECT_EQ(k().isa, GetParam()); }

TEST_P(KernelsTest, F32LinearMatchesReference) {
  std::uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    const auto w = random_vector(s.n * s.k, -1.0f, 1.0f, seed++);
    const auto x = random_vector(s.m * s.k, -2.0f, 2.0f, seed++);
    const auto bias = random_vector(s.n, -1.0f, 1.0f, seed++);
    const auto y0 = random_vector(s.m * s.n, -1.0f, 1.0f, seed++);
    const PackedMatrix packed = PackedMatrix::pack_f32(w, s.n, s.k);
    for (int variant = 0; variant < 3; ++variant) {
      const bool with_bias = variant >= 1;
      const bool accumulate = variant == 2;
      std::vector<float> y = accumulate ? y0 : std::vector<float>(s.m * s.n, -7.0f);
      // Sentinel after the output: padded rows must not be written.
      y.push_back(1234.5f);
      k().gemm_f32(packed, x.data(), s.m, with_bias ? bias.data() : nullptr, y.data(), accumulate);
      EXPECT_EQ(y.back(), 1234.5f);
      const auto ref = reference_linear(w, s.n, s.k, x, s.m, with_bias ? bias.data() : nullptr,
                                        accumulate ? &y0 : nullptr);
      for (std::size_t i = 0; i < ref.size(); ++i) {
        // float accumulation of k products of magnitude <= 2: error ~ k * eps * 2.
        ASSERT_NEAR(y[i], ref[i], 1e-6 * (4.0 + 2.0 * s.k))
            << "shape " << s.n << "x" << s.k << " m=" << s.m << " variant " << variant << " at "
            << i;
      }
    }
  }
}

TEST_P(KernelsTest, QuantizeRowsMatchesReference) {
  const std::size_t m = 3, k_dim = 70;
  auto x = random_vector(m * k_dim, -3.0f, 3.0f, 42);
  // Row 1 all zeros (scale 0), row 2 with an exact maximum and halves to exercise rounding.
  for (std::size_t i = 0; i < k_dim; ++i) x[k_dim + i] = 0.0f;
  x[2 * k_dim] = -127.0f;
  x[2 * k_dim + 1] = 2.5f;
  x[2 * k_dim + 2] = -0.5f;
  QuantizedActivations q(m, k_dim);
  k().quantize_rows(x.data(), m, k_dim, q);
  ASSERT_EQ(q.rows(), m);
  ASSERT_EQ(q.cols(), k_dim);
  ASSERT_GE(q.stride(), k_dim);
  for (std::size_t t = 0; t < m; ++t) {
    float amax = 0.0f;
    for (std::size_t i = 0; i < k_dim; ++i) amax = std::max(amax, std::fabs(x[t * k_dim + i]));
    EXPECT_FLOAT_EQ(q.scale(t), amax / 127.0f);
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    for (std::size_t i = 0; i < q.stride(); ++i) {
      const int expected = i < k_dim ? static_cast<int>(std::nearbyint(x[t * k_dim + i] * inv)) : 0;
      ASSERT_EQ(int{q.row(t)[i]}, expected) << "row " << t << " col " << i;
    }
  }
  EXPECT_EQ(int{q.row(2)[0]}, -127);
  EXPECT_EQ(int{q.row(2)[1]}, 2);  // 2.5 -> 2 (half to even)
  EXPECT_EQ(int{q.row(2)[2]}, 0);  // -0.5 -> -0
}

TEST_P(KernelsTest, Int8LinearWithinQuantisationError) {
  std::uint32_t seed = 100;
  for (const Shape& s : kShapes) {
    auto w = random_vector(s.n * s.k, -1.0f, 1.0f, seed++);
    // Rows of very different magnitudes: per-row scales must follow them.
    for (std::size_t r = 0; r < s.n; ++r) {
      for (std::size_t c = 0; c < s.k; ++c) w[r * s.k + c] *= std::pow(10.0f, float(r % 3) - 1.0f);
    }
    const auto x = random_vector(s.m * s.k, -2.0f, 2.0f, seed++);
    const auto bias = random_vector(s.n, -1.0f, 1.0f, seed++);
    const PackedMatrix packed = PackedMatrix::pack_int8(w, s.n, s.k);
    QuantizedActivations q(s.m, s.k);
    k().quantize_rows(x.data(), s.m, s.k, q);
    std::vector<float> y(s.m * s.n + 1, -7.0f);
    y.back() = 1234.5f;
    k().gemm_int8(packed, q, bias.data(), y.data(), false);
    EXPECT_EQ(y.back(), 1234.5f);
    const auto ref = reference_linear(w, s.n, s.k, x, s.m, bias.data(), nullptr);
    for (std::size_t t = 0; t < s.m; ++t) {
      double sx = 0.0;
      for (std::size_t c = 0; c < s.k; ++c) sx = std::max(sx, std::fabs(double{x[t * s.k + c]}));
      sx /= 127.0;
      for (std::size_t r = 0; r < s.n; ++r) {
        const double sw = packed.scale(r);
        // |x w - qx sx qw sw| <= |x| sw/2 + |w| sx/2 + sx sw/4 per term, plus float rounding.
        double bound = 0.0, magnitude = 0.0;
        for (std::size_t c = 0; c < s.k; ++c) {
          const double xv = std::fabs(double{x[t * s.k + c]});
          const double wv = std::fabs(double{w[r * s.k + c]});
          bound += xv * sw / 2 + wv * sx / 2 + sx * sw / 4;
          magnitude += xv * wv;
        }
        bound += 1e-5 * (magnitude + 1.0);
        ASSERT_NEAR(y[t * s.n + r], ref[t * s.n + r], bound)
            << "shape " << s.n << "x" << s.k << " m=" << s.m << " row " << t << " out " << r;
      }
    }
  }
}

TEST_P(KernelsTest, Int8MatchesScalarPath) {
  // The integer dot products are exact on every path, so the paths agree to float rounding of the
  // (identically ordered) epilogue.
  std::uint32_t seed = 200;
  const Kernels& scalar = kernels_for(Isa::kScalar);
  for (const Shape& s : kShapes) {
    const auto w = random_vector(s.n * s.k, -1.0f, 1.0f, seed++);
    const auto x = random_vector(s.m * s.k, -2.0f, 2.0f, seed++);
    const auto y0 = random_vector(s.m * s.n, -1.0f, 1.0f, seed++);
    const PackedMatrix packed = PackedMatrix::pack_int8(w, s.n, s.k);
    QuantizedActivations q(s.m, s.k);
    QuantizedActivations q_ref(s.m, s.k);
    k().quantize_rows(x.data(), s.m, s.k, q);
    scalar.quantize_rows(x.data(), s.m, s.k, q_ref);
    std::vector<float> y = y0, y_ref = y0;
    k().gemm_int8(packed, q, nullptr, y.data(), true);
    scalar.gemm_int8(packed, q_ref, nullptr, y_ref.data(), true);
    for (std::size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], y_ref[i], 1e-6 * (1.0 + std::fabs(y_ref[i])))
          << "shape " << s.n << "x" << s.k << " m=" << s.m << " at " << i;
    }
  }
}

TEST_P(KernelsTest, LinearWrapperDispatchesOnWeightType) {
  const std::size_t n = 64, k_dim = 32, m = 2;
  const auto w = random_vector(n * k_dim, -1.0f, 1.0f, 7);
  const auto x = random_vector(m * k_dim, -1.0f, 1.0f, 8);
  const auto ref = reference_linear(w, n, k_dim, x, m, nullptr, nullptr);
  QuantizedActivations scratch(m, k_dim);
  for (WeightType type : {WeightType::kF32, WeightType::kInt8}) {
    const PackedMatrix packed = PackedMatrix::pack(type, w, n, k_dim);
    std::vector<float> y(m * n);
    linear(packed, x, nullptr, y, false, scratch, k());
    const double tol = type == WeightType::kF32 ? 1e-5 : 0.05;
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], tol) << i;
  }
}

double sigmoid_ref(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Values that hit every branch of the vectorised sigmoid / tanh: 0, tiny, both sides of the 0.625
// polynomial switch, the 9 clamp, and the exp clamps.
std::vector<float> activation_probe(std::size_t n, std::uint32_t seed) {
  std::vector<float> v = random_vector(n, -12.0f, 12.0f, seed);
  const float specials[] = {0.0f,    1e-7f, -1e-5f, 3e-3f, -0.1f,  0.6249f, -0.625f,
                            0.6251f, 1.0f,  -2.5f,  8.99f, 9.0f,   -9.5f,   15.0f,
                            -20.0f,  40.0f, -80.0f, 87.0f, -88.5f, 100.0f,  -100.0f};
  for (std::size_t i = 0; i < std::size(specials) && i < n; ++i) v[i] = specials[i];
  return v;
}

TEST_P(KernelsTest, LstmCellSigmoidAndTanhAccuracy) {
  // Isolate each activation through the cell: with i -> 0 exactly (g = 0) and c_prev = 1, c =
  // sigmoid(f); with f's contribution 0 (c_prev = 0) and sigmoid(i) == 1 in float, c = tanh(g).
  for (std::size_t hidden : {1u, 7u, 16u, 21u, 128u, 133u}) {
    const auto probe = activation_probe(hidden, 300 + hidden);
    std::vector<float> gates(4 * hidden), c(hidden), h(hidden);
    // sigmoid(f)
    std::vector<float> c_prev(hidden, 1.0f);
    for (std::size_t j = 0; j < hidden; ++j) {
      gates[j] = 0.0f;                // i
      gates[hidden + j] = probe[j];   // f
      gates[2 * hidden + j] = 0.0f;   // g: tanh(0) = 0, so i * g = 0
      gates[3 * hidden + j] = 30.0f;  // o
    }
    k().lstm_cell(gates.data(), c_prev.data(), hidden, c.data(), h.data());
    for (std::size_t j = 0; j < hidden; ++j) {
      const double ref = sigmoid_ref(probe[j]);
      // Relative 1e-6, down to the smallest normal result the clamp allows.
      ASSERT_NEAR(c[j], ref, 1e-6 * ref + 2e-38) << "sigmoid(" << probe[j] << ") hidden " << hidden;
    }
    // tanh(g)
    std::fill(c_prev.begin(), c_prev.end(), 0.0f);
    for (std::size_t j = 0; j < hidden; ++j) {
      gates[j] = 30.0f;
      gates[hidden + j] = 0.0f;
      gates[2 * hidden + j] = probe[j];
      gates[3 * hidden + j] = 30.0f;
    }
    k().lstm_cell(gates.data(), c_prev.data(), hidden, c.data(), h.data());
    for (std::size_t j = 0; j < hidden; ++j) {
      const double ref = std::tanh(double{probe[j]});
      ASSERT_NEAR(c[j], ref, 1e-6 * std::fabs(ref) + 1e-38) << "tanh(" << probe[j] << ")";
      // h = 1 * tanh(c)
      ASSERT_NEAR(h[j], std::tanh(double{c[j]}), 1e-6 * std::fabs(std::tanh(double{c[j]})) + 1e-38);
    }
  }
}

TEST_P(KernelsTest, LstmCellMatchesReference) {
  for (std::size_t hidden : {5u, 64u, 128u, 77u}) {
    std::vector<float> gates = activation_probe(4 * hidden, 500 + hidden);
    const auto c_prev = random_vector(hidden, -3.0f, 3.0f, 600 + hidden);
    std::vector<float> c(hidden), h(hidden);
    k().lstm_cell(gates.data(), c_prev.data(), hidden, c.data(), h.data());
    // In place: c may alias c_prev.
    std::vector<float> c_inplace = c_prev, h2(hidden);
    k().lstm_cell(gates.data(), c_inplace.data(), hidden, c_inplace.data(), h2.data());
    for (std::size_t j = 0; j < hidden; ++j) {
      const double i = sigmoid_ref(gates[j]);
      const double f = sigmoid_ref(gates[hidden + j]);
      const double g = std::tanh(double{gates[2 * hidden + j]});
      const double o = sigmoid_ref(gates[3 * hidden + j]);
      const double c_ref = f * c_prev[j] + i * g;
      const double h_ref = o * std::tanh(c_ref);
      // Each activation is within ~1e-6 relative; c can cancel, so bound it by its terms.
      const double tol_c = 2e-6 * (std::fabs(f * c_prev[j]) + std::fabs(i * g)) + 1e-30;
      ASSERT_NEAR(c[j], c_ref, tol_c) << j;
      ASSERT_NEAR(h[j], h_ref, 2e-6 * std::fabs(h_ref) + o * tol_c + 1e-30) << j;
      EXPECT_EQ(c_inplace[j], c[j]);
      EXPECT_EQ(h2[j], h[j]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllPaths, KernelsTest,
                         ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

// ---- lexicon rows ----

// Widths: the LSTM's 4H for H = 128 and 100 (multiples of 64 and of 16 only), and odd ones that
// leave every kind of vector tail. Row counts: none, one, the usual few, and past the 16-bit
// chunk (258 rows), where the int8 path must widen its sums exactly.
TEST_P(KernelsTest, AddRowsMatchExactSums) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> value(-127, 127);
  for (const std::size_t width : {512u, 400u, 64u, 70u, 17u, 3u}) {
    const std::size_t table_rows = 700;
    const auto table = random_vector(table_rows * width, -1.0f, 1.0f, 5);
    std::vector<std::int8_t> table_q(table_rows * width);
    // Rows 0..19 all 127, every other id one of them: 300 of them overflow 16 bits unless the sums
    // are widened in time.
    for (std::size_t i = 0; i < table_q.size(); ++i)
      table_q[i] = static_cast<std::int8_t>(i < width * 20 ? 127 : value(rng));
    const auto scale = random_vector(width, 0.001f, 0.01f, 6);
    for (const std::size_t n : {0u, 1u, 3u, 40u, 258u, 259u, 600u}) {
      std::vector<std::uint16_t> ids(n);
      for (std::size_t i = 0; i < n; ++i)
        ids[i] = static_cast<std::uint16_t>(i % 2 == 0 ? i % 20 : (i * 37) % table_rows);
      const auto g0 = random_vector(width, -2.0f, 2.0f, 7);
      std::vector<float> g = g0, gq = g0;
      k().add_rows_f32(table.data(), ids.data(), n, width, g.data());
      k().add_rows_int8(table_q.data(), scale.data(), ids.data(), n, width, gq.data());
      for (std::size_t j = 0; j < width; ++j) {
        float expected = g0[j];  // the rows in the order given, as every path adds them
        std::int64_t sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
          expected += table[ids[i] * width + j];
          sum += table_q[ids[i] * width + j];
        }
        ASSERT_EQ(g[j], expected) << "f32, width " << width << ", rows " << n << ", column " << j;
        const double expected_q = double{g0[j]} + static_cast<double>(sum) * double{scale[j]};
        ASSERT_NEAR(gq[j], expected_q, 1e-5 * (1.0 + std::abs(expected_q)))
            << "int8, width " << width << ", rows " << n << ", column " << j;
      }
    }
  }
}

// ---- packing ----

TEST_P(KernelsTest, ReadBytesSumsEveryWord) {
  const std::size_t bytes = 4096 + 256;
  const AlignedBytes buffer = allocate_aligned(bytes);
  std::uint64_t expected = 0, first_256 = 0;
  for (std::size_t i = 0; i < bytes / 8; ++i) {
    const std::uint64_t v = 0x9E3779B97F4A7C15ull * (i + 1);
    std::memcpy(buffer.get() + i * 8, &v, 8);
    expected += v;
    if (i < 32) first_256 += v;
  }
  EXPECT_EQ(k().read_bytes(buffer.get(), bytes), expected);
  EXPECT_EQ(k().read_bytes(buffer.get(), 256), first_256);  // reads exactly `bytes`, no more
  EXPECT_EQ(k().read_bytes(buffer.get(), 0), 0u);
}

TEST(PackedMatrixTest, F32RoundTripsAndPadsRows) {
  const std::size_t n = 37, k_dim = 13;
  const auto w = random_vector(n * k_dim, -1.0f, 1.0f, 9);
  const PackedMatrix p = PackedMatrix::pack_f32(w, n, k_dim);
  EXPECT_EQ(p.type(), WeightType::kF32);
  EXPECT_EQ(p.rows(), n);
  EXPECT_EQ(p.cols(), k_dim);
  EXPECT_EQ(p.panels(), 3u);
  EXPECT_EQ(p.bytes(), 48 * k_dim * sizeof(float));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.f32_data()) % 64, 0u);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < k_dim; ++c) ASSERT_EQ(p.dequantized(r, c), w[r * k_dim + c]);
  }
}

TEST(PackedMatrixTest, Int8PerRowSymmetricQuantisation) {
  const std::size_t n = 20, k_dim = 10;
  auto w = random_vector(n * k_dim, -2.0f, 2.0f, 10);
  for (std::size_t c = 0; c < k_dim; ++c) w[3 * k_dim + c] = 0.0f;  // an all-zero row
  const PackedMatrix p = PackedMatrix::pack_int8(w, n, k_dim);
  EXPECT_EQ(p.type(), WeightType::kInt8);
  EXPECT_EQ(p.groups(), 3u);
  for (std::size_t r = 0; r < n; ++r) {
    float amax = 0.0f;
    for (std::size_t c = 0; c < k_dim; ++c) amax = std::max(amax, std::fabs(w[r * k_dim + c]));
    const float scale = amax / 127.0f;
    EXPECT_FLOAT_EQ(p.scale(r), scale);
    std::int32_t sum = 0;
    for (std::size_t c = 0; c < k_dim; ++c) {
      const float q = amax > 0 ? std::round(w[r * k_dim + c] / scale) : 0.0f;
      ASSERT_LE(std::fabs(q), 127.0f);
      ASSERT_EQ(p.dequantized(r, c), q * scale) << r << "," << c;
      sum += static_cast<std::int32_t>(q);
    }
    EXPECT_EQ(p.row_sums()[r], sum);
  }
}

TEST(PackedMatrixTest, Int8FootprintIsAQuarterOfF32) {
  const std::size_t n = 512, k_dim = 128;
  const std::vector<float> w(n * k_dim, 0.5f);
  const PackedMatrix f = PackedMatrix::pack_f32(w, n, k_dim);
  const PackedMatrix q = PackedMatrix::pack_int8(w, n, k_dim);
  EXPECT_EQ(f.bytes(), n * k_dim * sizeof(float));
  EXPECT_LE(double(q.bytes()), 0.25 * double(f.bytes()) * 1.07);  // + scales and row sums
}

TEST(PackedMatrixTest, RejectsBadShapesAtPackTime) {
  const std::vector<float> w(12, 1.0f);
  EXPECT_THROW(PackedMatrix::pack_f32(w, 5, 3), std::invalid_argument);
  EXPECT_THROW(PackedMatrix::pack_int8(w, 0, 12), std::invalid_argument);
  EXPECT_THROW(PackedMatrix::pack_f32(std::vector<float>{}, 0, 0), std::invalid_argument);
  std::vector<float> bad = w;
  bad[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(PackedMatrix::pack_int8(bad, 4, 3), std::invalid_argument);
  try {
    PackedMatrix::pack_f32(w, 5, 3);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected [5, 3]"), std::string::npos) << e.what();
  }
}

// ---- dispatch ----

TEST(CpuFeaturesTest, IsaLevelsAreConsistent) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(isa_supported(Isa::kAvx2), f.avx2 && f.fma);
  EXPECT_TRUE(!isa_supported(Isa::kAvx512) || isa_supported(Isa::kAvx2));
  EXPECT_TRUE(isa_supported(Isa::kScalar));
  EXPECT_TRUE(isa_supported(best_isa()));
  EXPECT_EQ(supported_isas().front(), Isa::kScalar);
  EXPECT_EQ(supported_isas().back(), best_isa());
  EXPECT_EQ(kernels().isa, active_isa());
}

TEST(CpuFeaturesTest, ParseAndResolveIsa) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    EXPECT_EQ(parse_isa(isa_name(isa)), isa);
    EXPECT_EQ(resolve_isa(isa_name(isa)), isa_supported(isa) ? isa : best_isa());
  }
  EXPECT_FALSE(parse_isa("AVX2").has_value());
  EXPECT_EQ(resolve_isa(nullptr), best_isa());
  EXPECT_EQ(resolve_isa(""), best_isa());
  EXPECT_EQ(resolve_isa("sse9"), best_isa());
}

}  // namespace
}  // namespace jointnlu::runtime
