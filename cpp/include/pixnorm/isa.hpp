// Instruction sets: which kernel tables this build has, which the CPU runs, which one is active.
// Public: the bindings report and set these; the kernels themselves are private to
// cpp/src/kernels/ (table.hpp).
#pragma once

#include <string>
#include <vector>

namespace pixnorm {

// avx512icl: the avx512 table with the kernels that gain from Ice Lake's additions, AVX512-VBMI
// byte permutes and AVX512-VNNI dot products (Ice Lake, Sapphire Rapids, Zen 4 and later).
enum class Isa : int { scalar = 0, sse41 = 1, avx2 = 2, avx512 = 3, neon = 4, avx512icl = 5 };

const char* isa_name(Isa isa);
// Throws std::invalid_argument for a name that is not an ISA pixnorm knows.
Isa parse_isa(const std::string& name);

std::vector<Isa> compiled_isas();   // kernel tables in this binary
bool cpu_supports(Isa isa);         // the CPU and OS can run it
std::vector<Isa> supported_isas();  // compiled and runnable here, lowest first
Isa best_isa();                     // the highest supported

// Throws std::invalid_argument if `isa` is not compiled in or not supported by this CPU.
void set_active_isa(Isa isa);
Isa active_isa();

// Extra CPU features detected at run time (for build_info), e.g. "avx512vbmi".
std::vector<std::string> cpu_features();

}  // namespace pixnorm
