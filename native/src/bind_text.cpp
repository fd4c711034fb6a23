// Bindings of the text kernels: line index, line search, log levels, MinHash, text embedder.
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "line_index.h"
#include "line_search.h"
#include "log_levels.h"
#include "minhash.h"
#include "text_common.h"
#include "text_embedder.h"
#include "regex_engine.h"

namespace hafs::bind {
namespace {

Texts texts_of(const Bytes& data, const Vec<std::int64_t>& offsets) {
  check_text_offsets(offsets.data(), offsets.shape(0), data.shape(0));
  return {data.data(), offsets.data(), offsets.shape(0) - 1};
}

ShingleOptions shingles(const std::string& unit, std::size_t k, std::uint64_t seed) {
  if (unit != "char" && unit != "word") throw std::invalid_argument("shingle unit must be 'char' or 'word'");
  if (k == 0) throw std::invalid_argument("shingle size k must be >= 1");
  return {unit == "word", k, seed};
}

}  // namespace

void bind_text(nb::module_& m) {
  m.def(
      "newline_offsets",
      [](Bytes data, std::int64_t base, int threads) {
        PodBuffer<std::int64_t> out;
        {
          nb::gil_scoped_release release;
          out = newline_offsets(data.data(), data.shape(0), base, threads);
        }
        return to_numpy(std::move(out));
      },
      nb::arg("data"), nb::arg("base") = 0, nb::arg("threads") = 0,
      "int64 offsets (base + i) of every b'\\n' in a uint8 buffer.");
  m.def(
      "newline_offsets_file",
      [](const std::string& path, std::int64_t start, std::int64_t end, int threads) {
        PodBuffer<std::int64_t> out;
        {
          nb::gil_scoped_release release;
          out = newline_offsets_file(path, start, end, threads);
        }
        return to_numpy(std::move(out));
      },
      nb::arg("path"), nb::arg("start") = 0, nb::arg("end") = -1, nb::arg("threads") = 0,
      "int64 absolute offsets of every b'\\n' in bytes [start, end) of a file (end=-1: to EOF).");

  m.def("regex_engine", &Regex::engine_version, "Regex engine name and version, or 'none'.");
  nb::class_<LineSearcher>(m, "LineSearcher", "A compiled line search (literal or regex).")
      .def(
          "__init__",
          [](LineSearcher* self, nb::bytes pattern, bool regex, bool ignore_case) {
            new (self) LineSearcher(std::string(pattern.c_str(), pattern.size()), regex, ignore_case);
          },
          nb::arg("pattern"), nb::arg("regex") = false, nb::arg("ignore_case") = false)
      .def(
          "matching_lines",
          [](const LineSearcher& self, Bytes data, int threads) {
            PodBuffer<std::int64_t> out;
            {
              nb::gil_scoped_release release;
              out = self.matching_lines(data.data(), data.shape(0), threads);
            }
            return to_numpy(std::move(out));
          },
          nb::arg("data"), nb::arg("threads") = 0)
      .def(
          "count_matching_lines",
          [](const LineSearcher& self, Bytes data, int threads) {
            nb::gil_scoped_release release;
            return self.count_matching_lines(data.data(), data.shape(0), threads);
          },
          nb::arg("data"), nb::arg("threads") = 0)
      .def(
          "spans",
          [](const LineSearcher& self, Bytes data, Vec<std::int64_t> begins, Vec<std::int64_t> ends) {
            if (begins.shape(0) != ends.shape(0))
              throw std::invalid_argument("begins and ends must have the same length");
            LineSearcher::Spans s;
            {
              nb::gil_scoped_release release;
              s = self.spans(data.data(), data.shape(0), begins.data(), ends.data(), begins.shape(0));
            }
            return nb::make_tuple(to_numpy(std::move(s.which)), to_numpy(std::move(s.begin)),
                                  to_numpy(std::move(s.end)));
          },
          nb::arg("data"), nb::arg("begins"), nb::arg("ends"))
      .def_prop_ro("strategy", &LineSearcher::strategy)
      .def_prop_ro("literals",
                   [](const LineSearcher& self) {
                     std::vector<nb::bytes> out;
                     for (const auto& s : self.analysis().literals) out.emplace_back(s.data(), s.size());
                     return out;
                   })
      .def_prop_ro("caseless", [](const LineSearcher& self) { return self.analysis().caseless; });

  m.def(
      "classify_levels",
      [](Bytes data, const std::vector<std::string>& tokens, const std::vector<int>& levels, bool ignore_case,
         std::size_t max_column, bool inherit, int threads) {
        if (tokens.size() != levels.size()) throw std::invalid_argument("tokens and levels differ in length");
        std::vector<LevelToken> table;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          if (levels[i] < 0 || levels[i] > 254) throw std::invalid_argument("level codes must be in [0, 254]");
          table.push_back({tokens[i], static_cast<std::uint8_t>(levels[i])});
        }
        LevelOptions options{ignore_case, max_column, inherit};
        PodBuffer<std::uint8_t> out;
        {
          nb::gil_scoped_release release;
          out = classify_levels(data.data(), data.shape(0), table, options, threads);
        }
        return to_numpy(std::move(out));
      },
      nb::arg("data"), nb::arg("tokens"), nb::arg("levels"), nb::arg("ignore_case") = false,
      nb::arg("max_column") = 256, nb::arg("inherit") = false, nb::arg("threads") = 0);

