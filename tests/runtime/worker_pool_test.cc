#include "runtime/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace jointnlu::runtime {
namespace {

// Each call of the job records its thread; with a barrier the calls must overlap, so the test would
// hang (and time out) if run() ran them one after another instead of on `threads` threads at once.
std::set<std::thread::id> run_with_barrier(WorkerPool& pool, std::size_t threads) {
  std::mutex m;
  std::set<std::thread::id> ids;
  std::atomic<std::size_t> arrived{0};
  pool.run(threads, [&] {
    {
      const std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
    }
    ++arrived;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (arrived.load() < threads && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
  });
  EXPECT_EQ(arrived.load(), threads);
  return ids;
}

TEST(WorkerPool, RunsTheJobOnThatManyThreadsAtOnceIncludingTheCaller) {
  WorkerPool pool;
  const auto ids = run_with_barrier(pool, 3);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 1u);
  EXPECT_EQ(pool.workers(), 2u);
}

TEST(WorkerPool, KeepsItsWorkersAcrossRuns) {
  WorkerPool pool;
  const auto first = run_with_barrier(pool, 3);
  const auto second = run_with_barrier(pool, 3);
  EXPECT_EQ(first, second);  // the same threads, not new ones
  // Fewer threads: a subset of the same workers; more: the pool grows.
  const auto fewer = run_with_barrier(pool, 2);
  EXPECT_EQ(fewer.size(), 2u);
  for (const auto& id : fewer) EXPECT_EQ(first.count(id), 1u);
  EXPECT_EQ(run_with_barrier(pool, 4).size(), 4u);
  EXPECT_EQ(pool.workers(), 3u);
}

TEST(WorkerPool, OneThreadIsTheCallerAlone) {
  WorkerPool pool;
  std::thread::id seen;
  pool.run(1, [&] { seen = std::this_thread::get_id(); });
  EXPECT_EQ(seen, std::this_thread::get_id());
  EXPECT_EQ(pool.workers(), 0u);
}

TEST(WorkerPool, ConcurrentCallersTakeTurnsAndEveryJobRuns) {
  WorkerPool pool;
  std::atomic<int> calls{0}, inside{0}, most_inside{0};
  const auto job = [&] {
    const int now = ++inside;
    int seen = most_inside.load();
    while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --inside;
    ++calls;
  };
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int r = 0; r < 10; ++r) pool.run(2, job);
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(calls.load(), 4 * 10 * 2);
  // One run at a time, the caller's own call included: never more than one run's two calls.
  EXPECT_LE(most_inside.load(), 2);
}

}  // namespace
}  // namespace jointnlu::runtime
