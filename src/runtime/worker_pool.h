// Threads that stay alive between parse_batch() calls. Starting threads per call cost more than
// the work of a small batch, and each new thread's scratch (a BatchWorkspace, ~1 MB) came from
// fresh pages: in a single-thread parse_batch loop, page faults and unmapping were 5% of the time.
// Workers keep their thread_local scratch for as long as the pool lives.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jointnlu::runtime {

class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // waits for the workers to finish and joins them

  // Runs job() on `threads` threads at once, the calling thread being one of them, and returns
  // when every call has returned. Workers are started on first need and then kept. One run at a
  // time: a concurrent caller waits for the current run to end. job must not throw.
  void run(std::size_t threads, const std::function<void()>& job);

  std::size_t workers() const;

 private:
  void worker_loop(std::size_t index);

  std::mutex run_mutex_;          // one run() at a time
  mutable std::mutex mutex_;      // everything below
  std::condition_variable wake_;  // workers: a new run, or stop
  std::condition_variable done_;  // run(): the last worker finished
  std::vector<std::thread> threads_;
  const std::function<void()>* job_ = nullptr;
  std::size_t generation_ = 0;  // bumped per run, so each worker joins each run once
  std::size_t wanted_ = 0;      // workers taking part in the current run (indices below this)
  std::size_t running_ = 0;     // of those, still in job()
  bool stop_ = false;
};

}  // namespace jointnlu::runtime
