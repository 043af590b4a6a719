#include "train/train_utils.h"

#include <gtest/gtest.h>

#include <string>

#include "core/file_io.h"
#include "test_util.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::TempDir;

TEST(CsvLog, AppendsUnderAnExistingHeader) {
  TempDir dir;
  const std::string path = dir.write("curve.csv", "a,b\n1,2\n");
  {
    CsvLog log(path, {"a", "b"});
    log.row({"3", "4"});
  }
  EXPECT_EQ(read_file(path), "a,b\n1,2\n3,4\n");
}

TEST(CsvLog, PadsALogWrittenWithFewerColumns) {
  // A run resumed by a newer version that logs an extra column keeps one consistent table.
  TempDir dir;
  const std::string path = dir.write("curve.csv", "a,b\n1,2\n5,6\n");
  {
    CsvLog log(path, {"a", "b", "c"});
    log.row({"3", "4", "x"});
  }
  EXPECT_EQ(read_file(path), "a,b,c\n1,2,\n5,6,\n3,4,x\n");
}

TEST(CsvLog, DropsRowsPastTheResumedStep) {
  // A run killed between checkpoints logged steps 30 and 40; it resumes at 20 and logs them again.
  TempDir dir;
  const std::string path =
      dir.write("curve.csv",
                "kind,step,x\neval,0,1\ntrain,20,2\neval,20,3\ntrain,30,4\nnote,?,5\ntrain,40,6\n");
  EXPECT_EQ(drop_csv_rows_after(path, 1, 20), 2u);
  EXPECT_EQ(read_file(path), "kind,step,x\neval,0,1\ntrain,20,2\neval,20,3\nnote,?,5\n");
  EXPECT_EQ(drop_csv_rows_after(path, 1, 20), 0u);
  EXPECT_EQ(drop_csv_rows_after(dir.path() + "/missing.csv", 1, 0), 0u);
}

TEST(CsvLog, RefusesAnUnrelatedHeader) {
  TempDir dir;
  const std::string path = dir.write("curve.csv", "x,y\n1,2\n");
  try {
    CsvLog log(path, {"a", "b", "c"});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("curve.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("x,y"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path), "x,y\n1,2\n");  // untouched
}

TEST(LinearSchedule, ReplanFollowsTheMeasuredPace) {
  // 100 steps from step 0 took 60 s of a 600 s budget: 900 more fit.
  EXPECT_EQ(replan_total_steps(0, 100, 60.0, 600.0), 1000);
  // A resumed start counts only this run's steps: 50 steps (from 200) in 100 s, 200 s left.
  EXPECT_EQ(replan_total_steps(200, 250, 100.0, 300.0), 350);
  // Out of time already: one more step, never fewer than done.
  EXPECT_EQ(replan_total_steps(0, 10, 700.0, 600.0), 11);
  // The revised total ends the rate at zero exactly there.
  LinearSchedule s{1e-3, 10, 1000};
  s.total = replan_total_steps(0, 100, 60.0, 300.0);
  EXPECT_EQ(s.total, 500);
  EXPECT_GT(s.at(499), 0.0);
  EXPECT_EQ(s.at(500), 0.0);
}

}  // namespace
}  // namespace jointnlu::train
