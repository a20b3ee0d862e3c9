#include "pixnorm/image_view.hpp"

namespace pixnorm {

ByteExtent extent_of(const ImageView& v) {
  // Sizes are validated (> 0) before this is called; each axis adds (size - 1) * stride to either
  // end, by the sign of the stride.
  const int64_t sizes[4] = {v.n, v.height, v.width, v.channels};
  const int64_t strides[4] = {v.stride_n, v.stride_y, v.stride_x, v.stride_c};
  int64_t lo = 0, hi = 0;
  for (int k = 0; k < 4; ++k) {
    const int64_t span = (sizes[k] - 1) * strides[k];
    if (span < 0)
      lo += span;
    else
      hi += span;
  }
  const auto base = reinterpret_cast<uintptr_t>(v.data);
  return {base + static_cast<uintptr_t>(lo),
          base + static_cast<uintptr_t>(hi) + static_cast<uintptr_t>(itemsize(v.dtype))};
}

}  // namespace pixnorm
