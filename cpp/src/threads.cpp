// Thread-count policy, fork safety and the caller-runs thread pool; see threads.hpp for the
// contract.
//
// Why pixnorm has its own pool instead of OpenMP: an OpenMP parallel region ends in a barrier
// that waits for every thread of the team, including one the scheduler has not run yet. With
// another process busy on one of two cores, a per-image call at 2 threads waited a time slice
// (milliseconds) for its descheduled worker: on average 8-41x the 1-thread time for 15-100 us
// calls (bench/bench_threads.py, libgomp, gcc 12). Here the work is cut into chunks that any
// thread claims with one atomic step, the calling thread included; the caller never waits for
// a chunk nobody has claimed, it runs it itself. A late or descheduled worker can only delay
// a call by the chunk it is running. Idle workers spin briefly (back-to-back calls find them
// awake) and then sleep on a condition variable, so they cost nothing between bursts.
#include "pixnorm/threads.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#define PIXNORM_HAVE_PTHREAD 1
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define PIXNORM_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define PIXNORM_PAUSE() __asm__ __volatile__("yield")
#else
#define PIXNORM_PAUSE() ((void)0)
#endif

namespace pixnorm::threads {

namespace {

// All lock-free atomics: the fork child handler may only store to these.
std::atomic<int> g_user{0};  // set_num_threads in this process, 0 = unset
std::atomic<int> g_env{0};   // PIXNORM_NUM_THREADS / OMP_NUM_THREADS, 0 = unset
std::atomic<int> g_cpus{1};  // CPUs this process may use
std::atomic<bool> g_worker{false};
std::atomic<bool> g_forked{false};

// Measured with `python bench/bench_normalize.py --threshold` on the 2-core Zen 4 machine
// (median of 15 interleaved rounds, warm thread team): 2 threads vs 1 on RGB normalize were
// 0.74x at 32x32 (3k outputs), 0.95x at 64x64 (12k), 1.08x at 96x96 (28k), 1.23x at 128x128
// (49k), 1.59x at 224x224 (151k), 2.4x at 384x384 (both cores' L2). A second thread pays off
// (> 10%) from about 2^15 float32 outputs; below that, waking the team costs more than it saves.
constexpr int64_t kDefaultParallelMinElements = int64_t{1} << 15;
std::atomic<int64_t> g_parallel_min{kDefaultParallelMinElements};

// ---------------------------------------------------------------------------------------------
// The pool.

using Body = void (*)(void*, int64_t, int64_t);
using Clock = std::chrono::steady_clock;

// How long an idle worker spins for the next call before it sleeps (a worker that finds itself
// on the caller's CPU sleeps at once), and how long a caller waits for chunks still running on
// workers before it sleeps. The caller's wait pauses and yields, so a thread that shares its
// CPU runs; it is long because a caller that slept is woken late (tens of microseconds on this
// VM), by which time the worker has stopped spinning and the next call must wake it as well.
constexpr auto kWorkerSpin = std::chrono::microseconds(50);
constexpr auto kCallerSpin = std::chrono::microseconds(1000);

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// This thread's CPU time (user and system), or -1 where there is no per-thread CPU clock. A
// thread that was runnable but not running (preempted, or descheduled by the hypervisor) gains
// wall time but no CPU time: the gap is the time it lost to other work.
int64_t thread_cpu_ns() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
#else
  return -1;
#endif
}

int current_cpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

// Busy-machine backoff. A call sees that a second thread did not help when a worker ran its
// chunk on the caller's CPU (the scheduler found no free core, and the woken worker preempted
// the caller), when the only workers woken found themselves there (and so ran nothing, see
// Pool::work), when the caller or a worker lost more than kLostNs to other threads during the
// call (wall time minus the thread's CPU time: it was runnable but not running), or, in two
// calls in a row, took more than twice as long as the caller's chunk of the same size plus the
// slack of a wake-up (it shared a core with another process and was descheduled; one such call
// alone happens on an idle machine too, about once a second here). The calls of the next
// backoff window then run on one thread and wake nobody; the window starts at 10 ms and
// doubles, up to 100 ms, while the machine stays busy. Measured with bench/bench_threads.py,
// one busy competing process on 2 cores: without the backoff a 12 us call averaged 1.4-1.8x
// its 1-thread time (the woken worker landed on the caller's core and preempted it); with it,
// at most 1.05x. With two busy processes on 2 cores (more runnable threads than cores) none
// of the other signals fired, and calls of 12-100 us averaged 2-34x their 1-thread time: a
// worker preempted inside its chunk holds the caller for a time slice of milliseconds. The
// lost-time signal catches exactly that (the worker's chunk lost the time), and the caller
// being preempted while it waits.
std::atomic<int64_t> g_backoff_until{0};
std::atomic<int64_t> g_backoff_ns{0};
std::atomic<bool> g_backoff_enabled{true};  // tests turn it off to make the pool's use certain
constexpr int64_t kBackoffMinNs = 10'000'000, kBackoffMaxNs = 1'000'000'000;
constexpr int64_t kSlackNs = 20'000;
// Lost time that marks a busy machine: far above the microseconds an interrupt or a kernel
// thread takes on an idle machine, far below a scheduler time slice (0.75-4 ms).
constexpr int64_t kLostNs = 200'000;

// Counters for pool_stats() (relaxed: diagnostics only).
std::atomic<int64_t> c_pool_calls{0}, c_backoff_calls{0}, c_inline_calls{0}, c_wakes{0},
    c_refused{0}, c_shared{0}, c_slow{0}, c_worker_chunks{0}, c_lost{0};

bool backing_off() {
  return g_backoff_enabled.load(std::memory_order_relaxed) &&
         now_ns() < g_backoff_until.load(std::memory_order_relaxed);
}

void back_off() {
  const int64_t now = now_ns();
  const int64_t last = g_backoff_ns.load(), until = g_backoff_until.load();
  if (now < until) return;  // already backing off (a worker and its caller may both see it)
  // Busy again soon after the last window ended: twice as long.
  const int64_t len =
      (last > 0 && now - until < 4 * last) ? std::min(2 * last, kBackoffMaxNs) : kBackoffMinNs;
  g_backoff_ns.store(len);
  g_backoff_until.store(now + len);
}

// Called when a thread lost `lost_ns` of a call to other threads: backs off above kLostNs.
void judge_lost(int64_t lost_ns) {
  if (lost_ns <= kLostNs) return;
  c_lost.fetch_add(1, std::memory_order_relaxed);
  back_off();
}

// The claim word: generation (32 bits) | end (16) | next (16). A call publishes a new
// generation with next = 0 and end = its chunk count; a thread claims chunk `next` by
// incrementing the word with a compare-exchange that also checks the generation, so a thread
// that slept through a call can never claim a chunk of the next one.
constexpr int64_t kMaxChunks = 0xFFFF;
constexpr uint64_t gen_of(uint64_t w) { return w >> 32; }
constexpr int64_t end_of(uint64_t w) { return static_cast<int64_t>((w >> 16) & 0xFFFF); }
constexpr int64_t next_of(uint64_t w) { return static_cast<int64_t>(w & 0xFFFF); }

struct Pool {
  std::mutex submit;  // one call at a time uses the pool; a concurrent call runs inline
  int nworkers = 0;   // under `submit`
#if defined(PIXNORM_HAVE_PTHREAD)
  std::vector<pthread_t> handles;  // under `submit`: the workers, by index
#endif

