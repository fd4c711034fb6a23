#include "line_index.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "byte_scan.h"
#include "errors.h"
#include "parallel.h"

namespace hafs {
namespace {

constexpr std::size_t kBlock = std::size_t{1} << 16;      // scanned per byte_positions call
constexpr std::size_t kMinPart = std::size_t{1} << 22;    // below 4 MB a thread does not pay
// One positional read: small enough to stay in the L2 cache while it is scanned (1 MB blocks
// spilled to memory and made the read path 2-3x slower than `wc -l`, which reads 16 KB).
constexpr std::size_t kFileBlock = std::size_t{1} << 16;

std::size_t part_count(std::size_t n, int threads) {
  std::size_t parts = n / kMinPart;
  return std::clamp<std::size_t>(parts, 1, static_cast<std::size_t>(resolve_threads(threads)));
}

void scan_into(const std::uint8_t* data, std::size_t n, std::int64_t base, PodBuffer<std::int64_t>& out) {
  for (std::size_t off = 0; off < n; off += kBlock) {
    std::size_t len = std::min(kBlock, n - off);
    std::int64_t* dst = out.spare(len + 4);
    out.commit(byte_positions(data + off, len, '\n', base + static_cast<std::int64_t>(off), dst));
  }
}

PodBuffer<std::int64_t> concatenate(std::vector<PodBuffer<std::int64_t>>& parts, int threads) {
  if (parts.size() == 1) return std::move(parts[0]);
  std::vector<std::size_t> start(parts.size() + 1, 0);
  for (std::size_t i = 0; i < parts.size(); ++i) start[i + 1] = start[i] + parts[i].size();
  PodBuffer<std::int64_t> result(start.back());
  parallel_for(parts.size(), threads, [&](std::size_t i) {
    if (!parts[i].empty()) std::memcpy(result.data() + start[i], parts[i].data(), parts[i].size() * 8);
  });
  return result;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_unbuffered(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw OsError("cannot open " + path + ": " + std::strerror(errno));
  std::setvbuf(f.get(), nullptr, _IONBF, 0);  // reads go straight into our buffer
  return f;
}

bool seek(std::FILE* f, std::int64_t offset) {
#if defined(_WIN32)
  return _fseeki64(f, offset, SEEK_SET) == 0;
#else
  return fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0;
#endif
}

std::int64_t file_size(std::FILE* f, const std::string& path) {
#if defined(_WIN32)
  bool ok = _fseeki64(f, 0, SEEK_END) == 0;
  std::int64_t size = ok ? _ftelli64(f) : -1;
#else
  bool ok = fseeko(f, 0, SEEK_END) == 0;
  std::int64_t size = ok ? static_cast<std::int64_t>(ftello(f)) : -1;
#endif
  if (size < 0) throw OsError("cannot determine the size of " + path);
  return size;
}

}  // namespace

PodBuffer<std::int64_t> newline_offsets(const std::uint8_t* data, std::size_t n, std::int64_t base,
                                        int threads) {
  std::size_t parts = part_count(n, threads);
  std::vector<PodBuffer<std::int64_t>> found(parts);
  parallel_for(parts, threads, [&](std::size_t p) {
    std::size_t begin = n * p / parts, end = n * (p + 1) / parts;
    found[p].reserve((end - begin) / 64 + 16);
    scan_into(data + begin, end - begin, base + static_cast<std::int64_t>(begin), found[p]);
  });
  return concatenate(found, threads);
}

PodBuffer<std::int64_t> newline_offsets_file(const std::string& path, std::int64_t start, std::int64_t end,
                                             int threads) {
  std::int64_t size = file_size(open_unbuffered(path).get(), path);
  if (end < 0 || end > size) end = size;
  if (start < 0) start = 0;
  if (start >= end) return {};
  std::size_t n = static_cast<std::size_t>(end - start);
  std::size_t parts = part_count(n, threads);
  std::vector<PodBuffer<std::int64_t>> found(parts);
  parallel_for(parts, threads, [&](std::size_t p) {
    std::int64_t begin = start + static_cast<std::int64_t>(n * p / parts);
    std::int64_t stop = start + static_cast<std::int64_t>(n * (p + 1) / parts);
    File f = open_unbuffered(path);
    if (!seek(f.get(), begin)) throw OsError("cannot seek in " + path);
    std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[kFileBlock]);
    found[p].reserve(static_cast<std::size_t>(stop - begin) / 64 + 16);
    for (std::int64_t pos = begin; pos < stop;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(kFileBlock, stop - pos));
      std::size_t got = std::fread(buf.get(), 1, want, f.get());
      if (got == 0) break;  // the file shrank while we read it: index what was there
      scan_into(buf.get(), got, pos, found[p]);
      pos += static_cast<std::int64_t>(got);
    }
  });
  return concatenate(found, threads);
}

}  // namespace hafs
