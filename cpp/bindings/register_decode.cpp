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

const std::uint8_t* bytes_of(const py::buffer_info& buf, std::size_t* size);

// (array (h, w, C) uint8 or uint16, EXIF orientation 1-8, (top, left) of the array in the
// image, the image's (H, W)); region (top, left, height, width): decode around it only
py::tuple decode_buffer(const py::buffer& source, const std::string& mode_name,
                        std::uint64_t max_pixels, const decode::Region& region) {
  const decode::Mode mode = parse_mode(mode_name);
  const py::buffer_info buf = source.request();  // held until the end: the bytes stay put
  std::size_t size = 0;
  const std::uint8_t* data = bytes_of(buf, &size);
  decode::Image img;
  {
    py::gil_scoped_release release;
    img = decode::decode(data, size, mode, decode::Limits{max_pixels}, region);
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
  return py::make_tuple(out, img.orientation, py::make_tuple(img.top, img.left),
                        py::make_tuple(img.full_height, img.full_width));
}

decode::Region to_region(const py::object& region) {
  decode::Region r;
  if (!region.is_none()) {
    const auto t = region.cast<py::tuple>();
    if (t.size() != 4) throw py::value_error("region: expected (top, left, height, width)");
    r = decode::Region{t[0].cast<int>(), t[1].cast<int>(), t[2].cast<int>(), t[3].cast<int>()};
  }
  return r;
}

const std::uint8_t* bytes_of(const py::buffer_info& buf, std::size_t* size) {
  if (buf.itemsize != 1 || buf.ndim != 1 || (buf.size > 1 && buf.strides[0] != 1)) {
    throw py::type_error("source: expected contiguous bytes");
  }
  *size = static_cast<std::size_t>(buf.size);
  return static_cast<const std::uint8_t*>(buf.ptr);
}

// (H, W, channels, orientation) of a JPEG file as decode(mode) gives it, from its header
py::tuple jpeg_header(const py::buffer& source, const std::string& mode_name,
                      std::uint64_t max_pixels, int scale) {
  const decode::Mode mode = parse_mode(mode_name);
  const py::buffer_info buf = source.request();
  std::size_t size = 0;
  const std::uint8_t* data = bytes_of(buf, &size);
  decode::Header h;
  {
    py::gil_scoped_release release;
    h = decode::read_jpeg_header(data, size, mode, decode::Limits{max_pixels}, scale);
  }
  return py::make_tuple(h.height, h.width, h.channels, h.orientation);
}

// The window around region of a JPEG file, written into out (H, W, C) uint8 at its place.
void decode_jpeg_into(const py::buffer& source, const std::string& mode_name,
                      std::uint64_t max_pixels, const py::object& region,
                      py::array_t<std::uint8_t> out, int scale) {
  const decode::Mode mode = parse_mode(mode_name);
  const decode::Region r = to_region(region);
  if (out.ndim() != 3 || out.strides(2) != 1 || out.strides(1) != out.shape(2) ||
      out.strides(0) < out.shape(1) * out.shape(2) || !out.writeable()) {
    throw py::value_error("out: expected a writable (H, W, C) uint8 array with packed rows");
  }
  decode::Target t{out.mutable_data(), static_cast<std::ptrdiff_t>(out.strides(0)),
                   static_cast<int>(out.shape(0)), static_cast<int>(out.shape(1)),
                   static_cast<int>(out.shape(2))};
  const py::buffer_info buf = source.request();
  std::size_t size = 0;
  const std::uint8_t* data = bytes_of(buf, &size);
  py::gil_scoped_release release;
  decode::decode_jpeg_into(data, size, mode, decode::Limits{max_pixels}, r, t, scale);
}

}  // namespace

void register_decode(py::module_& m) {
  m.def("jpeg_header", &jpeg_header, py::arg("source"), py::arg("mode"), py::arg("max_pixels"),
        py::arg("scale") = 8);
  m.def("decode_jpeg_into", &decode_jpeg_into, py::arg("source"), py::arg("mode"),
        py::arg("max_pixels"), py::arg("region"), py::arg("out"), py::arg("scale") = 8);
  py::register_exception<decode::corrupt_data>(m, "DecodeError", PyExc_ValueError);
  py::register_exception<decode::too_large>(m, "ImageTooLarge", PyExc_ValueError);
  py::register_exception<decode::unsupported_codec>(m, "UnsupportedCodec", PyExc_RuntimeError);
  m.def(
      "decode",
      [](const py::buffer& source, const std::string& mode, std::uint64_t max_pixels,
         const py::object& region) {
        return decode_buffer(source, mode, max_pixels, to_region(region));
      },
      py::arg("source"), py::arg("mode"), py::arg("max_pixels"), py::arg("region") = py::none());
  py::dict codecs;
  codecs["jpeg"] = decode::jpeg_available() ? py::object(py::str(decode::jpeg_version()))
                                            : py::object(py::none());
  codecs["png"] =
      decode::png_available() ? py::object(py::str(decode::png_version())) : py::object(py::none());
  m.attr("CODECS") = codecs;
}

}  // namespace pixnorm::bind
