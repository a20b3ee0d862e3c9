// build_info, ISA selection and the thread-count policy.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <stdexcept>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "convert.hpp"
#include "pixnorm/isa.hpp"
#include "pixnorm/resize.hpp"
#include "pixnorm/threads.hpp"

#ifndef PIXNORM_VERSION
#define PIXNORM_VERSION "0+unknown"
#endif

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

// Linux >= 5.14 (the value is the kernel's ABI, for C libraries whose headers predate it)
#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23
#endif

// Maps every page of a writable buffer in one system call, as a write to each would (without
// writing): a new shared-memory batch then takes no page fault per 4 KiB page while it is
// filled (a 19 MB float32 batch of 32 x 3 x 224 x 224: 7.7 -> 6.2 ms from allocation to
// free, measured). False where the kernel cannot (older than 5.14, not Linux); the contents
// are never changed.
bool populate(const py::buffer& b) {
  const py::buffer_info info = b.request(true);
  if (info.size <= 0) return false;
#if defined(__linux__)
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(info.ptr);
  const uintptr_t end =
      begin + static_cast<uintptr_t>(info.size) * static_cast<uintptr_t>(info.itemsize);
  py::ssize_t step = info.itemsize;  // C-contiguous only: [begin, end) is then the buffer
  for (size_t d = info.shape.size(); d-- > 0;) {
    if (info.shape[d] != 1 && info.strides[d] != step) return false;
    step *= info.shape[d];
  }
  const uintptr_t first = begin / page * page, last = (end + page - 1) / page * page;
  py::gil_scoped_release nogil;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE) == 0;
#else
  return false;
#endif
}

std::vector<std::string> names(const std::vector<Isa>& isas) {
  std::vector<std::string> out;
  for (Isa i : isas) out.emplace_back(isa_name(i));
  return out;
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

py::dict build_info() {
  py::dict d;
  d["version"] = PIXNORM_VERSION;
  d["compiler"] = compiler();
  d["isas_compiled"] = names(compiled_isas());
  d["isas_supported"] = names(supported_isas());
  d["isa"] = isa_name(active_isa());
  d["cpu_features"] = cpu_features();
  // The thread pool is pixnorm's own (threads.cpp); None when built with -DPIXNORM_THREADS=OFF.
  d["threads"] = threads::threads_enabled() ? py::object(py::str("pool")) : py::object(py::none());
  d["num_threads"] = threads::effective_threads();
  return d;
}

}  // namespace

void register_info(py::module_& m) {
  m.def("build_info", &build_info);
  m.def(
      "_set_isa", [](const std::string& name) { set_active_isa(parse_isa(name)); },
      py::arg("name"));
  m.def("_get_isa", [] { return std::string(isa_name(active_isa())); });
  m.def("_supported_isas", [] { return names(supported_isas()); });
  m.def("_configure_threads", &threads::configure_defaults, py::arg("env"), py::arg("cpus"),
        py::arg("worker"));
  m.def("_set_user_threads", &threads::set_user_threads, py::arg("n"));
  m.def("_user_threads", &threads::user_threads);
  m.def("_plan_cache_entries", &plan_cache_entries);
  m.def("_plan_cache_clear", &plan_cache_clear);
  m.def("_populate", &populate, py::arg("buffer"));
  m.attr("MAX_THREADS") = threads::kMaxThreads;
  m.def("_team_for", &threads::team_for, py::arg("work"), py::arg("nthreads"));
  m.def("_requested_threads", &threads::requested_threads);
  m.def("get_num_threads", &threads::effective_threads);
  m.def("_set_parallel_min_elements", &threads::set_parallel_min_elements, py::arg("n"));
  m.def("_parallel_min_elements", &threads::parallel_min_elements);
  m.def("_in_forked_child", &threads::in_forked_child);
  m.def("_set_pool_backoff", &threads::set_backoff_enabled, py::arg("on"));
  m.def("_pool_stats", [] {
    const threads::PoolStats s = threads::pool_stats();
    py::dict d;
    d["pool_calls"] = s.pool_calls;
    d["backoff_calls"] = s.backoff_calls;
    d["inline_calls"] = s.inline_calls;
    d["wakes"] = s.wakes;
    d["refused"] = s.refused;
    d["shared"] = s.shared;
    d["slow"] = s.slow;
    d["worker_chunks"] = s.worker_chunks;
    d["lost"] = s.lost;
    return d;
  });
}

}  // namespace pixnorm::bind