  // The current call's task: written under `submit` before its generation is published, read
  // by a thread only after it has claimed one of its chunks (which keeps them unchanged until
  // that chunk is done).
  Body body = nullptr;
  void* ctx = nullptr;
  int64_t count = 0;
  std::atomic<int> caller_cpu{-1};  // the CPU the current (or last) call started on
  bool slow_before = false;         // under `submit`: the last call's worker was slow

  std::atomic<uint64_t> word{0};
  std::atomic<int> helpers{0};  // workers 0 .. helpers-1 take part in the current call
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> worker_max_ns{0};  // the longest chunk a worker ran in this call
  std::atomic<int64_t> worker_chunks{0};  // chunks workers ran in this call
  std::atomic<bool> shared_cpu{false};    // a worker ran a chunk on the caller's CPU
  std::atomic<bool> refused{false};       // a worker found itself on the caller's CPU

  std::mutex m;
  std::condition_variable wake_cv;  // workers wait here for a new generation
  std::condition_variable done_cv;  // the caller waits here for the last chunk
  std::atomic<int> sleeping{0};
  std::atomic<bool> caller_sleeping{false};

  // Runs chunk i of n; returns its duration.
  int64_t run_chunk(int64_t i, int64_t n) {
    const int64_t t0 = now_ns();
    body(ctx, count * i / n, count * (i + 1) / n);
    return now_ns() - t0;
  }

