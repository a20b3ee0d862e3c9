// Kernel table selection. The best table the CPU supports is chosen on first use; the bindings
// apply PIXNORM_ISA at import and the tests force lower tables through set_active_isa.
#include <atomic>
#include <stdexcept>

#include "kernels/kernels.hpp"
#include "pixnorm/isa.hpp"

namespace pixnorm {

namespace {

const KernelTable* table_or_null(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return &kernels::table_scalar();
#if defined(PIXNORM_HAVE_X86)
    case Isa::sse41:
      return &kernels::table_sse41();
    case Isa::avx2:
      return &kernels::table_avx2();
    case Isa::avx512:
      return &kernels::table_avx512();
    case Isa::avx512icl:
      return &kernels::table_avx512icl();
#endif
#if defined(PIXNORM_HAVE_NEON)
    case Isa::neon:
      return &kernels::table_neon();
#endif
    default:
      return nullptr;
  }
}

// Lowest first: the last one the CPU supports is the default.
constexpr Isa kAllIsas[] = {Isa::scalar, Isa::sse41,     Isa::avx2,
                            Isa::avx512, Isa::avx512icl, Isa::neon};

std::atomic<const KernelTable*>& active_slot() {
  static std::atomic<const KernelTable*> slot{table_or_null(best_isa())};
  return slot;
}

std::string joined(const std::vector<Isa>& isas) {
  std::string s;
  for (Isa i : isas) s += (s.empty() ? "" : ", ") + std::string(isa_name(i));
  return s;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return "scalar";
    case Isa::sse41:
      return "sse41";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
    case Isa::avx512icl:
      return "avx512icl";
    case Isa::neon:
      return "neon";
  }
  return "unknown";
}

Isa parse_isa(const std::string& name) {
  for (Isa i : kAllIsas)
    if (name == isa_name(i)) return i;
  throw std::invalid_argument("unknown ISA '" + name +
                              "'; expected one of: scalar, sse41, avx2, avx512, avx512icl, neon");
}

std::vector<Isa> compiled_isas() {
  std::vector<Isa> out;
  for (Isa i : kAllIsas)
    if (table_or_null(i)) out.push_back(i);
  return out;
}

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return true;
#if defined(PIXNORM_HAVE_X86) && (defined(__GNUC__) || defined(__clang__))
    // __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 register state.
    case Isa::sse41:
      return __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
    case Isa::avx512:
      return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl");
    case Isa::avx512icl:
      return cpu_supports(Isa::avx512) && __builtin_cpu_supports("avx512vbmi") &&
             __builtin_cpu_supports("avx512vnni");
#endif
#if defined(PIXNORM_HAVE_NEON)
    case Isa::neon:
      return true;  // Advanced SIMD is mandatory on aarch64
#endif
    default:
      return false;
  }
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa i : compiled_isas())
    if (cpu_supports(i)) out.push_back(i);
  return out;
}

Isa best_isa() { return supported_isas().back(); }

const KernelTable& kernels_for(Isa isa) {
  const KernelTable* t = table_or_null(isa);
  if (!t)
    throw std::invalid_argument(
        std::string("ISA '") + isa_name(isa) +
        "' is not compiled into this build; compiled: " + joined(compiled_isas()));
  if (!cpu_supports(isa))
    throw std::invalid_argument(
        std::string("ISA '") + isa_name(isa) +
        "' is not supported by this CPU; supported: " + joined(supported_isas()));
  return *t;
}

Isa active_isa() { return active_kernels().isa; }

const KernelTable& active_kernels() { return *active_slot().load(std::memory_order_acquire); }

void set_active_isa(Isa isa) { active_slot().store(&kernels_for(isa), std::memory_order_release); }

std::vector<std::string> cpu_features() {
  std::vector<std::string> out;
#if defined(PIXNORM_HAVE_X86) && (defined(__GNUC__) || defined(__clang__))
#define PIXNORM_FEATURE(name) \
  if (__builtin_cpu_supports(name)) out.emplace_back(name)
  PIXNORM_FEATURE("sse4.1");
  PIXNORM_FEATURE("sse4.2");
  PIXNORM_FEATURE("avx");
  PIXNORM_FEATURE("avx2");
  PIXNORM_FEATURE("fma");
  PIXNORM_FEATURE("f16c");
  PIXNORM_FEATURE("bmi2");
  PIXNORM_FEATURE("avx512f");
  PIXNORM_FEATURE("avx512bw");
  PIXNORM_FEATURE("avx512dq");
  PIXNORM_FEATURE("avx512vl");
  PIXNORM_FEATURE("avx512vbmi");
  PIXNORM_FEATURE("avx512vnni");
  PIXNORM_FEATURE("avx512bf16");
#undef PIXNORM_FEATURE
#endif
#if defined(PIXNORM_HAVE_NEON)
  out.emplace_back("neon");
#endif
  return out;
}

}  // namespace pixnorm
