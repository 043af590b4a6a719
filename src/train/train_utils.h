// Pieces every long-running training command shares: stop signals, the progress line, CSV curves,
// the learning-rate schedule and RNG state for exact resumption.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace jointnlu::train {

// SIGINT/SIGTERM set a flag instead of killing the process, so the training loop can save a
// checkpoint and exit cleanly. A second signal of the same kind kills the process as usual.
class StopSignal {
 public:
  static void install();
  static bool requested();
  static int signal_number();  // 0 if none
  static void reset();         // for tests
};

// One progress line on stderr, refreshed at most every `interval` seconds: done/total, rate, ETA
// and a caller-supplied tail (loss, lr...). On a terminal the line is rewritten in place; otherwise
// (logs, CI) a new line is printed each time.
class Progress {
 public:
  Progress(std::string label, std::int64_t total, std::string unit, double interval_seconds = 2.0);
  // `done` in units; `tail` is appended as is. Prints if the interval has passed or force is set.
  void update(std::int64_t done, const std::string& tail, bool force = false);
  void finish(const std::string& tail);
  double elapsed_seconds() const;
  void set_total(std::int64_t total) { total_ = total; }  // when a plan is revised mid-run

 private:
  std::string label_;
  std::int64_t total_;
  std::string unit_;
  double interval_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  std::int64_t start_done_ = -1;
};

// Appends rows to a CSV file, writing the header only when the file is new, and flushing every row
// so a killed run keeps its curve. Resuming a run appends to the same file.
class CsvLog {
 public:
  CsvLog(const std::string& path, const std::vector<std::string>& columns);
  void row(const std::vector<std::string>& values);

 private:
  std::ofstream out_;
  std::size_t columns_;
  std::string path_;
};

// Drops the rows of a CSV log whose integer column `column` is above `step`, keeping the header:
// a run killed without saving (power cut, SIGKILL) leaves rows past its last checkpoint, and the
// resumed run logs those steps again. Rows that do not parse are kept. Written atomically.
// Returns the number of rows dropped; a missing file is left alone.
std::size_t drop_csv_rows_after(const std::string& path, std::size_t column, std::int64_t step);

// Linear warm-up from 0 to peak over `warmup` steps, then linear decay to 0 at `total` steps.
struct LinearSchedule {
  double peak = 0.0;
  std::int64_t warmup = 0;
  std::int64_t total = 1;
  double at(std::int64_t step) const;
};

// The total step count of a time-boxed run, re-planned from its own measured pace: `done` steps
// took `elapsed` seconds (evaluations and checkpoints included) since step `first`; the run may
// use `budget` seconds in all. At least one more step than already done.
std::int64_t replan_total_steps(std::int64_t first, std::int64_t done, double elapsed,
                                double budget);

// Formats seconds as "1h02m", "3m05s" or "12s".
std::string format_duration(double seconds);

// Peak resident set size of this process in MiB (from getrusage).
double peak_rss_mib();

}  // namespace jointnlu::train
