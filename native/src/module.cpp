// studio._native: module entry point, build/runtime facts and shared settings.
#include <nanobind/stl/string.h>

#include <thread>

#include "bindings.h"
#include "cpu_features.h"
#include "errors.h"
#include "parallel.h"

namespace nb = nanobind;

NB_MODULE(_native, m) {
  m.doc() = "HAFS Studio compute kernels. Call them through studio.native, not directly.";
  m.attr("__version__") = HAFS_NATIVE_VERSION;
#if defined(HAFS_HAVE_PCRE2)
  m.attr("HAS_REGEX") = true;
#else
  m.attr("HAS_REGEX") = false;
#endif

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const hafs::OsError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    }
  });

  m.def("simd_level", [] { return std::string(hafs::simd_level_name(hafs::simd_level())); },
        "Instruction set the kernels use on this CPU: 'avx512', 'avx2' or 'scalar'.");
  m.def(
      "set_simd_cap",
      [](const std::string& level) {
        if (level == "scalar") hafs::set_simd_cap(hafs::SimdLevel::scalar);
        else if (level == "avx2") hafs::set_simd_cap(hafs::SimdLevel::avx2);
        else if (level == "avx512") hafs::set_simd_cap(hafs::SimdLevel::avx512);
        else throw std::invalid_argument("simd level must be 'scalar', 'avx2' or 'avx512', got '" + level + "'");
      },
      nb::arg("level"), "Caps the instruction set used from now on ('avx512' lifts the cap). For tests.");
  m.def("default_threads", &hafs::default_threads, "Threads a kernel uses when threads=0.");
  m.def("set_default_threads", &hafs::set_default_threads, nb::arg("threads"),
        "Sets the default thread count; 0 restores 'all cores'.");
  m.def("hardware_threads", [] { return static_cast<int>(std::thread::hardware_concurrency()); });

  hafs::bind::bind_text(m);
  hafs::bind::bind_numeric(m);
  hafs::bind::bind_agents(m);
}
