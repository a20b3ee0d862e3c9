// Runtime selection of SIMD kernels. Each ISA file (cpp/src/kernels/*.cpp) fills one
// KernelTable; the active table is chosen once from CPUID and can be forced lower.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pixnorm {

enum class Isa : int { scalar = 0, sse41 = 1, avx2 = 2, avx512 = 3, neon = 4 };

// One row of interleaved pixels -> C planar rows: dst[c * plane_stride + x] = src[x*C + c]*a[c] + b[c],
// computed as a float32 multiply then a float32 add (never fused), so every ISA agrees bit for bit.
// `src` holds width*channels packed elements and may be unaligned; `dst` may be unaligned (but
// 4-byte aligned); plane_stride may be negative (planes written in reverse order).
using NormalizeU8Row = void (*)(const uint8_t* src, int64_t width, int64_t channels,
                                const float* a, const float* b, float* dst, int64_t plane_stride);
using NormalizeF32Row = void (*)(const float* src, int64_t width, int64_t channels,
                                 const float* a, const float* b, float* dst, int64_t plane_stride);

struct KernelTable {
  Isa isa;
  NormalizeU8Row normalize_u8;
  NormalizeF32Row normalize_f32;
};

const char* isa_name(Isa isa);
// Throws std::invalid_argument for a name that is not an ISA pixnorm knows.
Isa parse_isa(const std::string& name);

std::vector<Isa> compiled_isas();        // kernel tables in this binary
bool cpu_supports(Isa isa);              // the CPU and OS can run it
std::vector<Isa> supported_isas();       // compiled and runnable here, lowest first
Isa best_isa();                          // the highest supported

const KernelTable& active_kernels();
// Throws std::invalid_argument if `isa` is not compiled in or not supported by this CPU.
void set_active_isa(Isa isa);
const KernelTable& kernels_for(Isa isa);  // throws like set_active_isa

// Extra CPU features detected at run time (for build_info), e.g. "avx512vbmi".
std::vector<std::string> cpu_features();

}  // namespace pixnorm