  void finish_chunk(int64_t n) {
    if (done.fetch_add(1) + 1 == n && caller_sleeping.load()) {
      std::lock_guard<std::mutex> lk(m);
      done_cv.notify_one();
    }
  }

  // A worker claims and runs chunks of generation `gen` until none is left to claim. A worker
  // the scheduler put on the caller's CPU claims nothing: it would only preempt the caller.
  // Returns false when it refused (and should sleep rather than spin on the caller's CPU).
  bool work(uint64_t gen) {
    const int cpu0 = current_cpu();
    if (cpu0 >= 0 && cpu0 == caller_cpu.load(std::memory_order_relaxed) &&
        gen_of(word.load(std::memory_order_acquire)) == gen) {
      refused.store(true, std::memory_order_relaxed);
      c_refused.fetch_add(1, std::memory_order_relaxed);
      if (helpers.load(std::memory_order_relaxed) == 1) back_off();  // no other worker helps
      return false;
    }
    uint64_t w = word.load(std::memory_order_acquire);
    int64_t wall0 = 0, cpu0_ns = -1;  // when the first chunk was claimed
    while (gen_of(w) == gen && next_of(w) < end_of(w)) {
      if (word.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        if (cpu0_ns < 0) {
          wall0 = now_ns();
          cpu0_ns = thread_cpu_ns();
        }
        const int cpu = current_cpu();
        const int64_t ns = run_chunk(next_of(w), end_of(w));
        if (cpu >= 0 && cpu == caller_cpu.load(std::memory_order_relaxed))
          shared_cpu.store(true, std::memory_order_relaxed);
        worker_chunks.fetch_add(1, std::memory_order_relaxed);
        c_worker_chunks.fetch_add(1, std::memory_order_relaxed);
        int64_t prev = worker_max_ns.load(std::memory_order_relaxed);
        while (ns > prev && !worker_max_ns.compare_exchange_weak(prev, ns)) {
        }
        finish_chunk(end_of(w));
        w = word.load(std::memory_order_acquire);
      }
    }
    // A worker preempted inside its chunk held the caller until it ran again.
    if (cpu0_ns >= 0) judge_lost((now_ns() - wall0) - (thread_cpu_ns() - cpu0_ns));
    return true;
  }

