// Internal: the kernel tables each ISA file provides, and the portable row kernels that every
// table falls back to for channel counts without a dedicated SIMD path.
#pragma once

#include "pixnorm/dispatch.hpp"

namespace pixnorm::kernels {

const KernelTable& table_scalar();
#if defined(PIXNORM_HAVE_X86)
const KernelTable& table_sse41();
const KernelTable& table_avx2();
const KernelTable& table_avx512();
#endif
#if defined(PIXNORM_HAVE_NEON)
const KernelTable& table_neon();
#endif

// Portable kernels (scalar.cpp), any channel count; same arithmetic as every SIMD path.
void normalize_u8_row_generic(const uint8_t* src, int64_t width, int64_t channels, const float* a,
                              const float* b, float* dst, int64_t plane_stride);
void normalize_f32_row_generic(const float* src, int64_t width, int64_t channels, const float* a,
                               const float* b, float* dst, int64_t plane_stride);

}  // namespace pixnorm::kernels
