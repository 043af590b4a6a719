// Which data-parallel job a training process belongs to (train/distributed.h). Torch-free, so the
// recipes, which the CLI binary includes, can carry it as fields.
#pragma once

#include <string>

namespace jointnlu::train {

// Settings of one rank. The fields of a recipe (world_size, rank, master, dist_timeout) leave a
// value unset as 0 / -1 / "", which takes it from the environment variables torchrun sets
// (WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT), else from the defaults below.
struct DistributedOptions {
  static constexpr int kDefaultPort = 29500;  // torchrun's

  int world_size = 1;  // processes in the job; 1: no distribution at all
  int rank = 0;        // this process, 0 .. world_size-1; rank 0 hosts the store and writes
  std::string master_host = "127.0.0.1";  // where rank 0 listens
  int master_port = kDefaultPort;
  // A rank that does not arrive, or a collective that does not complete, fails after this long.
  // It must exceed the longest pause between two steps (rank 0 evaluating and saving).
  double timeout_seconds = 300;

  bool enabled() const { return world_size > 1; }
  bool is_root() const { return rank == 0; }
};

// The recipe fields of a data-parallel job (TrainingRecipe, PretrainRecipe): each recipe's visit()
// calls this one's, so the four flags and their defaults exist once.
struct DistributedFields {
  int world_size = 0;  // ranks in the job (0: WORLD_SIZE, else 1)
  int rank = -1;       // this process's rank (-1: RANK, else 0)
  std::string master;  // HOST:PORT of rank 0 ("": MASTER_ADDR:MASTER_PORT, else local)
  double dist_timeout = DistributedOptions{}.timeout_seconds;  // seconds before a stall fails

  template <class V>
  void visit(V&& v) {
    v("world_size", world_size,
      "Data-parallel training: number of ranks (0: $WORLD_SIZE, else 1 = not distributed)");
    v("rank", rank, "Data-parallel training: this process's rank (-1: $RANK, else 0)");
    v("master", master,
      "Data-parallel training: HOST:PORT where rank 0 listens (empty: $MASTER_ADDR:$MASTER_PORT, "
      "else 127.0.0.1:29500)");
    v("dist_timeout", dist_timeout,
      "Data-parallel training: seconds after which a missing or stalled rank is an error");
  }
};

// The options from recipe fields: world_size <= 0, rank < 0 and an empty master ("HOST:PORT")
// are read from WORLD_SIZE, RANK and MASTER_ADDR / MASTER_PORT when set. Throws
// std::invalid_argument naming the field or variable that is malformed or out of range.
DistributedOptions resolve_distributed(const DistributedFields& fields);

}  // namespace jointnlu::train
