// Long operations run in pieces of about kInterruptValues input values and call an Interrupt
// between two pieces: a caller may throw from it to stop the call there (the Python bindings
// raise KeyboardInterrupt this way on Ctrl-C). The pieces before it are done; what they wrote
// (outputs, accumulators) stays written. An empty Interrupt runs the call in one go.
#pragma once

#include <cstdint>
#include <functional>

namespace pixnorm {

using Interrupt = std::function<void()>;

// Tens of milliseconds of work per piece on one core.
constexpr int64_t kInterruptValues = int64_t{1} << 26;

}  // namespace pixnorm
