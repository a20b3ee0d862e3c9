// Thread-count policy and fork safety. GNU libgomp hangs in a forked child whose parent had
// already run a parallel region with more than one thread (GCC bug 60035). pixnorm installs a
// pthread_atfork child handler that only stores to lock-free atomics; in such a child every
// operation runs serially and never enters an OpenMP region.
#pragma once

#include <cstdint>
#include <string>

namespace pixnorm::threads {

// The most threads any operation runs on (set_num_threads and the environment are capped here:
// an unbounded PIXNORM_NUM_THREADS=99999 asked libgomp for a thread per output row, and a failed
// thread creation ends the process).
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
// What will actually run: requested_threads(), or 1 where a thread team is unsafe (forked
// child of a process that built one) or OpenMP is not compiled in.
int effective_threads();

bool in_forked_child();
bool fork_unsafe();  // this process descends, through fork, from one that built a thread team
// True exactly once per process when a request for >1 thread was reduced to 1 for fork safety.
bool take_fork_warning();

bool openmp_enabled();
std::string openmp_runtime();  // path of the OpenMP runtime library, or "" without OpenMP
int openmp_spec();             // the _OPENMP date, 0 without OpenMP

// Work (in output elements) below which an operation runs on one thread. The default is measured
// (see normalize.cpp); tests lower it to exercise the threaded path on small inputs.
int64_t parallel_min_elements();
void set_parallel_min_elements(int64_t n);  // n < 0 restores the default

// The team for `work` output elements when `nthreads` are allowed: 1 below
// parallel_min_elements(), else at most one thread per half of that much work (so a team never
// outgrows its work), at most 4 per CPU this process may use, and never more than kMaxThreads.
int team_for(int64_t work, int nthreads);

// Runs body(begin, end) over [0, count) split into contiguous chunks on `nthreads` threads.
// body must not throw. With nthreads <= 1 it runs inline, without touching OpenMP.
void parallel_for(int64_t count, int nthreads, void (*body)(void* ctx, int64_t begin, int64_t end),
                  void* ctx);

// As parallel_for, but items are handed out one at a time to whichever thread is free: for a few
// large items of unequal cost (the images of a batch).
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
