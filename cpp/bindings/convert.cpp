#include "convert.hpp"

#include <cmath>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "pixnorm/threads.hpp"

namespace pixnorm::bind {

namespace {

bool native_order(char byteorder) {
  if (byteorder == '=' || byteorder == '|') return true;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return byteorder == '<';
#else
  return byteorder == '>';
#endif
}

std::string dtype_str(const py::dtype& dt) { return py::str(dt).cast<std::string>(); }

}  // namespace

std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

Image image_from(py::handle obj, const char* name) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) +
                         ": expected a numpy array (or an object with the "
                         "buffer protocol or __array__), got " +
                         py::str(py::type::of(obj)).cast<std::string>());
  const auto arr = py::reinterpret_borrow<py::array>(obj);
  const py::dtype dt = arr.dtype();
  Image img;
  if (dt.kind() == 'u' && dt.itemsize() == 1) {
    img.view.dtype = DType::u8;
  } else if (dt.kind() == 'f' && dt.itemsize() == 4 && native_order(dt.byteorder())) {
    img.view.dtype = DType::f32;
  } else if (dt.kind() == 'u' && dt.itemsize() == 2 && native_order(dt.byteorder())) {
    img.view.dtype = DType::u16;
  } else {
    std::string hint;
    if ((dt.kind() == 'f' && dt.itemsize() == 4) || (dt.kind() == 'u' && dt.itemsize() == 2))
      hint = std::string(" (non-native byte order: use .astype('=") +
             (dt.kind() == 'f' ? "f4" : "u2") + "'))";
    throw py::type_error(std::string(name) + ": dtype " + dtype_str(dt) +
                         " is not supported; expected uint8, uint16 or float32" + hint);
  }
  const py::ssize_t nd = arr.ndim();
  ImageView& v = img.view;
  v.data = arr.data();
  img.ndim = static_cast<int>(nd);
  if (nd == 2) {
    v.n = 1, v.height = arr.shape(0), v.width = arr.shape(1), v.channels = 1;
    v.stride_n = 0, v.stride_y = arr.strides(0), v.stride_x = arr.strides(1), v.stride_c = 0;
  } else if (nd == 3) {
    v.n = 1, v.height = arr.shape(0), v.width = arr.shape(1), v.channels = arr.shape(2);
    v.stride_n = 0, v.stride_y = arr.strides(0), v.stride_x = arr.strides(1);
    v.stride_c = arr.strides(2);
  } else if (nd == 4) {
    img.batch = true;
    v.n = arr.shape(0), v.height = arr.shape(1), v.width = arr.shape(2), v.channels = arr.shape(3);
    v.stride_n = arr.strides(0), v.stride_y = arr.strides(1), v.stride_x = arr.strides(2);
    v.stride_c = arr.strides(3);
  } else {
    throw py::value_error(std::string(name) +
                          ": expected shape (H, W), (H, W, C) or (N, H, W, C), "
                          "got " +
                          shape_str(arr));
  }
  if (v.n == 0 || v.height == 0 || v.width == 0 || v.channels == 0)
    throw py::value_error(std::string(name) + ": zero-size image, shape " + shape_str(arr));
  return img;
}

