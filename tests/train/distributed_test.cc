// Data-parallel training on c10d/Gloo (train/distributed.h), with the ranks as threads of this
// process: the collectives, a refused job naming the field, a rank that never arrives or leaves,
// and the equivalence that the design promises: 2 ranks with global batch B take the same steps as
// one process with batch B. (tests/cli/distributed_cli_test.sh runs ranks as processes.)
#include "train/distributed.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include "test_util.h"
#include "toy_teacher.h"
#include "train/batching.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train/recipes/recipe_fields.h"
#include "train/trainer.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::TempDir;

// A port nobody listens on now (the kernel's choice for a socket bound to port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 29400 + static_cast<int>(::getpid() % 500);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

DistributedOptions options(int rank, int port, double timeout = 30) {
  DistributedOptions o;
  o.world_size = 2;
  o.rank = rank;
  o.master_port = port;
  o.timeout_seconds = timeout;
  return o;
}

// Runs f(rank, group) on two threads joined into one job; rethrows the first failure.
template <class F>
void on_two_ranks(F f) {
  const int port = free_port();
  auto run = [&](int rank) { f(rank, DataParallel::join(options(rank, port))); };
  auto other = std::async(std::launch::async, run, 1);
  run(0);
  other.get();
}

// torchrun's variables fill what the recipe leaves unset; the recipe's own values win; a bad value
// names the field (and the variable it came from).
TEST(DataParallel, ResolvesRecipeFieldsAndTorchrunsEnvironment) {
  for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
  DistributedFields f;
  auto o = resolve_distributed(f);
  EXPECT_FALSE(o.enabled());
  EXPECT_EQ(o.master_host, "127.0.0.1");
  EXPECT_EQ(o.master_port, DistributedOptions::kDefaultPort);
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("MASTER_ADDR", "10.0.0.1", 1);
  ::setenv("MASTER_PORT", "1234", 1);
  o = resolve_distributed(f);
  EXPECT_EQ(o.world_size, 4);
  EXPECT_EQ(o.rank, 3);
  EXPECT_EQ(o.master_host, "10.0.0.1");
  EXPECT_EQ(o.master_port, 1234);
  f.world_size = 2;
  f.rank = 1;
  f.master = "host:99";
  o = resolve_distributed(f);
  EXPECT_EQ(o.world_size, 2);
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.master_host, "host");
  EXPECT_EQ(o.master_port, 99);
  const auto refused_field = [](const DistributedFields& fields) {
    try {
      resolve_distributed(fields);
    } catch (const RecipeError& e) {
      return e.field() + ": " + e.problem();
    }
    return std::string("accepted");
  };
  f = DistributedFields{};
  ::setenv("RANK", "x1", 1);
  EXPECT_EQ(refused_field(f), "rank: $RANK 'x1' is not a whole number in 0..65535");
  ::setenv("RANK", "4", 1);
  EXPECT_EQ(refused_field(f), "rank: 4 is outside a job of 4 ranks (0..3)");
  ::unsetenv("RANK");
  f.master = "no-port";
  EXPECT_EQ(refused_field(f), "master: 'no-port' is not HOST:PORT");
  f.master = "h:70000";
  EXPECT_EQ(refused_field(f), "master: port '70000' is not a whole number in 1..65535");
  f.master.clear();
  f.dist_timeout = 0;
  EXPECT_EQ(refused_field(f), "dist_timeout: must be in (0, 86400] seconds");
  for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
}

