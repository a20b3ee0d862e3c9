// Thread-count policy and fork safety; see threads.hpp for the contract.
#include "pixnorm/threads.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define PIXNORM_HAVE_ATFORK 1
#endif

#if defined(PIXNORM_WITH_OPENMP)
#include <omp.h>
#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif
#endif

namespace pixnorm::threads {

namespace {

// All lock-free atomics: the fork child handler may only store to these.
std::atomic<int> g_user{0};  // set_num_threads in this process, 0 = unset
std::atomic<int> g_env{0};   // PIXNORM_NUM_THREADS / OMP_NUM_THREADS, 0 = unset
std::atomic<int> g_cpus{1};  // CPUs this process may use
std::atomic<bool> g_worker{false};
std::atomic<bool> g_forked{false};
std::atomic<bool> g_team_built{false};  // this process (or a fork ancestor) ran a parallel region
std::atomic<bool> g_unsafe{false};      // forked after a team was built: never enter OpenMP
std::atomic<bool> g_warned{false};

// Measured with `python bench/bench_normalize.py --threshold` on the 2-core Zen 4 machine
// (median of 15 interleaved rounds, warm thread team): 2 threads vs 1 on RGB normalize were
// 0.74x at 32x32 (3k outputs), 0.95x at 64x64 (12k), 1.08x at 96x96 (28k), 1.23x at 128x128
// (49k), 1.59x at 224x224 (151k), 2.4x at 384x384 (both cores' L2). A second thread pays off
// (> 10%) from about 2^15 float32 outputs; below that, waking the team costs more than it saves.
constexpr int64_t kDefaultParallelMinElements = int64_t{1} << 15;
std::atomic<int64_t> g_parallel_min{kDefaultParallelMinElements};

extern "C" void pixnorm_on_fork_child() {
  // Async-signal-safe: plain atomic stores only (no OpenMP, malloc or Python calls).
  g_forked.store(true, std::memory_order_relaxed);
  g_user.store(0, std::memory_order_relaxed);  // set_num_threads applies to the process it ran in
  g_warned.store(false, std::memory_order_relaxed);
  if (g_team_built.load(std::memory_order_relaxed)) g_unsafe.store(true, std::memory_order_relaxed);
}

void ensure_atfork() {
#if defined(PIXNORM_HAVE_ATFORK)
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, &pixnorm_on_fork_child); });
#endif
}

}  // namespace

void configure_defaults(int env, int cpus, bool worker) {
  ensure_atfork();
  if (env < 0) throw std::invalid_argument("thread count from the environment must be >= 0");
  g_env.store(std::min(env, kMaxThreads));
  g_cpus.store(std::clamp(cpus, 1, kMaxThreads));
  g_worker.store(worker);
}

void set_user_threads(int n) {
  if (n < 0 || n > kMaxThreads)
    throw std::invalid_argument("n must be >= 0 (0 restores the default) and <= " +
                                std::to_string(kMaxThreads) + ", got " + std::to_string(n));
  ensure_atfork();
  g_user.store(n);
}

int user_threads() { return g_user.load(); }

int requested_threads() {
  if (int u = g_user.load()) return u;
  if (int e = g_env.load()) return e;
  if (g_forked.load() || g_worker.load()) return 1;
  return g_cpus.load();
}

int effective_threads() {
  if (!openmp_enabled() || g_unsafe.load()) return 1;
  return requested_threads();
}

int64_t parallel_min_elements() { return g_parallel_min.load(std::memory_order_relaxed); }
void set_parallel_min_elements(int64_t n) {
  g_parallel_min.store(n < 0 ? kDefaultParallelMinElements : n, std::memory_order_relaxed);
}

int team_for(int64_t work, int nthreads) {
  const int64_t min = parallel_min_elements();
  if (nthreads <= 1 || work < min) return 1;
  // More threads than 4 per CPU only cost memory (each has a stack; past a few hundred, libgomp
  // may fail to create one and end the process).
  int64_t cap = std::min(kMaxThreads, 4 * g_cpus.load());
  if (min > 0) cap = std::min<int64_t>(cap, std::max<int64_t>(2, 2 * work / min));
  return static_cast<int>(std::min<int64_t>(nthreads, cap));
}

bool in_forked_child() { return g_forked.load(); }
bool fork_unsafe() { return g_unsafe.load(); }

bool take_fork_warning() {
  if (!g_unsafe.load() || requested_threads() <= 1) return false;
  return !g_warned.exchange(true);
}

bool openmp_enabled() {
#if defined(PIXNORM_WITH_OPENMP)
  return true;
#else
  return false;
#endif
}

std::string openmp_runtime() {
#if defined(PIXNORM_WITH_OPENMP) && (defined(__unix__) || defined(__APPLE__))
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&omp_get_max_threads), &info) && info.dli_fname)
    return info.dli_fname;
  return "unknown";
#else
  return "";
#endif
}

int openmp_spec() {
#if defined(PIXNORM_WITH_OPENMP)
  return _OPENMP;
#else
  return 0;
#endif
}

namespace {

// The common start of parallel_for and parallel_items: clamps nthreads, runs `body` inline and
// returns true when one thread will do (or a team is unsafe); else marks the team as built.
bool run_inline(int64_t count, int& nthreads, void (*body)(void*, int64_t, int64_t), void* ctx) {
  if (count <= 0) return true;
  if (nthreads > count) nthreads = static_cast<int>(count);
  if (nthreads > kMaxThreads) nthreads = kMaxThreads;
#if defined(PIXNORM_WITH_OPENMP)
  if (nthreads > 1 && !g_unsafe.load()) {
    ensure_atfork();
    g_team_built.store(true);  // before the region: a fork during it must also count as unsafe
    return false;
  }
#endif
  body(ctx, 0, count);
  return true;
}

}  // namespace

void parallel_for(int64_t count, int nthreads, void (*body)(void*, int64_t, int64_t), void* ctx) {
  if (run_inline(count, nthreads, body, ctx)) return;
#if defined(PIXNORM_WITH_OPENMP)
  // One contiguous chunk per thread. Measured here: at 224x224 RGB a static split took 11.4 us
  // on 2 threads (18.4 on 1), while 8 chunks handed out dynamically took 19.8 us: the calling
  // thread took every chunk before the woken worker could start. The cost of a static split is
  // that a descheduled worker delays the call (seen on an oversubscribed machine).
#pragma omp parallel num_threads(nthreads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = count * t / nt, hi = count * (t + 1) / nt;
    if (lo < hi) body(ctx, lo, hi);
  }
#endif
}

void parallel_items(int64_t count, int nthreads, void (*body)(void*, int64_t, int64_t), void* ctx) {
  if (run_inline(count, nthreads, body, ctx)) return;
#if defined(PIXNORM_WITH_OPENMP)
  // Dynamic: a batch of mixed sizes split into contiguous halves leaves one thread idle while
  // the other finishes its large images. Each item is long (a whole image), so the caller
  // taking the first items before a worker wakes costs little.
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(nthreads)
  {
    for (int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) body(ctx, i, i + 1);
  }
#endif
}

}  // namespace pixnorm::threads
