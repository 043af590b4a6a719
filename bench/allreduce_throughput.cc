// The bare cost of one data-parallel step's gradient exchange on this machine: two ranks (this
// process and a forked child, one compute thread each) join a job through train/distributed.h and
// average gradients of the given size, with nothing else running, so bench/distributed_scaling.sh
// can tell transfer from waiting for a slower rank.
//
//   build/bench/allreduce_throughput [MEGABYTES=8.61] [REPEATS=30]
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "train/distributed.h"

int main(int argc, char** argv) {
  const double megabytes = argc > 1 ? std::atof(argv[1]) : 8.61;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 30;
  if (!(megabytes > 0) || repeats < 1) {
    std::fprintf(stderr, "usage: %s [MEGABYTES > 0] [REPEATS >= 1]\n", argv[0]);
    return 2;
  }
  const int port = 29000 + static_cast<int>(::getpid() % 1000);
  const pid_t child = ::fork();
  if (child < 0) return 1;
  const int rank = child == 0 ? 1 : 0;
  torch::set_num_threads(1);
  spdlog::set_level(spdlog::level::warn);  // the result is the one line on stdout
  jointnlu::train::DistributedOptions o;
  o.world_size = 2;
  o.rank = rank;
  o.master_port = port;
  o.timeout_seconds = 60;
  try {
    auto job = jointnlu::train::DataParallel::join(o);
    // Parameters of about 1 MB each, like a model's matrices, with gradients set.
    const auto total = static_cast<std::int64_t>(megabytes * 1e6 / 4);
    std::vector<torch::Tensor> params;
    for (std::int64_t left = total; left > 0; left -= 250000) {
      auto p = torch::zeros({std::min<std::int64_t>(left, 250000)}, torch::requires_grad());
      p.mutable_grad() = torch::ones_like(p);
      params.push_back(p);
    }
    for (int i = 0; i < 3; ++i) job->average_gradients(params);  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) job->average_gradients(params);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        repeats;
    if (rank == 0)
      std::printf("{\"megabytes\": %.3f, \"ranks\": 2, \"milliseconds_per_step\": %.3f}\n",
                  static_cast<double>(total) * 4 / 1e6, ms);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    return 1;
  }
  if (child > 0) {
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  return 0;
}