TEST(DataParallel, BroadcastsSumsAveragesAndShards) {
  on_two_ranks([](int rank, std::shared_ptr<DataParallel> g) {
    EXPECT_EQ(g->rank(), rank);
    auto a = torch::full({3}, static_cast<float>(rank + 1));
    auto b = torch::full({2, 2}, static_cast<double>(10 * rank));
    g->broadcast({a, b});
    EXPECT_TRUE(torch::equal(a, torch::full({3}, 1.0f)));
    EXPECT_TRUE(torch::equal(b, torch::zeros({2, 2}, torch::kFloat64)));
    std::string bytes = rank == 0 ? std::string("state\0json", 10) : "x";
    g->broadcast_bytes(bytes);
    EXPECT_EQ(bytes, std::string("state\0json", 10));
    EXPECT_EQ(g->all_reduce_sum({1.0, static_cast<double>(rank)}), (std::vector<double>{2, 1}));
    // Gradients: rank 0 has 2 on p and none on q; rank 1 has 4 on p and 6 on q.
    auto p = torch::zeros({2}, torch::requires_grad());
    auto q = torch::zeros({1}, torch::requires_grad());
    p.mutable_grad() = torch::full({2}, rank == 0 ? 2.0f : 4.0f);
    if (rank == 1) q.mutable_grad() = torch::full({1}, 6.0f);
    g->average_gradients({p, q});
    EXPECT_TRUE(torch::allclose(p.grad(), torch::full({2}, 3.0f)));
    ASSERT_TRUE(q.grad().defined());  // created where this rank's backward left none
    EXPECT_TRUE(torch::allclose(q.grad(), torch::full({1}, 3.0f)));
    // 5 rows: 3 + 2; 1 row: rank 1 gets none.
    using Rows = std::pair<std::size_t, std::size_t>;
    EXPECT_EQ(g->shard(5), rank == 0 ? Rows(0, 3) : Rows(3, 5));
    EXPECT_EQ(g->shard(1).second - g->shard(1).first, rank == 0 ? 1u : 0u);
    EXPECT_GT(g->stats().collectives, 0);
  });
}

TEST(DataParallel, RefusesARankStartedWithAnotherJobNamingTheField) {
  on_two_ranks([](int rank, std::shared_ptr<DataParallel> g) {
    g->agree({{"model", "5 parameters"}, {"vocab", "same"}});  // agreeing passes
    try {
      g->agree({{"model", "5 parameters"}, {"vocab", rank == 0 ? "21128 tokens" : "7000 tokens"}});
      ADD_FAILURE() << "rank " << rank << " accepted a different vocabulary";
    } catch (const DistributedError& e) {
      // Both ranks refuse, with the field and both values.
      EXPECT_NE(std::string(e.what()).find("rank 1 was started with a different vocab: "
                                           "'7000 tokens' where rank 0 has '21128 tokens'"),
                std::string::npos)
          << e.what();
    }
  });
}

TEST(DataParallel, RefusesARankStartedWithAnotherWorldSizeNamingIt) {
  const int port = free_port();
  const auto join_expecting_refusal = [port](int rank, int world_size) {
    auto o = options(rank, port, 20);
    o.world_size = world_size;
    try {
      DataParallel::join(o);
      ADD_FAILURE() << "rank " << rank << " joined";
    } catch (const DistributedError& e) {
      EXPECT_NE(std::string(e.what()).find(
                    "rank 1 was started with a different world size: '3' where rank 0 has '2'"),
                std::string::npos)
          << e.what();
    }
  };
  auto other = std::async(std::launch::async, join_expecting_refusal, 1, 3);
  join_expecting_refusal(0, 2);
  other.get();
}

TEST(DataParallel, ARankThatNeverArrivesIsAnErrorWithinTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    DataParallel::join(options(0, free_port(), 2.0));
    ADD_FAILURE() << "joined a job of two alone";
  } catch (const DistributedError& e) {
    EXPECT_NE(std::string(e.what()).find("rank(s) 1 did not arrive within 2 s"), std::string::npos)
        << e.what();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 10.0);
}

