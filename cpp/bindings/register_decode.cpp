// decode: encoded bytes -> a numpy array, the codec run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "pixnorm/decode.hpp"

namespace py = pybind11;

namespace pixnorm::bind {

namespace {

decode::Mode parse_mode(const std::string& mode) {
  if (mode == "native") return decode::Mode::native;
  if (mode == "RGB") return decode::Mode::rgb;
  if (mode == "L") return decode::Mode::gray;
  if (mode == "RGBA") return decode::Mode::rgba;
  throw py::value_error("mode: expected 'RGB', 'L', 'RGBA' or None, got '" + mode + "'");
}

// (array (H, W, C) uint8 or uint16, EXIF orientation 1-8)
py::tuple decode_buffer(const py::buffer& source, const std::string& mode_name,
                        std::uint64_t max_pixels) {
  const decode::Mode mode = parse_mode(mode_name);
  const py::buffer_info buf = source.request();  // held until the end: the bytes stay put
  if (buf.itemsize != 1 || buf.ndim != 1 || (buf.size > 1 && buf.strides[0] != 1)) {
    throw py::type_error("source: expected contiguous bytes");
  }
  const auto* data = static_cast<const std::uint8_t*>(buf.ptr);
  const auto size = static_cast<std::size_t>(buf.size);
  decode::Image img;
  {
    py::gil_scoped_release release;
    img = decode::decode(data, size, mode, decode::Limits{max_pixels});
  }
  const auto h = static_cast<py::ssize_t>(img.height);
  const auto w = static_cast<py::ssize_t>(img.width);
  const auto c = static_cast<py::ssize_t>(img.channels);
  std::uint8_t* pixels = img.pixels.release();
  py::capsule owner(pixels, [](void* p) { decode::FreeDeleter{}(p); });
  py::array out;
  if (img.bytes_per_sample == 2) {
    out = py::array_t<std::uint16_t>({h, w, c}, reinterpret_cast<std::uint16_t*>(pixels), owner);
  } else {
    out = py::array_t<std::uint8_t>({h, w, c}, pixels, owner);
  }
  return py::make_tuple(out, img.orientation);
}

}  // namespace

void register_decode(py::module_& m) {
  py::register_exception<decode::corrupt_data>(m, "DecodeError", PyExc_ValueError);
  py::register_exception<decode::too_large>(m, "ImageTooLarge", PyExc_ValueError);
  py::register_exception<decode::unsupported_codec>(m, "UnsupportedCodec", PyExc_RuntimeError);
  m.def("decode", &decode_buffer, py::arg("source"), py::arg("mode"), py::arg("max_pixels"));
  m.def("exif_orientation", [](const py::bytes& tiff) {
    const std::string s = tiff;
    return decode::exif_orientation(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  });
  py::dict codecs;
  codecs["jpeg"] = decode::jpeg_available() ? py::object(py::str(decode::jpeg_version()))
                                            : py::object(py::none());
  codecs["png"] =
      decode::png_available() ? py::object(py::str(decode::png_version())) : py::object(py::none());
  m.attr("CODECS") = codecs;
}

}  // namespace pixnorm::bind
