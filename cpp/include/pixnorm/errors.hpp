// The C++ core's exceptions for bad arguments. Each message names the argument, what was given
// and what is accepted. The Python bindings map them to TypeError and ValueError.
#pragma once

#include <stdexcept>

namespace pixnorm {

// The right kind of value with a bad value: std::invalid_argument (-> ValueError).
// The wrong kind of thing (a dtype an operation does not take): type_error (-> TypeError).
struct type_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace pixnorm