  void worker_loop(int index) {
    uint64_t seen = gen_of(word.load());
    bool spin = false;  // only a worker that just took part spins for the next call
    for (;;) {
      if (spin) {
        const auto t0 = Clock::now();
        for (int i = 1; gen_of(word.load(std::memory_order_acquire)) == seen; ++i) {
          PIXNORM_PAUSE();
          // Spinning on the caller's CPU would take its time: sleep instead.
          if ((i & 63) == 0) {
            if (Clock::now() - t0 > kWorkerSpin) break;
            const int cpu = current_cpu();
            if (cpu >= 0 && cpu == caller_cpu.load(std::memory_order_relaxed)) break;
          }
        }
      }
      if (gen_of(word.load(std::memory_order_acquire)) == seen) {
        std::unique_lock<std::mutex> lk(m);
        sleeping.fetch_add(1);
        wake_cv.wait(lk, [&] { return gen_of(word.load()) != seen; });
        sleeping.fetch_sub(1);
      }
      seen = gen_of(word.load(std::memory_order_acquire));
      spin = index < helpers.load(std::memory_order_acquire) && work(seen);
    }
  }

  // Starts workers until there are `want` (fewer if the system refuses a thread). Signals are
  // blocked in workers: they go to the threads that run Python.
  void grow(int want) {
    if (nworkers >= want) return;
#if defined(PIXNORM_HAVE_PTHREAD)
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
    try {
      for (; nworkers < want; ++nworkers) {
        const int index = nworkers;
        std::thread t([this, index] { worker_loop(index); });
#if defined(PIXNORM_HAVE_PTHREAD)
        handles.push_back(t.native_handle());  // valid for the life of the process: workers
#endif                                         // never exit
        t.detach();
      }
    } catch (const std::system_error&) {
      // Out of threads: run with the workers there are.
    }
#if defined(PIXNORM_HAVE_PTHREAD)
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
#endif
  }

  // Runs chunks [0, n) of body over [0, count) on the caller and up to nthreads - 1 workers.
  void run(int64_t count_, int64_t n, int nthreads, Body body_, void* ctx_, bool equal) {
    grow(nthreads - 1);
    const int64_t wall0 = now_ns(), cpu0_ns = thread_cpu_ns();
    body = body_;
    ctx = ctx_;
    count = count_;
    caller_cpu.store(current_cpu(), std::memory_order_relaxed);
    done.store(0);
    worker_max_ns.store(0);
    worker_chunks.store(0);
    shared_cpu.store(false);
    refused.store(false);
    helpers.store(std::min(nthreads - 1, nworkers), std::memory_order_release);
    const uint64_t gen = (gen_of(word.load()) + 1) & 0xFFFFFFFFu;
    word.store(gen << 32 | static_cast<uint64_t>(n) << 16);  // seq_cst: ordered before `sleeping`
    c_pool_calls.fetch_add(1, std::memory_order_relaxed);
    if (sleeping.load() > 0) {
      c_wakes.fetch_add(1, std::memory_order_relaxed);
      keep_off_callers_cpu();
      std::lock_guard<std::mutex> lk(m);
      wake_cv.notify_all();
    }
    // The caller's share: claim like a worker, and time its chunks. A chunk that throws (an
    // allocation failure) ends the call: the chunks nobody started are taken off the word, the
    // workers' chunks in flight are waited for (they use the caller's frame), then it rethrows.
    int64_t own_ns = 0, own_chunks = 0;
    try {
      for (uint64_t w = word.load(std::memory_order_acquire);
           gen_of(w) == gen && next_of(w) < end_of(w);) {
        if (word.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
          own_ns += run_chunk(next_of(w), n);
          ++own_chunks;
          finish_chunk(n);
          w = word.load(std::memory_order_acquire);
        }
      }
    } catch (...) {
      int64_t abandoned = 1;  // the chunk that threw
      for (uint64_t w = word.load(); gen_of(w) == gen && next_of(w) < end_of(w);) {
        const uint64_t closed = (w & ~uint64_t{0xFFFF}) | static_cast<uint64_t>(end_of(w));
        if (word.compare_exchange_weak(w, closed)) {
          abandoned += end_of(w) - next_of(w);
          break;
        }
      }
      done.fetch_add(abandoned);
      wait_for(n);
      throw;
    }
    const int64_t slept_ns = wait_for(n);
    // The caller's lost time: preempted while it ran chunks or waited (not while it slept on
    // purpose for a worker's chunk: that chunk's own lost time judges the worker).
    if (cpu0_ns >= 0) judge_lost((now_ns() - wall0) - (thread_cpu_ns() - cpu0_ns) - slept_ns);
    const int64_t worker_ns = worker_max_ns.load();
    // Unequal items (the images of a batch) make a worker's chunk slower than the caller's
    // average without a busy machine: the slow rule only judges equal chunks.
    const bool slow = equal && own_chunks > 0 && worker_ns > 2 * own_ns / own_chunks + kSlackNs;
    // With more threads than CPUs some worker always shares the caller's CPU: that alone is not
    // a busy machine as long as another worker helped.
    if (shared_cpu.load()) c_shared.fetch_add(1, std::memory_order_relaxed);
    if (slow && slow_before) c_slow.fetch_add(1, std::memory_order_relaxed);
    if (shared_cpu.load() || (refused.load() && worker_chunks.load() == 0) || (slow && slow_before))
      back_off();
    slow_before = slow;
  }

