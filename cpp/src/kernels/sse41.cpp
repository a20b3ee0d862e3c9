// SSE4.1 kernels (x86-64-v2): normalize (kernels/normalize/sse41.inc); everything else is the
// portable code of resize_generic.inc compiled for this target.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels.hpp"

#pragma GCC push_options
#pragma GCC target("sse4.1")

namespace pixnorm::kernels {
namespace {

// The order matters: each part uses the ones before it.
// clang-format off
#include "normalize/sse41.inc"
#include "resize_generic.inc"
// clang-format on

}  // namespace
}  // namespace pixnorm::kernels

#pragma GCC pop_options

// Outside the target region: callable on any CPU (dispatch only uses it when supported).
const pixnorm::KernelTable& pixnorm::kernels::table_sse41() {
  static constexpr KernelTable t = [] {
    KernelTable k = generic_kernels(Isa::sse41);
    k.normalize_u8 = &u8_row;
    k.normalize_f32 = &f32_row;
    return k;
  }();
  return t;
}
