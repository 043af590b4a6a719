#include "train/torch_env.h"

#include <dlfcn.h>
#include <link.h>
#include <torch/torch.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

namespace jointnlu::train {
namespace {

int collect(struct dl_phdr_info* info, size_t, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  if (info->dlpi_name && *info->dlpi_name) names->emplace_back(info->dlpi_name);
  return 0;
}

}  // namespace

BlasInfo inspect_blas() {
  BlasInfo out;
  torch::NoGradGuard no_grad;
  auto a = torch::randn({512, 512});
  auto b = torch::randn({512, 512});
  torch::mm(a, b);  // warm-up; loads the BLAS
  const int reps = 10;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) torch::mm(a, b);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.sgemm_gflops = reps * 2.0 * 512 * 512 * 512 / s / 1e9;

  std::vector<std::string> names;
  dl_iterate_phdr(collect, &names);
  for (const auto& n : names) {
    if (n.find("blas") == std::string::npos) continue;
    char resolved[PATH_MAX];
    const std::string path = realpath(n.c_str(), resolved) ? std::string(resolved) : n;
    out.library = path;
    if (path.find("openblas") != std::string::npos) {
      out.openblas = true;
      break;
    }
  }
  return out;
}

namespace {

// OpenBLAS (Debian's pthread build) keeps its own pool, sized to the cores at load time, which
// torch::set_num_threads does not touch: with --threads 1 a second OpenBLAS thread still ran at
// ~70% of a core, mostly in sched_yield (300k+ context switches/s, 30% system time), and two
// single-thread trainings on a 2-core machine slowed each other down. Found through
// dl_iterate_phdr + dlopen(RTLD_NOLOAD): the library may sit in a plugin's local scope, where
// dlsym(RTLD_DEFAULT) cannot see it.
//
// Calls f(symbol) for the OpenBLAS function `symbol` of each loaded BLAS that has it.
template <typename F>
void for_each_openblas(const char* symbol, F&& f) {
  std::vector<std::string> names;
  dl_iterate_phdr(collect, &names);
  for (const auto& name : names) {
    if (name.find("blas") == std::string::npos) continue;
    void* handle = dlopen(name.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    if (void* fn = dlsym(handle, symbol)) f(fn);
    dlclose(handle);  // drops the reference RTLD_NOLOAD added; the library stays loaded
  }
}

void set_blas_threads(int n) {
  for_each_openblas("openblas_set_num_threads",
                    [n](void* fn) { reinterpret_cast<void (*)(int)>(fn)(n); });
}

}  // namespace

int blas_threads() {
  int n = -1;
  for_each_openblas("openblas_get_num_threads",
                    [&n](void* fn) { n = reinterpret_cast<int (*)()>(fn)(); });
  return n;
}

int configure_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  set_blas_threads(n);
  return torch::get_num_threads();
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name != "cuda" && name.rfind("cuda:", 0) != 0)
    throw std::invalid_argument("device '" + name + "': expected cpu, cuda or cuda:N");
  if (!torch::cuda::is_available())
    throw std::invalid_argument(
        "device '" + name +
        "': no CUDA GPU is usable (this libtorch has no CUDA support, or no "
        "GPU is visible); build against a CUDA libtorch (DEVELOPERS.md)");
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(name);  // parses the index
  } catch (const c10::Error&) {
    throw std::invalid_argument("device '" + name + "': expected cpu, cuda or cuda:N");
  }
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (device.has_index() && device.index() >= count)
    throw std::invalid_argument("device '" + name + "': only " + std::to_string(count) +
                                " CUDA device(s) visible");
  return device;
}

}  // namespace jointnlu::train
