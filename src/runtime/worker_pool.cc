#include "runtime/worker_pool.h"

namespace jointnlu::runtime {

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::size_t WorkerPool::workers() const {
  const std::lock_guard lock(mutex_);
  return threads_.size();
}

void WorkerPool::run(std::size_t threads, const std::function<void()>& job) {
  if (threads <= 1) {
    job();
    return;
  }
  const std::lock_guard run_lock(run_mutex_);
  const std::size_t helpers = threads - 1;
  {
    std::unique_lock lock(mutex_);
    while (threads_.size() < helpers) {
      const std::size_t index = threads_.size();
      threads_.emplace_back([this, index] { worker_loop(index); });
    }
    job_ = &job;
    wanted_ = helpers;
    running_ = helpers;
    ++generation_;
  }
  wake_.notify_all();
  job();
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return running_ == 0; });
  job_ = nullptr;
}

void WorkerPool::worker_loop(std::size_t index) {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  // A worker started during a run joins that run: `seen` starts behind the current generation.
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || (generation_ != seen && index < wanted_); });
    if (stop_) return;
    seen = generation_;
    const auto* job = job_;
    lock.unlock();
    (*job)();
    lock.lock();
    if (--running_ == 0) done_.notify_one();
  }
}

}  // namespace jointnlu::runtime
