// Thread-count policy, fork safety and pixnorm's thread pool. Work runs on a caller-runs pool
// (threads.cpp): the calling thread takes part, and never waits for work no thread has started,
// so a worker the scheduler has not run (a busy core) cannot stall a call. A pthread_atfork
// child handler, which only stores to lock-free atomics, drops the parent's pool in a forked
// child; the child starts its own workers when it first needs them.
#pragma once

#include <cstdint>

namespace pixnorm::threads {

// The most threads any operation runs on (set_num_threads and the environment are capped here:
// an unbounded PIXNORM_NUM_THREADS=99999 once asked for a thread per output row).
constexpr int kMaxThreads = 1024;

// Defaults computed by the caller at import: `env` from PIXNORM_NUM_THREADS / OMP_NUM_THREADS
// (0 if neither is set), `cpus` usable by this process (affinity and cgroup quota), `worker`
// true inside a multiprocessing worker.
void configure_defaults(int env, int cpus, bool worker);

// 0 clears the user's value (back to the defaults). Values < 0 or > kMaxThreads throw
// std::invalid_argument.
void set_user_threads(int n);
int user_threads();

// What the policy asks for: user value, env, 1 in a forked child or worker, else cpus.
int requested_threads();
// What will actually run: requested_threads(), or 1 when built without threads
// (-DPIXNORM_THREADS=OFF).
int effective_threads();

bool in_forked_child();
// The busy-machine backoff (threads.cpp) is on by default; tests turn it off so that a
// threaded call certainly uses the pool.
void set_backoff_enabled(bool on);

// What the pool did in this process so far (diagnostics; counters since start or fork):
// threaded calls that used the pool, ran on one thread because of the backoff, or ran inline
// because another thread's call held the pool; wake-ups of sleeping workers; workers that found
// themselves on the caller's CPU; calls whose worker ran on the caller's CPU; pairs of calls
// with a slow worker; chunks run by workers; calls in which the caller or a worker lost more
// than 200 us to other threads (runnable but not running).
struct PoolStats {
  int64_t pool_calls = 0, backoff_calls = 0, inline_calls = 0, wakes = 0, refused = 0, shared = 0,
          slow = 0, worker_chunks = 0, lost = 0;
};
PoolStats pool_stats();
bool threads_enabled();

// Work (in output elements) below which an operation runs on one thread. The default is measured
// (see normalize.cpp); tests lower it to exercise the threaded path on small inputs.
int64_t parallel_min_elements();
void set_parallel_min_elements(int64_t n);  // n < 0 restores the default

// The team for `work` output elements when `nthreads` are allowed: 1 below
// parallel_min_elements(), else at most one thread per half of that much work (so a team never
// outgrows its work), at most 4 per CPU this process may use, and never more than kMaxThreads.
int team_for(int64_t work, int nthreads);

// Runs body(begin, end) over [0, count) split into `nthreads` contiguous chunks (chunk t is
// [count*t/nthreads, count*(t+1)/nthreads)), on the calling thread and up to nthreads - 1 pool
// workers; any thread may run any chunk. With nthreads <= 1 it runs inline, as body(0, count),
// and so does a call made while another thread's call is using the pool. A body that throws on
// the calling thread (an allocation failure) ends the call: chunks nobody started are dropped,
// the workers' chunks in flight are waited for, and the exception propagates. On a worker
// thread it ends the process (std::terminate), as under OpenMP.
void parallel_for(int64_t count, int nthreads, void (*body)(void* ctx, int64_t begin, int64_t end),
                  void* ctx);

// As parallel_for, but items are handed out one at a time to whichever thread is free (in runs
// of consecutive items when there are more than 65535): for a few large items of unequal cost
// (the images of a batch).
void parallel_items(int64_t count, int nthreads,
                    void (*body)(void* ctx, int64_t begin, int64_t end), void* ctx);

template <class F>
void parallel_each(int64_t count, int nthreads, F& body) {
  parallel_items(
      count, nthreads, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); },
      static_cast<void*>(&body));
}

template <class F>
void parallel_chunks(int64_t count, int nthreads, F& body) {
  parallel_for(
      count, nthreads, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); },
      static_cast<void*>(&body));
}

}  // namespace pixnorm::threads
