#include "train/train_utils.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "core/file_io.h"

namespace jointnlu::train {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int sig) {
  if (g_signal.load() == sig) {
    // Second time: the user means it.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal.store(sig);
}

}  // namespace

void StopSignal::install() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}
bool StopSignal::requested() { return g_signal.load() != 0; }
int StopSignal::signal_number() { return g_signal.load(); }
void StopSignal::reset() { g_signal.store(0); }

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

Progress::Progress(std::string label, std::int64_t total, std::string unit, double interval_seconds)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      interval_(interval_seconds),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_ - std::chrono::hours(1)) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::int64_t done, const std::string& tail, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (start_done_ < 0) start_done_ = done;  // a resumed run starts counting its rate here
  // Quiet below info level: the ranks of a data-parallel job other than 0 (distributed.h).
  if (!spdlog::should_log(spdlog::level::info)) return;
  if (!force && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 && total_ > 0 ? static_cast<double>(total_ - done) / rate : -1;
  char head[256];
  if (total_ > 0)
    std::snprintf(head, sizeof head, "%s %5.1f%% %lld/%lld %s | %.1f %s/s | ETA %s", label_.c_str(),
                  100.0 * static_cast<double>(done) / static_cast<double>(total_),
                  static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), rate,
                  unit_.c_str(), format_duration(eta).c_str());
  else
    std::snprintf(head, sizeof head, "%s %lld %s | %.1f %s/s", label_.c_str(),
                  static_cast<long long>(done), unit_.c_str(), rate, unit_.c_str());
  std::fprintf(stderr, tty_ ? "\r\033[K%s | %s" : "%s | %s\n", head, tail.c_str());
  std::fflush(stderr);
}

void Progress::finish(const std::string& tail) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  std::fprintf(stderr, tty_ ? "\r\033[K%s done in %s | %s\n" : "%s done in %s | %s\n",
               label_.c_str(), format_duration(elapsed_seconds()).c_str(), tail.c_str());
  std::fflush(stderr);
}

namespace {

// A log written by an older version with fewer (leading) columns is padded with empty cells, so
// that a resumed run keeps one consistent table; any other header is refused.
void upgrade_csv_header(const std::string& path, const std::string& header) {
  const std::string text = read_file(path);
  const std::size_t eol = text.find('\n');
  const std::string old_header = text.substr(0, eol);
  if (old_header == header) return;
  if (header.rfind(old_header + ",", 0) != 0) {
    throw std::runtime_error(path + ": its header '" + old_header + "' is not '" + header +
                             "' nor a prefix of it; move the file away to start a new log");
  }
  const std::string padding(
      static_cast<std::size_t>(std::count(
          header.begin() + static_cast<std::ptrdiff_t>(old_header.size()), header.end(), ',')),
      ',');
  std::string upgraded = header + "\n";
  std::size_t start = eol == std::string::npos ? text.size() : eol + 1;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    upgraded += text.substr(start, end - start) + padding + "\n";
    start = end + 1;
  }
  write_file_atomic(path, upgraded);
}

}  // namespace

CsvLog::CsvLog(const std::string& path, const std::vector<std::string>& columns)
    : columns_(columns.size()), path_(path) {
  const bool fresh = !std::filesystem::exists(path) || std::filesystem::file_size(path) == 0;
  if (!fresh) {
    std::string header;
    for (std::size_t i = 0; i < columns.size(); ++i) header += (i ? "," : "") + columns[i];
    upgrade_csv_header(path, header);
  }
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error(path + ": cannot open for appending");
  if (fresh) row(columns);
}

void CsvLog::row(const std::vector<std::string>& values) {
  if (values.size() != columns_)
    throw std::logic_error(path_ + ": row has " + std::to_string(values.size()) + " values for " +
                           std::to_string(columns_) + " columns");
  for (std::size_t i = 0; i < values.size(); ++i) out_ << (i ? "," : "") << values[i];
  out_ << '\n';
  out_.flush();
}

std::size_t drop_csv_rows_after(const std::string& path, std::size_t column, std::int64_t step) {
  if (!std::filesystem::exists(path)) return 0;
  const std::string text = read_file(path);
  std::string kept;
  std::size_t dropped = 0;
  bool header = true;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    bool drop = false;
    if (!header) {
      std::size_t from = 0;
      for (std::size_t i = 0; i < column && from != std::string_view::npos; ++i) {
        from = line.find(',', from);
        if (from != std::string_view::npos) ++from;
      }
      if (from != std::string_view::npos) {
        std::int64_t value = 0;
        const auto cell = line.substr(from, line.find(',', from) - from);
        const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
        drop = ec == std::errc() && ptr == cell.data() + cell.size() && value > step;
      }
    }
    header = false;
    if (drop) {
      ++dropped;
    } else {
      kept.append(line);
      kept += '\n';
    }
    start = end + 1;
  }
  if (dropped > 0) write_file_atomic(path, kept);
  return dropped;
}

double LinearSchedule::at(std::int64_t step) const {
  if (warmup > 0 && step < warmup)
    return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (step >= total) return 0.0;
  const double span = static_cast<double>(std::max<std::int64_t>(1, total - warmup));
  return peak * std::max(0.0, static_cast<double>(total - step) / span);
}

double peak_rss_mib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

std::int64_t replan_total_steps(std::int64_t first, std::int64_t done, double elapsed,
                                double budget) {
  const auto steps = std::max<std::int64_t>(1, done - first);
  const double per_step = std::max(1e-9, elapsed) / static_cast<double>(steps);
  const double left = std::max(0.0, budget - elapsed) / per_step;
  return done + std::max<std::int64_t>(1, static_cast<std::int64_t>(left));
}

}  // namespace jointnlu::train
