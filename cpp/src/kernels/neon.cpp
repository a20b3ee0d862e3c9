// NEON kernels (aarch64, where Advanced SIMD is part of the base ISA: no target region needed):
// normalize (kernels/normalize/neon.inc); everything else is the portable code of
// resize_generic.inc compiled for this target.
#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "kernels.hpp"

namespace pixnorm::kernels {
namespace {

// The order matters: each part uses the ones before it.
// clang-format off
#include "normalize/neon.inc"
#include "resize_generic.inc"
// clang-format on

}  // namespace

const KernelTable& table_neon() {
  static constexpr KernelTable t = [] {
    KernelTable k = generic_kernels(Isa::neon);
    k.normalize_u8 = &u8_row;
    k.normalize_f32 = &f32_row;
    return k;
  }();
  return t;
}

}  // namespace pixnorm::kernels