TEST(DataParallel, ARankThatLeavesMakesTheOtherFailNotHang) {
  const int port = free_port();
  auto other = std::async(std::launch::async, [&] {
    auto g = DataParallel::join(options(1, port, 5.0));
    g->all_reduce_sum({1.0});
  });  // rank 1 then leaves the job (its group is destroyed)
  auto g = DataParallel::join(options(0, port, 5.0));
  g->all_reduce_sum({1.0});
  other.get();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(g->all_reduce_sum({1.0}), DistributedError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

// The toy teacher without any dropout, so that the ranks' random streams do not matter.
struct ToyJob : jointnlu::testing::ToyTeacherData {
  ToyJob() : ToyTeacherData(0.0) {}

  JointAlbert model(std::uint64_t seed) const {
    torch::manual_seed(seed);
    return JointAlbert(spec.albert, labels);
  }

  // Trains with the given (global) batch size for `steps` steps; class weights on, so that the
  // shards' denominators are weighted sums.
  void fit(JointAlbert& m, const std::string& dir, std::shared_ptr<DataParallel> g,
           std::int64_t steps = 7, bool resume = false) const {
    TrainerOptions o;
    o.out_dir = dir;
    o.epochs = 3;
    o.batch_size = 3;  // 8 examples: batches of 3, 3, 2; shards of 2+1 and 1+1 rows
    o.lr = 3e-3;
    o.patience = 0;
    o.max_steps = steps;
    o.resume = resume;
    o.progress_interval = 1e9;
    TrainerHooks h;
    h.checkpoint = [this](StateDict t) {
      return teacher_checkpoint(spec, tokenizer, std::move(t));
    };
    const auto counts = count_labels(encoded, labels);
    JointCriterion criterion(LossWeights{1, 1, 2},
                             class_weights(counts.domain, ClassWeighting::kInverse),
                             class_weights(counts.intent, ClassWeighting::kSqrt));
    Trainer(as_joint_model(m), criterion, batcher, o, h, std::move(g)).fit(encoded);
  }

  // The same on two ranks (threads); rank 1 starts from other weights, which the broadcast must
  // replace with rank 0's. Returns both ranks' models.
  std::pair<JointAlbert, JointAlbert> fit_on_two_ranks(const std::string& dir0,
                                                       const std::string& dir1, std::int64_t steps,
                                                       bool resume) const {
    auto rank0 = model(7);
    auto rank1 = model(8);
    on_two_ranks([&](int rank, std::shared_ptr<DataParallel> g) {
      fit(rank == 0 ? rank0 : rank1, rank == 0 ? dir0 : dir1, std::move(g), steps, resume);
    });
    return {rank0, rank1};
  }
};

double max_abs_difference(const torch::nn::Module& a, const torch::nn::Module& b) {
  double worst = 0;
  const auto pa = a.named_parameters();
  const auto pb = b.named_parameters();
  for (const auto& p : pa)
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  return worst;
}

TEST(DataParallel, TwoRanksTakeTheStepsOfOneProcessWithTheWholeBatch) {
  torch::set_num_threads(1);
  const ToyJob s;
  TempDir single_dir, parallel_dir;
  auto single = s.model(7);
  s.fit(single, single_dir.path(), nullptr);

  const auto [rank0, rank1] =
      s.fit_on_two_ranks(parallel_dir.path(), parallel_dir.path(), 7, false);
  auto fresh = s.model(7);
  EXPECT_GT(max_abs_difference(*single, *fresh), 1e-3);  // the 7 steps did move the weights
  // Same steps up to float summation order (shards sum in another order): 1e-5 after 7 AdamW
  // steps of lr 3e-3.
  const double delta = max_abs_difference(*single, *rank0);
  std::cout << "max |single - 2 ranks| after 7 steps: " << delta << "\n";
  EXPECT_LT(delta, 1e-5);
  EXPECT_LT(max_abs_difference(*rank0, *rank1), 1e-7);  // the ranks stay identical
}

TEST(DataParallel, ResumesWithTwoRanksFromRankZerosCheckpoint) {
  torch::set_num_threads(1);
  const ToyJob s;
  TempDir single_dir, parallel_dir;
  auto single = s.model(7);
  s.fit(single, single_dir.path(), nullptr);
  // 4 steps, stop; resume to 7. Rank 1 is given a directory that does not exist: everything it
  // resumes from comes from rank 0.
  const std::string nowhere = parallel_dir.file("not-there");
  s.fit_on_two_ranks(parallel_dir.path(), nowhere, 4, false);
  const auto [rank0, rank1] = s.fit_on_two_ranks(parallel_dir.path(), nowhere, 7, true);
  EXPECT_LT(max_abs_difference(*single, *rank0), 1e-5);
  EXPECT_LT(max_abs_difference(*rank0, *rank1), 1e-7);
  EXPECT_FALSE(std::filesystem::exists(nowhere));
}

}  // namespace
}  // namespace jointnlu::train
