// Data-parallel training on PyTorch's own distributed engine, c10d: rank 0 hosts a TCPStore, every
// rank joins a ProcessGroupGloo through it (what torchrun-launched PyTorch jobs use on CPU). The
// loops (trainer.h, pretrain.h) keep one model per rank, broadcast rank 0's parameters at the
// start, split every global batch between the ranks and average the gradients after backward, so
// N ranks with global batch B take the same steps as one process with batch B.
//
// Failures are errors, never hangs: a rank that does not arrive, dies, or stalls makes every
// collective of the others throw DistributedError within the timeout, and a rank started with a
// different job (agree()) is refused with the field that differs.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "train/distributed_options.h"

namespace jointnlu::train {

class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Time and volume of the collectives, for the scaling figures.
struct CommunicationStats {
  double seconds = 0;            // wall time inside collectives (waiting for others included)
  std::int64_t bytes = 0;        // payload all-reduced or broadcast by this rank
  std::int64_t collectives = 0;  // calls
};

class DataParallel {
 public:
  // Joins the job (rank 0 starts the store and waits for the others). Throws DistributedError
  // when a rank does not arrive within the timeout or the store cannot be reached.
  static std::shared_ptr<DataParallel> join(const DistributedOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  bool is_root() const { return rank() == 0; }

  // Every rank states what must be the same job (model shape, vocabulary, data, schedule) as
  // ordered (field, value) pairs; each compares with rank 0's. Throws DistributedError on every
  // rank when any differs, naming the rank, the field and both values.
  void agree(const std::vector<std::pair<std::string, std::string>>& fields);

  // Overwrites the tensors with rank 0's (in place; one flat buffer per dtype).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Rank 0's bytes on every rank (a checkpoint file, a state).
  void broadcast_bytes(std::string& bytes);
  // Sums small float64 values over the ranks (loss normalizers, statistics, flags).
  std::vector<double> all_reduce_sum(const std::vector<double>& values);

  // Averages the gradients of `parameters` over the ranks, in buckets of about bucket_bytes, and
  // writes the average into every parameter's grad (creating it where this rank's backward left
  // none), so clipping and the optimizer see the same gradient everywhere.
  void average_gradients(const std::vector<torch::Tensor>& parameters);

  // Rows [first, last) of a global batch of n rows that this rank takes: contiguous, the sizes
  // differ by at most one. Possibly empty when n < world size.
  std::pair<std::size_t, std::size_t> shard(std::size_t n) const;

  const CommunicationStats& stats() const;
  static constexpr std::int64_t kBucketBytes = 8 << 20;  // 8 MiB per all-reduce

 private:
  struct Impl;
  explicit DataParallel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A 64-bit FNV-1a hash built piece by piece: what agree()'s fields compare instead of whole data.
class Fingerprint {
 public:
  Fingerprint& add(std::string_view bytes);
  Fingerprint& add(std::int64_t value);  // its 8 bytes
  std::string hex() const;               // the first 8 hex digits: enough to tell jobs apart

 private:
  std::uint64_t hash_ = 1469598103934665603ULL;
};

// "5712384 parameters, layout 1f3a9c2e": the count and a hash of every (name, shape), so that
// agree() names a model of another shape.
std::string model_fingerprint(const torch::nn::Module& module);
// A short hash of a text (a vocabulary, a data file), for agree().
std::string text_fingerprint(const std::string& text);

}  // namespace jointnlu::train