std::vector<double> real_values(py::handle obj, const char* name) {
  const auto one = [name](py::handle h) -> double {
    if (PyComplex_Check(h.ptr()) || PyUnicode_Check(h.ptr()) || PyBytes_Check(h.ptr()))
      throw py::type_error(std::string(name) + ": expected real numbers, got " +
                           py::str(py::type::of(h)).cast<std::string>());
    if (py::isinstance<py::array>(h)) {
      const char kind = py::reinterpret_borrow<py::array>(h).dtype().kind();
      if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
        throw py::type_error(std::string(name) + ": expected real numbers, got dtype " +
                             dtype_str(py::reinterpret_borrow<py::array>(h).dtype()));
    }
    const double v = PyFloat_AsDouble(h.ptr());
    if (v == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      throw py::type_error(std::string(name) + ": expected a real number, got " +
                           py::str(py::type::of(h)).cast<std::string>());
    }
    return v;
  };
  if (py::isinstance<py::array>(obj)) {
    const auto arr = py::reinterpret_borrow<py::array>(obj);
    if (arr.ndim() == 0) return {one(obj)};
    if (arr.ndim() != 1)
      throw py::value_error(std::string(name) +
                            ": expected a scalar or a 1-d sequence of per-channel "
                            "values, got an array of shape " +
                            shape_str(arr));
  } else if (!PySequence_Check(obj.ptr()) || PyUnicode_Check(obj.ptr()) ||
             PyBytes_Check(obj.ptr())) {
    return {one(obj)};
  }
  const auto seq = py::reinterpret_borrow<py::sequence>(obj);
  std::vector<double> out;
  out.reserve(seq.size());
  for (py::handle item : seq) {
    const bool text = PyUnicode_Check(item.ptr()) || PyBytes_Check(item.ptr());
    const bool nested = py::isinstance<py::array>(item)
                            ? py::reinterpret_borrow<py::array>(item).ndim() > 0
                            : PySequence_Check(item.ptr()) != 0;
    if (!text && nested)
      throw py::value_error(std::string(name) +
                            ": expected a scalar or a flat sequence of "
                            "per-channel values, got a nested sequence");
    out.push_back(one(item));
  }
  if (out.empty()) throw py::value_error(std::string(name) + ": empty sequence");
  return out;
}

void* prepare_out(py::handle out, const std::vector<int64_t>& shape, DType dtype,
                  const std::vector<ImageView>& inputs, py::object& result) {
  const OutType type = dtype == DType::u8    ? OutType::u8
                       : dtype == DType::u16 ? OutType::u16
                                             : OutType::f32;
  return prepare_out(out, shape, type, inputs, result);
}

void* prepare_out(py::handle out, const std::vector<int64_t>& shape, OutType type,
                  const std::vector<ImageView>& inputs, py::object& result) {
  std::vector<py::ssize_t> want(shape.begin(), shape.end());
  // bfloat16 travels as its uint16 bits (numpy has no bfloat16; the Python layer views them)
  const py::dtype want_dt = type == OutType::u8    ? py::dtype::of<uint8_t>()
                            : type == OutType::f32 ? py::dtype::of<float>()
                            : type == OutType::f16 ? py::dtype("float16")
                                                   : py::dtype::of<uint16_t>();  // bf16, u16
  const int64_t isz = OutFormat{type, Layout::chw}.itemsize();
  if (out.is_none()) {
    // 64-byte aligned, so full-width vector stores never straddle cache lines.
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);
    const size_t bytes = (count * static_cast<size_t>(isz) + 63) / 64 * 64;
    void* mem = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
    if (!mem) throw std::bad_alloc();
    py::capsule owner(mem, [](void* p) { std::free(p); });
    py::array fresh(want_dt, want, {}, mem, owner);
    result = fresh;
    return mem;
  }
  const char* want_name = type == OutType::bf16 ? "uint16 (bfloat16 bits)" : out_type_name(type);
  if (!py::isinstance<py::array>(out))
    throw py::type_error(std::string("out: expected a numpy ") + want_name + " array, got " +
                         py::str(py::type::of(out)).cast<std::string>());
  auto arr = py::reinterpret_borrow<py::array>(out);
  const py::dtype dt = arr.dtype();
  const bool ok = type == OutType::u8 ? (dt.kind() == 'u' && dt.itemsize() == 1)
                  : type == OutType::bf16 || type == OutType::u16
                      ? (dt.kind() == 'u' && dt.itemsize() == 2 && native_order(dt.byteorder()))
                      : (dt.kind() == 'f' && dt.itemsize() == isz && native_order(dt.byteorder()));
  if (!ok) {
    if ((dt.kind() == 'f' || dt.kind() == 'u') && !native_order(dt.byteorder()))
      throw py::type_error("out: dtype " + dtype_str(dt) +
                           " is not in native byte order; expected a native-order " + want_name +
                           " array");
    // an output type of its own: the caller meant that dtype (or the other way round)
    const bool other_output = (dt.kind() == 'f' && (dt.itemsize() == 2 || dt.itemsize() == 4)) ||
                              (dt.kind() == 'u' && dt.itemsize() == 1);
    if (other_output)  // out= does not choose the output dtype: dtype= does
      throw py::type_error("out: dtype " + dtype_str(dt) + " does not match the call's output " +
                           want_name +
                           "; out= does not choose the dtype: pass dtype=" + dtype_str(dt) +
                           " (normalize, preprocess) for a " + dtype_str(dt) + " output");
    throw py::type_error("out: dtype " + dtype_str(dt) + " is not supported; expected " +
                         want_name);
  }
  bool same = arr.ndim() == static_cast<py::ssize_t>(want.size());
  for (size_t i = 0; same && i < want.size(); ++i)
    same = arr.shape(static_cast<py::ssize_t>(i)) == want[i];
  if (!same) {
    std::string w = "(";
    for (size_t i = 0; i < want.size(); ++i) w += (i ? ", " : "") + std::to_string(want[i]);
    throw py::value_error("out: expected shape " + w + "), got " + shape_str(arr));
  }
  if (!(arr.flags() & py::array::c_style)) throw py::value_error("out: must be C-contiguous");
  if (!arr.writeable()) throw py::value_error("out: is read-only");
  if (reinterpret_cast<uintptr_t>(arr.data()) % static_cast<uintptr_t>(isz) != 0)
    throw py::value_error("out: must be aligned to its item size (numpy flag ALIGNED)");
  // Conservative overlap test on the byte extents (like numpy's may_share_memory).
  const auto lo = reinterpret_cast<uintptr_t>(arr.data());
  const uintptr_t hi = lo + static_cast<uintptr_t>(arr.nbytes());
  for (const ImageView& input : inputs) {
    const ByteExtent in = extent_of(input);
    if (lo < in.hi && in.lo < hi)
      throw py::value_error("out: overlaps the memory of the input image; pass a separate array");
  }
  result = py::reinterpret_borrow<py::object>(out);
  return arr.mutable_data();
}

