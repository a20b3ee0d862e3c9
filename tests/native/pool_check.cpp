// Stress check of pixnorm's thread pool (cpp/src/threads.cpp), built with ThreadSanitizer by
// .ci/run: parallel_for and parallel_items from several caller threads at once, with
// every count, team size and chunking edge (count < threads, more items than the 65535 chunks
// a call can have), with and without the busy-machine backoff, and forks in between. Each call
// checks that every index was visited exactly once and that the call returned only after all
// of its chunks were done (a late worker writing after return would be a data race TSan sees).
//
//   g++ -std=c++17 -O1 -g -fsanitize=thread -Icpp/include tests/native/pool_check.cpp \
//       cpp/src/threads.cpp -DPIXNORM_WITH_THREADS=1 -pthread -o pool_check && ./pool_check
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "pixnorm/threads.hpp"

namespace {

using pixnorm::threads::parallel_for;
using pixnorm::threads::parallel_items;

std::atomic<int> failures{0};

struct Visit {
  std::vector<int> hits;  // plain ints: the pool's happens-before must cover them
  void operator()(int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)] += 1;
  }
};

void check_once(int64_t count, int nthreads, bool items) {
  Visit v;
  v.hits.assign(static_cast<size_t>(count), 0);
  if (items)
    pixnorm::threads::parallel_each(count, nthreads, v);
  else
    pixnorm::threads::parallel_chunks(count, nthreads, v);
  for (int64_t i = 0; i < count; ++i)
    if (v.hits[static_cast<size_t>(i)] != 1) {
      std::fprintf(stderr, "count %lld threads %d items %d: index %lld visited %d times\n",
                   static_cast<long long>(count), nthreads, items, static_cast<long long>(i),
                   v.hits[static_cast<size_t>(i)]);
      failures.fetch_add(1);
      return;
    }
}

void caller(int seed, int rounds) {
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  for (int r = 0; r < rounds; ++r) {
    const int64_t count = static_cast<int64_t>(next() % 300);
    const int nthreads = 1 + static_cast<int>(next() % 5);
    check_once(count, nthreads, (next() & 1) != 0);
  }
}

}  // namespace

int main() {
  pixnorm::threads::configure_defaults(0, 2, false);
  for (bool backoff : {false, true}) {
    pixnorm::threads::set_backoff_enabled(backoff);
    // One caller: every small shape.
    for (int64_t count = 0; count <= 40; ++count)
      for (int nthreads = 1; nthreads <= 6; ++nthreads) {
        check_once(count, nthreads, false);
        check_once(count, nthreads, true);
      }
    // More items than chunks: runs of consecutive items.
    check_once(70000, 3, true);
    // Several callers at once: one owns the pool, the others run inline.
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) ts.emplace_back(caller, t + (backoff ? 10 : 0), 2000);
    for (auto& t : ts) t.join();
  }
  // Fork after the pool ran (its workers do not exist in the child), in the child use threads.
  pixnorm::threads::set_backoff_enabled(false);
  for (int k = 0; k < 3; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      caller(100 + k, 200);
      _exit(failures.load() == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "forked child %d failed\n", k);
      failures.fetch_add(1);
    }
    caller(200 + k, 100);
  }
  if (failures.load() != 0) {
    std::fprintf(stderr, "pool_check: %d failures\n", failures.load());
    return 1;
  }
  std::printf("pool_check: ok\n");
  return 0;
}
