// The student runtime's forward pass against a double-precision reference, on every kernel path,
// and the export round trip (fp32 exact, int8 close).
#include "runtime/student_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/model_input.h"
#include "runtime/export.h"
#include "student_fixture.h"
#include "student_reference.h"

namespace jointnlu::runtime {
namespace {

using testing::StudentSpec;
using testing::TempDir;

struct Case {
  const char* pooling;
  std::size_t layers;
};

class StudentForwardTest : public ::testing::TestWithParam<Case> {
 protected:
  StudentForwardTest() {
    spec_.pooling = GetParam().pooling;
    spec_.num_layers = GetParam().layers;
  }
  // A student of this case's architecture with random weights, written to dir_.
  testing::StudentFiles write_student() { return testing::write_student(dir_.path(), spec_); }

  TempDir dir_;
  StudentSpec spec_;
};

std::vector<std::vector<int>> sample_ids(const StudentModel& m, const testing::StudentFiles& s) {
  std::vector<std::vector<int>> out;
  for (std::size_t i = 0; i < 12; ++i)
    out.push_back(make_model_input(m.tokenizer(), s.texts[i * 7], m.config().max_length).ids);
  out.push_back(make_model_input(m.tokenizer(), "a", m.config().max_length).ids);  // L = 3
  // Longer than max_length: truncated to it.
  out.push_back(make_model_input(m.tokenizer(), s.texts[0] + s.texts[1] + s.texts[2] + s.texts[3],
                                 m.config().max_length)
                    .ids);
  return out;
}

double max_diff(std::span<const float> got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  double d = 0.0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    d = std::max(d, std::abs(double(got[i]) - want[i]));
  return d;
}

TEST_P(StudentForwardTest, MatchesDoublePrecisionReferenceOnEveryIsa) {
  const auto files = write_student();
  const auto model = StudentModel::load(dir_.path());
  ASSERT_EQ(model->weight_type(), WeightType::kF32);
  Workspace ws;
  for (const Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    for (const auto& ids : sample_ids(*model, files)) {
      const auto want = testing::reference_forward(files, spec_, ids);
      const auto got = model->forward(ids, ws, kernels_for(isa));
      EXPECT_LT(max_diff(got.domain, want.domain), 1e-4);
      EXPECT_LT(max_diff(got.intent, want.intent), 1e-4);
      EXPECT_LT(max_diff(got.slots, want.slots), 1e-4);
    }
  }
}

TEST_P(StudentForwardTest, ExportRoundTrip) {
  const auto files = write_student();
  const std::string fp32_path = dir_.path() + "/fp32.safetensors";
  const std::string int8_path = dir_.path() + "/int8.safetensors";
  const auto fp32_report = export_student(dir_.path(), fp32_path, false);
  const auto int8_report = export_student(dir_.path(), int8_path, true);
  EXPECT_EQ(fp32_report.matrix_written_bytes, fp32_report.matrix_fp32_bytes);
  // I8 values are exactly a quarter of the F32 bytes; the per-row scales add 4 bytes per row, i.e.
  // 1/cols of the fp32 size (cols >= 12 here; >= 128 in real models: < 1%).
  EXPECT_LE(int8_report.matrix_written_bytes,
            int8_report.matrix_fp32_bytes / 4 + int8_report.matrix_fp32_bytes / 12);
  EXPECT_LT(int8_report.file_bytes, fp32_report.file_bytes / 2);

  const auto from_dir = StudentModel::load(dir_.path());
  const auto fp32 = StudentModel::load(fp32_path);
  const auto int8 = StudentModel::load(int8_path);
  EXPECT_EQ(fp32->weight_type(), WeightType::kF32);
  EXPECT_EQ(int8->weight_type(), WeightType::kInt8);
  EXPECT_EQ(fp32->tokenizer().vocab(), from_dir->tokenizer().vocab());
  EXPECT_EQ(int8->config().labels.to_json(), files.labels.to_json());

  Workspace a, b, c;
  std::size_t agree = 0, total = 0;
  for (const auto& ids : sample_ids(*from_dir, files)) {
    const auto ref = from_dir->forward(ids, a);
    const auto exported = fp32->forward(ids, b);
    // The same weights through the same kernels: bit-identical.
    EXPECT_TRUE(std::equal(ref.domain.begin(), ref.domain.end(), exported.domain.begin()));
    EXPECT_TRUE(std::equal(ref.slots.begin(), ref.slots.end(), exported.slots.begin()));
    const auto q = int8->forward(ids, c);
    const auto argmax = [](std::span<const float> v) {
      return std::max_element(v.begin(), v.end()) - v.begin();
    };
    for (const auto& [x, y] : {std::pair{ref.domain, q.domain}, std::pair{ref.intent, q.intent}}) {
      for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 0.25) << i;
      agree += argmax(x) == argmax(y);
      ++total;
    }
    const std::size_t tags = files.labels.tags().size();
    for (std::size_t t = 0; t < ids.size(); ++t) {
      const auto x = ref.slots.subspan(t * tags, tags), y = q.slots.subspan(t * tags, tags);
      for (std::size_t i = 0; i < tags; ++i) EXPECT_NEAR(x[i], y[i], 0.25);
      agree += argmax(x) == argmax(y);
      ++total;
    }
  }
  EXPECT_GE(double(agree), 0.9 * double(total)) << agree << " of " << total << " argmaxes agree";
}

// forward_batch runs the recurrences of a batch in lockstep, with inputs of every length finishing
// at different steps; each input's logits must be those of forward() on its own.
TEST_P(StudentForwardTest, BatchEqualsSingleInputs) {
  const auto files = write_student();
  const std::string int8_path = dir_.path() + "/int8.safetensors";
  export_student(dir_.path(), int8_path, true);
  for (const std::string& path : {dir_.path(), int8_path}) {
    const auto model = StudentModel::load(path);
    auto ids = sample_ids(*model, files);
    ids.push_back(ids[3]);  // equal lengths, and a repeat
    ids.push_back(make_model_input(model->tokenizer(), "", model->config().max_length).ids);
    std::vector<std::span<const int>> batch(ids.begin(), ids.end());
    for (const Isa isa : supported_isas()) {
      SCOPED_TRACE(path + " " + isa_name(isa));
      Workspace ws;
      BatchWorkspace bws;
      std::vector<StudentLogits> got;
      // All at once, then a smaller batch through the same (already grown) workspace.
      for (const std::size_t n : {batch.size(), std::size_t{3}, std::size_t{1}}) {
        model->forward_batch(std::span(batch).first(n), bws, got, kernels_for(isa));
        ASSERT_EQ(got.size(), n);
        for (std::size_t i = 0; i < n; ++i) {
          const auto want = model->forward(ids[i], ws, kernels_for(isa));
          const auto close = [](std::span<const float> a, std::span<const float> b) {
            if (a.size() != b.size()) return false;
            for (std::size_t j = 0; j < a.size(); ++j)
              if (std::abs(a[j] - b[j]) > 1e-5f) return false;
            return true;
          };
          EXPECT_TRUE(close(got[i].domain, want.domain)) << "input " << i;
          EXPECT_TRUE(close(got[i].intent, want.intent)) << "input " << i;
          EXPECT_TRUE(close(got[i].slots, want.slots)) << "input " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, StudentForwardTest,
                         ::testing::Values(Case{"max", 1}, Case{"max", 2}, Case{"attention", 1},
                                           Case{"attention", 2}),
                         [](const auto& info) {
                           return std::string(info.param.pooling) + "_" +
                                  std::to_string(info.param.layers) + "layers";
                         });

TEST(StudentModelTest, IsLoadableTellsStudentsFromTeachers) {
  TempDir dir;
  testing::write_student(dir.path());
  EXPECT_TRUE(StudentModel::is_loadable(dir.path()));
  EXPECT_TRUE(StudentModel::is_loadable(dir.path() + "/model.safetensors"));  // a file: try it
  TempDir teacher;
  teacher.write("config.json", R"({"model_type": "albert"})");
  EXPECT_FALSE(StudentModel::is_loadable(teacher.path()));
  EXPECT_FALSE(StudentModel::is_loadable(teacher.path() + "/nothing"));
}

TEST(StudentModelTest, RejectsOutOfRangeIds) {
  TempDir dir;
  const auto files = testing::write_student(dir.path());
  const auto model = StudentModel::load(dir.path());
  Workspace ws;
  const std::vector<int> bad{2, static_cast<int>(files.vocab.size()), 3};
  EXPECT_THROW(model->forward(bad, ws), std::invalid_argument);
  EXPECT_THROW(model->forward(std::vector<int>{}, ws), std::invalid_argument);
  BatchWorkspace bws;
  std::vector<StudentLogits> out;
  const std::vector<int> good{2, 3};
  const std::vector<std::span<const int>> batch{good, bad};
  EXPECT_THROW(model->forward_batch(batch, bws, out), std::invalid_argument);
  model->forward_batch({}, bws, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace jointnlu::runtime
