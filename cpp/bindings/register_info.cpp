// build_info, ISA selection and the thread-count policy.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>

#include "convert.hpp"
#include "pixnorm/isa.hpp"
#include "pixnorm/threads.hpp"

#ifndef PIXNORM_VERSION
#define PIXNORM_VERSION "0+unknown"
#endif

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

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
  py::dict omp;
  if (threads::openmp_enabled()) {
    const std::string path = threads::openmp_runtime();
    std::string runtime = "unknown";
    if (path.find("libgomp") != std::string::npos)
      runtime = "libgomp";
    else if (path.find("libiomp") != std::string::npos)
      runtime = "libiomp";
    else if (path.find("libomp") != std::string::npos)
      runtime = "libomp";
    omp["runtime"] = runtime;
    omp["library"] = path;
    omp["spec"] = threads::openmp_spec();  // _OPENMP, e.g. 201511 = OpenMP 4.5
    d["openmp"] = omp;
  } else {
    d["openmp"] = py::none();
  }
  d["num_threads"] = threads::effective_threads();
  d["fork_safe_serial"] = threads::fork_unsafe();
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
  m.def(
      "_set_user_threads",
      [](int n) {
        threads::set_user_threads(n);
        warn_if_threads_reduced();
      },
      py::arg("n"));
  m.def("_user_threads", &threads::user_threads);
  m.attr("MAX_THREADS") = threads::kMaxThreads;
  m.def("_team_for", &threads::team_for, py::arg("work"), py::arg("nthreads"));
  m.def("_requested_threads", &threads::requested_threads);
  m.def("get_num_threads", &threads::effective_threads);
  m.def("_set_parallel_min_elements", &threads::set_parallel_min_elements, py::arg("n"));
  m.def("_parallel_min_elements", &threads::parallel_min_elements);
  m.def("_fork_state", [] {
    py::dict d;
    d["forked"] = threads::in_forked_child();
    d["unsafe"] = threads::fork_unsafe();
    return d;
  });
}

}  // namespace pixnorm::bind