float* prepare_out(py::handle out, const std::vector<int64_t>& shape, const ImageView& input,
                   py::object& result) {
  return static_cast<float*>(prepare_out(out, shape, DType::f32, {input}, result));
}

Interrupt python_interrupt() {
  return [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

int call_threads() { return threads::effective_threads(); }

// The output's type and layout by their names (the Python layer maps numpy, torch and ml_dtypes
// dtypes to these names).
OutFormat format_from(const std::string& dtype, const std::string& layout) {
  OutFormat f;
  if (dtype == "float32")
    f.type = OutType::f32;
  else if (dtype == "float16")
    f.type = OutType::f16;
  else if (dtype == "bfloat16")
    f.type = OutType::bf16;
  else if (dtype == "uint8")
    f.type = OutType::u8;
  else
    throw py::value_error("dtype: '" + dtype +
                          "' is not an output type; expected float32, float16, bfloat16 or uint8");
  if (layout == "CHW")
    f.layout = Layout::chw;
  else if (layout == "HWC")
    f.layout = Layout::hwc;
  else
    throw py::value_error("layout: '" + layout + "' is not a layout; expected 'CHW' or 'HWC'");
  return f;
}

// None (the channels as given) or a colour's name (pixnorm/color.hpp), compared as Python
// strings (no conversion, which fails for lone surrogates); an unknown one is quoted by repr.
Color color_from(py::handle obj) {
  if (obj.is_none()) return Color::none;
  if (!py::isinstance<py::str>(obj))
    throw py::type_error("color: expected None or a name, got " +
                         py::str(py::type::of(obj)).cast<std::string>());
  const Color all[] = {Color::rgb, Color::bgr, Color::gray, Color::gray3, Color::ycbcr, Color::yuv};
  for (Color c : all)
    if (obj.equal(py::str(color_name(c)))) return c;
  // the names are exact (lower case, 'gray'): suggest the one a different case or the British
  // spelling meant
  std::string hint;
  const py::object folded = obj.attr("lower")().attr("replace")("grey", "gray");
  for (Color c : all)
    if (folded.equal(py::str(color_name(c))))
      hint = std::string(" (did you mean '") + color_name(c) + "'? the names are lower case)";
  throw py::value_error("color: " + py::repr(obj).cast<std::string>() +
                        " is not available; expected None (the channels as given), 'rgb', "
                        "'bgr', 'gray', 'gray3', 'ycbcr' or 'yuv'" +
                        hint);
}

}  // namespace pixnorm::bind
