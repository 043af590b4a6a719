#include "train/distributed.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace jointnlu::train {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

std::vector<std::uint8_t> to_bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string from_bytes(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

// The rendezvous before Gloo's: rank 0 publishes its world size; every other rank compares its own
// and reports its arrival (with a refusal when they differ); rank 0 waits for all arrivals, and
// fails at once on a refusal, or at the timeout naming the ranks that never came.
void arrive(c10d::Store& store, const DistributedOptions& o) {
  const std::string world_key = "jointnlu/world_size";
  const auto arrival = [](int rank) { return "jointnlu/arrived/" + std::to_string(rank); };
  if (o.rank != 0) {
    const std::string theirs = from_bytes(store.get(world_key));
    const std::string refusal =
        theirs == std::to_string(o.world_size)
            ? ""
            : "rank " + std::to_string(o.rank) + " was started with a different world size: '" +
                  std::to_string(o.world_size) + "' where rank 0 has '" + theirs + "'";
    store.set(arrival(o.rank), to_bytes(refusal));
    if (!refusal.empty()) throw DistributedError("refusing the job: " + refusal);
    return;
  }
  store.set(world_key, to_bytes(std::to_string(o.world_size)));
  std::vector<bool> arrived(static_cast<std::size_t>(o.world_size), false);
  arrived[0] = true;
  const auto deadline = Clock::now() + millis(o.timeout_seconds);
  for (;;) {
    std::string missing;
    for (int r = 1; r < o.world_size; ++r) {
      if (arrived[static_cast<std::size_t>(r)]) continue;
      if (store.check({arrival(r)})) {
        const std::string refusal = from_bytes(store.get(arrival(r)));
        if (!refusal.empty()) throw DistributedError("refusing the job: " + refusal);
        arrived[static_cast<std::size_t>(r)] = true;
      } else {
        missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      }
    }
    if (missing.empty()) return;
    if (Clock::now() > deadline)
      throw DistributedError("rank 0 of " + std::to_string(o.world_size) + ": rank(s) " + missing +
                             " did not arrive within " +
                             std::to_string(static_cast<int>(o.timeout_seconds)) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

struct DataParallel::Impl {
  DistributedOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  CommunicationStats stats;
  std::int64_t agreements = 0;

  // Runs one collective, timing it and turning c10d's errors into ours.
  template <class F>
  void collective(const char* what, std::int64_t bytes, F&& run) {
    const auto t0 = Clock::now();
    try {
      run();
    } catch (const std::exception& e) {
      throw DistributedError("rank " + std::to_string(options.rank) + " of " +
                             std::to_string(options.world_size) + ": " + what +
                             " failed (another rank died, stalled past the " +
                             std::to_string(static_cast<int>(options.timeout_seconds)) +
                             " s timeout, or left the job): " + e.what());
    }
    stats.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    stats.bytes += bytes;
    ++stats.collectives;
  }

  void all_reduce(torch::Tensor& flat, const char* what) {
    std::vector<at::Tensor> t{flat};
    collective(what, flat.numel() * static_cast<std::int64_t>(flat.element_size()),
               [&] { group->allreduce(t)->wait(); });
  }

  void broadcast(torch::Tensor& flat, const char* what) {
    std::vector<at::Tensor> t{flat};
    collective(what, flat.numel() * static_cast<std::int64_t>(flat.element_size()),
               [&] { group->broadcast(t)->wait(); });
  }
};

std::shared_ptr<DataParallel> DataParallel::join(const DistributedOptions& o) {
  if (o.world_size < 2) throw std::invalid_argument("distributed: world size must be at least 2");
  if (o.rank < 0 || o.rank >= o.world_size)
    throw std::invalid_argument("distributed: rank " + std::to_string(o.rank) + " is outside 0.." +
                                std::to_string(o.world_size - 1));
  auto impl = std::make_unique<Impl>();
  impl->options = o;
  const std::string where = o.master_host + ":" + std::to_string(o.master_port);
  spdlog::info("distributed: rank {} of {} joining {} (timeout {} s)", o.rank, o.world_size, where,
               o.timeout_seconds);
  const auto t0 = Clock::now();
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<std::size_t>(o.world_size);
    so.waitWorkers = false;  // arrive() waits, naming the ranks that refused or never came
    so.timeout = millis(o.timeout_seconds);
    impl->store = c10::make_intrusive<c10d::TCPStore>(o.master_host, so);
    arrive(*impl->store, o);
    auto go = c10d::ProcessGroupGloo::Options::create();
    go->timeout = millis(o.timeout_seconds);
    // Gloo's transport binds to the address that reaches the master: the local loopback for a
    // local job, the machine's outward interface for a multi-machine one.
    go->devices.push_back(o.master_host == "127.0.0.1" || o.master_host == "localhost"
                              ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                              : c10d::ProcessGroupGloo::createDefaultDevice());
    go->threads = 1;
    impl->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, o.rank, o.world_size, go);
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(
        "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) +
        ": could not join the job at " + where + " within " +
        std::to_string(static_cast<int>(o.timeout_seconds)) +
        " s (is every rank started, with the same master and world size?): " + e.what());
  }
  spdlog::info("distributed: all {} ranks joined in {:.1f} s", o.world_size,
               std::chrono::duration<double>(Clock::now() - t0).count());
  return std::shared_ptr<DataParallel>(new DataParallel(std::move(impl)));
}

DataParallel::DataParallel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataParallel::~DataParallel() = default;

int DataParallel::rank() const { return impl_->options.rank; }
int DataParallel::world_size() const { return impl_->options.world_size; }
const CommunicationStats& DataParallel::stats() const { return impl_->stats; }

void DataParallel::agree(const std::vector<std::pair<std::string, std::string>>& fields) {
  // Keys are numbered, so that a job can agree several times (resume, then training).
  const std::string round = "agree/" + std::to_string(impl_->agreements++) + "/";
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& [name, value] : fields) mine.push_back({name, value});
  std::string verdict;
  impl_->collective("agreeing on the job", 0, [&] {
    impl_->store->set(round + std::to_string(rank()), to_bytes(mine.dump()));
    const auto root = nlohmann::json::parse(from_bytes(impl_->store->get(round + "0")));
    for (std::size_t i = 0; i < std::max(root.size(), mine.size()) && verdict.empty(); ++i) {
      const std::string name =
          i < mine.size() ? mine[i][0].get<std::string>() : root[i][0].get<std::string>();
      const std::string theirs = i < root.size() ? root[i][1].get<std::string>() : "(absent)";
      const std::string ours = i < mine.size() ? mine[i][1].get<std::string>() : "(absent)";
      if (i >= root.size() || i >= mine.size() || root[i][0] != mine[i][0] || theirs != ours)
        verdict = "rank " + std::to_string(rank()) + " was started with a different " + name +
                  ": '" + ours + "' where rank 0 has '" + theirs + "'";
    }
    impl_->store->set(round + "verdict/" + std::to_string(rank()), to_bytes(verdict));
    for (int r = 0; r < world_size() && verdict.empty(); ++r)
      verdict = from_bytes(impl_->store->get(round + "verdict/" + std::to_string(r)));
  });
  if (!verdict.empty()) throw DistributedError("refusing the job: " + verdict);
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  // One flat buffer per dtype (the model's float parameters; integer buffers apart).
  std::map<torch::ScalarType, std::vector<torch::Tensor>> by_type;
  for (const auto& t : tensors)
    if (t.defined()) by_type[t.scalar_type()].push_back(t);
  for (auto& [type, group] : by_type) {
    std::vector<torch::Tensor> flat_parts;
    for (const auto& t : group) flat_parts.push_back(t.detach().reshape({-1}));
    auto flat = torch::cat(flat_parts);
    impl_->broadcast(flat, "broadcasting rank 0's tensors");
    std::int64_t at = 0;
    for (auto& t : group) {
      t.detach().copy_(flat.narrow(0, at, t.numel()).view(t.sizes()));
      at += t.numel();
    }
  }
}

void DataParallel::broadcast_bytes(std::string& bytes) {
  auto size = torch::tensor({static_cast<std::int64_t>(bytes.size())}, torch::kInt64);
  impl_->broadcast(size, "broadcasting a size");
  const auto n = size.item<std::int64_t>();
  auto buffer = torch::empty({n}, torch::kUInt8);
  if (is_root() && n > 0) std::memcpy(buffer.data_ptr(), bytes.data(), bytes.size());
  if (n > 0) impl_->broadcast(buffer, "broadcasting checkpoint bytes");
  bytes.assign(reinterpret_cast<const char*>(buffer.data_ptr()), static_cast<std::size_t>(n));
}

std::vector<double> DataParallel::all_reduce_sum(const std::vector<double>& values) {
  auto t = torch::tensor(values, torch::kFloat64);
  impl_->all_reduce(t, "summing statistics");
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / world_size();
  std::size_t first = 0;
  while (first < parameters.size()) {
    // A bucket: consecutive parameters of one dtype up to kBucketBytes.
    std::size_t last = first;
    std::int64_t bytes = 0;
    const auto type = parameters[first].scalar_type();
    while (last < parameters.size() && parameters[last].scalar_type() == type &&
           (last == first ||
            bytes + parameters[last].numel() * parameters[last].element_size() <= kBucketBytes)) {
      bytes += parameters[last].numel() * parameters[last].element_size();
      ++last;
    }
    std::vector<torch::Tensor> parts;
    for (std::size_t i = first; i < last; ++i) {
      const auto& g = parameters[i].grad();
      parts.push_back(g.defined() ? g.reshape({-1})
                                  : torch::zeros({parameters[i].numel()}, parameters[i].options()));
    }
    auto flat = torch::cat(parts);
    impl_->all_reduce(flat, "averaging gradients");
    flat.mul_(scale);
    std::int64_t at = 0;
    for (std::size_t i = first; i < last; ++i) {
      auto p = parameters[i];
      const auto slice = flat.narrow(0, at, p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(slice);
      else
        p.mutable_grad() = slice.clone();
      at += p.numel();
    }
    first = last;
  }
}

std::pair<std::size_t, std::size_t> DataParallel::shard(std::size_t n) const {
  const auto w = static_cast<std::size_t>(world_size());
  const auto r = static_cast<std::size_t>(rank());
  const std::size_t base = n / w, extra = n % w;
  const std::size_t first = r * base + std::min(r, extra);
  return {first, first + base + (r < extra ? 1 : 0)};
}

Fingerprint& Fingerprint::add(std::string_view bytes) {
  for (const unsigned char c : bytes) hash_ = (hash_ ^ c) * 1099511628211ULL;
  return *this;
}

Fingerprint& Fingerprint::add(std::int64_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  return add(std::string_view(bytes, sizeof bytes));
}

std::string Fingerprint::hex() const {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash_));
  return std::string(buf, 8);
}

std::string model_fingerprint(const torch::nn::Module& module) {
  Fingerprint layout;
  std::int64_t count = 0;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    layout.add(p.key());
    for (const auto d : p.value().sizes()) layout.add(d);
    count += p.value().numel();
  }
  return std::to_string(count) + " parameters, layout " + layout.hex();
}

std::string text_fingerprint(const std::string& text) {
  return std::to_string(text.size()) + " bytes, hash " + Fingerprint().add(text).hex();
}

}  // namespace jointnlu::train