  // Waits until all n chunks are done: spins (pausing, yielding) up to kCallerSpin, then sleeps.
  // Returns how long it slept (ns).
  int64_t wait_for(int64_t n) {
    const auto t0 = Clock::now();
    for (int i = 1; done.load(std::memory_order_acquire) != n; ++i) {
      PIXNORM_PAUSE();
      if ((i & 15) == 0) std::this_thread::yield();
      if ((i & 63) == 0 && Clock::now() - t0 > kCallerSpin) {
        const int64_t s0 = now_ns();
        std::unique_lock<std::mutex> lk(m);
        caller_sleeping.store(true);
        done_cv.wait(lk, [&] { return done.load() == n; });
        caller_sleeping.store(false);
        return now_ns() - s0;
      }
    }
    return 0;
  }

  // Before waking sleeping workers: let them run anywhere the caller may, except on the
  // caller's CPU. Woken by the caller, a worker is otherwise often placed on the caller's CPU
  // (the scheduler's wake-affine choice), where it can only refuse: measured here, 268 of 300
  // calls 1 ms apart found it there. Linux only; nothing when no other CPU is allowed.
  void keep_off_callers_cpu() {
#if defined(__linux__)
    const int cpu = caller_cpu.load(std::memory_order_relaxed);
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
    CPU_CLR(cpu, &allowed);
    if (CPU_COUNT(&allowed) == 0) return;
    const int k = std::min<int>(helpers.load(std::memory_order_relaxed), nworkers);
    for (int i = 0; i < k; ++i)
      pthread_setaffinity_np(handles[static_cast<size_t>(i)], sizeof(allowed), &allowed);
#endif
  }
};

// The process's pool, created on first use and never destroyed (its workers are detached and
// may be asleep in it at exit). A forked child has none of its parent's workers: the fork
// handler forgets the parent's pool (leaking it, since its mutexes may have been held by
// threads that do not exist in the child) and the child builds its own on first use.
std::atomic<Pool*> g_pool{nullptr};

Pool* pool() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p) return p;
  auto* fresh = new Pool;
  if (g_pool.compare_exchange_strong(p, fresh)) return fresh;
  delete fresh;  // another thread installed one first
  return p;
}

extern "C" void pixnorm_on_fork_child() {
  // Async-signal-safe: plain atomic stores only (no malloc, locks or Python calls).
  g_forked.store(true, std::memory_order_relaxed);
  g_user.store(0, std::memory_order_relaxed);  // set_num_threads applies to the process it ran in
  g_pool.store(nullptr, std::memory_order_relaxed);
  g_backoff_until.store(0, std::memory_order_relaxed);  // the child's own calls will judge
  g_backoff_ns.store(0, std::memory_order_relaxed);
  for (auto* c : {&c_pool_calls, &c_backoff_calls, &c_inline_calls, &c_wakes, &c_refused, &c_shared,
                  &c_slow, &c_worker_chunks, &c_lost})
    c->store(0, std::memory_order_relaxed);
}

