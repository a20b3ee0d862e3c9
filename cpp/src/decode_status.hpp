// How a codec's run ended, and the exception each outcome becomes (one mapping for JPEG and
// PNG: the codecs' C code returns by longjmp, so their jobs record a status instead of
// throwing).
#pragma once

#include <new>
#include <stdexcept>
#include <string>

#include "pixnorm/decode.hpp"

namespace pixnorm::decode {

enum Status { ok = 0, corrupt, unsupported, too_big, bad_region, no_memory };

// Throws the exception for a status other than ok.
inline void throw_status(Status status, const std::string& message) {
  switch (status) {
    case ok:
      return;
    case corrupt:
      throw corrupt_data(message);
    case unsupported:
      throw unsupported_codec(message);
    case too_big:
      throw too_large(message);
    case bad_region:
      throw std::invalid_argument(message);
    case no_memory:
      break;
  }
  throw std::bad_alloc();
}

}  // namespace pixnorm::decode