  m.def(
      "minhash_signatures",
      [](Bytes data, Vec<std::int64_t> offsets, std::size_t num_perm, const std::string& unit, std::size_t k,
         std::uint64_t seed, int threads) {
        Texts texts = texts_of(data, offsets);
        ShingleOptions options = shingles(unit, k, seed);
        PodBuffer<std::uint32_t> sig;
        {
          nb::gil_scoped_release release;
          sig = minhash_signatures(texts, options, num_perm, threads);
        }
        return to_numpy(std::move(sig), texts.count, num_perm);
      },
      nb::arg("data"), nb::arg("offsets"), nb::arg("num_perm") = 128, nb::arg("unit") = "char",
      nb::arg("k") = 5, nb::arg("seed") = 1, nb::arg("threads") = 0);
  m.def(
      "lsh_candidate_pairs",
      [](Mat<std::uint32_t> signatures, std::size_t bands, std::size_t rows, std::size_t max_bucket, int threads) {
        PodBuffer<std::int64_t> pairs;
        {
          nb::gil_scoped_release release;
          pairs = lsh_candidate_pairs(signatures.data(), signatures.shape(0), signatures.shape(1), bands, rows,
                                      max_bucket, threads);
        }
        std::size_t m = pairs.size() / 2;
        return to_numpy(std::move(pairs), m, 2);
      },
      nb::arg("signatures"), nb::arg("bands"), nb::arg("rows"), nb::arg("max_bucket") = 1000,
      nb::arg("threads") = 0);
  m.def(
      "exact_jaccard",
      [](Bytes data, Vec<std::int64_t> offsets, Mat<std::int64_t> pairs, const std::string& unit, std::size_t k,
         std::uint64_t seed, int threads) {
        Texts texts = texts_of(data, offsets);
        ShingleOptions options = shingles(unit, k, seed);
        if (pairs.shape(1) != 2) throw std::invalid_argument("pairs must have shape (m, 2)");
        std::vector<double> j;
        {
          nb::gil_scoped_release release;
          j = exact_jaccard(texts, options, pairs.data(), pairs.shape(0), threads);
        }
        PodBuffer<double> out;
        out.append(j.data(), j.size());
        return to_numpy(std::move(out));
      },
      nb::arg("data"), nb::arg("offsets"), nb::arg("pairs"), nb::arg("unit") = "char", nb::arg("k") = 5,
      nb::arg("seed") = 1, nb::arg("threads") = 0);

  m.def(
      "embed_texts",
      [](Bytes data, Vec<std::int64_t> offsets, std::size_t dim, std::size_t min_n, std::size_t max_n,
         bool lowercase, std::uint64_t seed, int threads) {
        Texts texts = texts_of(data, offsets);
        EmbedderOptions options{dim, min_n, max_n, lowercase, seed};
        PodBuffer<float> rows;
        {
          nb::gil_scoped_release release;
          rows = embed_texts(texts, options, threads);
        }
        return to_numpy(std::move(rows), texts.count, dim);
      },
      nb::arg("data"), nb::arg("offsets"), nb::arg("dim") = 384, nb::arg("min_n") = 3, nb::arg("max_n") = 5,
      nb::arg("lowercase") = true, nb::arg("seed") = 0x68616673, nb::arg("threads") = 0);
}

}  // namespace hafs::bind
