// Bindings of the numeric kernels: series (downsampling, EMA) and embeddings.
#include <nanobind/stl/tuple.h>

#include <stdexcept>

#include "bindings.h"
#include "embeddings.h"
#include "series.h"

namespace hafs::bind {

namespace {

// Shared body of the top-k bindings: check shapes, run the kernel without the GIL, and return
// (indices, scores) as [queries, min(k, rows)] arrays.
template <class Score, class T, class Kernel>
nb::tuple topk_binding(Mat<T> queries, Mat<T> rows, std::size_t k, int threads, Kernel kernel) {
  if (queries.shape(1) != rows.shape(1))
    throw std::invalid_argument("queries and rows differ in dimension");
  PodBuffer<std::int64_t> idx;
  PodBuffer<Score> scores;
  {
    nb::gil_scoped_release release;
    kernel(queries.data(), queries.shape(0), rows.data(), rows.shape(0), rows.shape(1), k, threads,
           idx, scores);
  }
  std::size_t kk = std::min<std::size_t>(k, rows.shape(0));
  return nb::make_tuple(to_numpy(std::move(idx), queries.shape(0), kk),
                        to_numpy(std::move(scores), queries.shape(0), kk));
}

}  // namespace

void bind_numeric(nb::module_& m) {
  m.def(
      "minmax_indices",
      [](Vec<double> y, std::size_t buckets, int threads) {
        PodBuffer<std::int64_t> out;
        {
          nb::gil_scoped_release release;
          out = minmax_indices(y.data(), y.shape(0), buckets, threads);
        }
        return to_numpy(std::move(out));
      },
      nb::arg("y"), nb::arg("buckets"), nb::arg("threads") = 0);
  m.def(
      "lttb_indices",
      [](Vec<double> x, Vec<double> y, std::size_t buckets, int threads) {
        if (x.shape(0) != y.shape(0)) throw std::invalid_argument("x and y must have the same length");
        PodBuffer<std::int64_t> out;
        {
          nb::gil_scoped_release release;
          out = lttb_indices(x.data(), y.data(), y.shape(0), buckets, threads);
        }
        return to_numpy(std::move(out));
      },
      nb::arg("x"), nb::arg("y"), nb::arg("buckets"), nb::arg("threads") = 0);
  m.def(
      "ema_debiased",
      [](Vec<double> y, double weight) {
        PodBuffer<double> out(y.shape(0));
        {
          nb::gil_scoped_release release;
          ema_debiased(y.data(), y.shape(0), weight, out.data());
        }
        return to_numpy(std::move(out));
      },
      nb::arg("y"), nb::arg("weight"));

  m.def(
      "normalize_rows",
      [](Mat<float> x, int threads) {
        PodBuffer<float> out;
        {
          nb::gil_scoped_release release;
          out = normalize_rows(x.data(), x.shape(0), x.shape(1), threads);
        }
        return to_numpy(std::move(out), x.shape(0), x.shape(1));
      },
      nb::arg("x"), nb::arg("threads") = 0);
  m.def(
      "quantize_int8",
      [](nb::ndarray<const float, nb::c_contig, nb::device::cpu> x, int threads) {
        PodBuffer<std::int8_t> q;
        float scale = 1.0f;
        {
          nb::gil_scoped_release release;
          q = quantize_int8(x.data(), x.size(), scale, threads);
        }
        return nb::make_tuple(to_numpy(std::move(q)), scale);
      },
      nb::arg("x"), nb::arg("threads") = 0,
      "Flat int8 array and scale; reshape to x's shape on the Python side.");
  m.def(
      "topk_f32",
      [](Mat<float> queries, Mat<float> rows, std::size_t k, int threads) {
        return topk_binding<float>(queries, rows, k, threads, topk_f32);
      },
      nb::arg("queries"), nb::arg("rows"), nb::arg("k"), nb::arg("threads") = 0);
  m.def(
      "topk_i8",
      [](Mat<std::int8_t> queries, Mat<std::int8_t> rows, std::size_t k, int threads) {
        return topk_binding<std::int32_t>(queries, rows, k, threads, topk_i8);
      },
      nb::arg("queries"), nb::arg("rows"), nb::arg("k"), nb::arg("threads") = 0);
  m.def(
      "quantize_int8_rows",
      [](Mat<float> x, int threads) {
        PodBuffer<std::int8_t> q;
        PodBuffer<float> scales;
        {
          nb::gil_scoped_release release;
          q = quantize_int8_rows(x.data(), x.shape(0), x.shape(1), scales, threads);
        }
        return nb::make_tuple(to_numpy(std::move(q), x.shape(0), x.shape(1)), to_numpy(std::move(scales)));
      },
      nb::arg("x"), nb::arg("threads") = 0,
      "Per-row int8 values (n x d) and float32 scales (n): in-memory search only, not hafs's format.");
  m.def(
      "topk_i8_rows",
      [](Mat<std::int8_t> queries, Mat<std::int8_t> rows, Vec<float> row_scales, std::size_t k, int threads) {
        if (queries.shape(1) != rows.shape(1))
          throw std::invalid_argument("queries and rows differ in dimension");
        if (row_scales.shape(0) != rows.shape(0))
          throw std::invalid_argument("row_scales needs one scale per row");
        PodBuffer<std::int64_t> idx;
        PodBuffer<float> scores;
        {
          nb::gil_scoped_release release;
          topk_i8_rows(queries.data(), queries.shape(0), rows.data(), row_scales.data(), rows.shape(0),
                       rows.shape(1), k, threads, idx, scores);
        }
        std::size_t kk = std::min<std::size_t>(k, rows.shape(0));
        return nb::make_tuple(to_numpy(std::move(idx), queries.shape(0), kk),
                              to_numpy(std::move(scores), queries.shape(0), kk));
      },
      nb::arg("queries"), nb::arg("rows"), nb::arg("row_scales"), nb::arg("k"), nb::arg("threads") = 0);
  m.def(
      "rerank_f32",
      [](Mat<float> queries, Mat<float> rows, Mat<std::int64_t> candidates, std::size_t k, int threads) {
        if (queries.shape(1) != rows.shape(1))
          throw std::invalid_argument("queries and rows differ in dimension");
        if (candidates.shape(0) != queries.shape(0))
          throw std::invalid_argument("candidates need one row per query");
        PodBuffer<std::int64_t> idx;
        PodBuffer<float> scores;
        {
          nb::gil_scoped_release release;
          rerank_f32(queries.data(), queries.shape(0), rows.data(), rows.shape(0), rows.shape(1),
                     candidates.data(), candidates.shape(1), k, threads, idx, scores);
        }
        std::size_t kk = std::min<std::size_t>(k, candidates.shape(1));
        return nb::make_tuple(to_numpy(std::move(idx), queries.shape(0), kk),
                              to_numpy(std::move(scores), queries.shape(0), kk));
      },
      nb::arg("queries"), nb::arg("rows"), nb::arg("candidates"), nb::arg("k"), nb::arg("threads") = 0);
}

}  // namespace hafs::bind