void ensure_atfork() {
#if defined(PIXNORM_HAVE_PTHREAD)
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, &pixnorm_on_fork_child); });
#endif
}

// The common start of parallel_for and parallel_items: clamps nthreads and runs `body` inline,
// returning true, when one thread will do.
bool run_inline(int64_t count, int& nthreads, Body body, void* ctx) {
  if (count <= 0) return true;
  if (nthreads > count) nthreads = static_cast<int>(std::min<int64_t>(count, kMaxThreads));
  if (nthreads > kMaxThreads) nthreads = kMaxThreads;
  if (nthreads > 1 && threads_enabled()) return false;
  body(ctx, 0, count);
  return true;
}

// Runs `n` chunks on the pool, or inline when another call is using it (two Python threads
// calling at once: each keeps its own core busy).
void run_on_pool(int64_t count, int64_t n, int nthreads, Body body, void* ctx, bool equal) {
  ensure_atfork();
  if (backing_off()) {
    c_backoff_calls.fetch_add(1, std::memory_order_relaxed);
    body(ctx, 0, count);
    return;
  }
  Pool* p = pool();
  std::unique_lock<std::mutex> lk(p->submit, std::try_to_lock);
  if (!lk.owns_lock()) {
    c_inline_calls.fetch_add(1, std::memory_order_relaxed);
    body(ctx, 0, count);
    return;
  }
  p->run(count, n, nthreads, body, ctx, equal);
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

int effective_threads() { return threads_enabled() ? requested_threads() : 1; }

int64_t parallel_min_elements() { return g_parallel_min.load(std::memory_order_relaxed); }
void set_parallel_min_elements(int64_t n) {
  g_parallel_min.store(n < 0 ? kDefaultParallelMinElements : n, std::memory_order_relaxed);
}

int team_for(int64_t work, int nthreads) {
  const int64_t min = parallel_min_elements();
  if (nthreads <= 1 || work < min) return 1;
  // More threads than 4 per CPU only cost memory and time slices.
  int64_t cap = std::min(kMaxThreads, 4 * g_cpus.load());
  if (min > 0) cap = std::min<int64_t>(cap, std::max<int64_t>(2, 2 * work / min));
  return static_cast<int>(std::min<int64_t>(nthreads, cap));
}

bool in_forked_child() { return g_forked.load(); }

void set_backoff_enabled(bool on) { g_backoff_enabled.store(on); }

PoolStats pool_stats() {
  PoolStats s;
  s.pool_calls = c_pool_calls.load();
  s.backoff_calls = c_backoff_calls.load();
  s.inline_calls = c_inline_calls.load();
  s.wakes = c_wakes.load();
  s.refused = c_refused.load();
  s.shared = c_shared.load();
  s.slow = c_slow.load();
  s.worker_chunks = c_worker_chunks.load();
  s.lost = c_lost.load();
  return s;
}

bool threads_enabled() {
#if defined(PIXNORM_WITH_THREADS)
  return true;
#else
  return false;
#endif
}

void parallel_for(int64_t count, int nthreads, Body body, void* ctx) {
  if (run_inline(count, nthreads, body, ctx)) return;
  // One contiguous chunk per thread, as a static split would give, but claimed by whichever
  // thread is free: the caller runs the chunks of workers that have not started.
  run_on_pool(count, nthreads, nthreads, body, ctx, true);
}

void parallel_items(int64_t count, int nthreads, Body body, void* ctx) {
  if (run_inline(count, nthreads, body, ctx)) return;
  // One item per chunk (up to kMaxChunks chunks): a batch of mixed sizes split into contiguous
  // halves leaves one thread idle while the other finishes its large images.
  run_on_pool(count, std::min(count, kMaxChunks), nthreads, body, ctx, false);
}

}  // namespace pixnorm::threads
