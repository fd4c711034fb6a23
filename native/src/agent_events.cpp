// agents.jsonl rows: a strict one-line JSON scanner that pulls out the protocol fields the
// Agents table aggregates, and the sequential part of that aggregation. Anything the scanner
// is not certain msgspec would read the same way is marked ROW_UNSURE for Python to decide.
#include "agent_events.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace hafs {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxIntDigits = 15;  // below 2**53: exact as a double, int64 sums safe
constexpr std::size_t kOpenTasksLimit = 1000;  // aggregate.py OPEN_TASKS_LIMIT

enum ValueKind : std::uint8_t { V_MISSING, V_NULL, V_TRUE, V_FALSE, V_INT, V_FLOAT, V_STR, V_STR_ESC, V_ARRAY, V_OBJECT };

struct Value {
  ValueKind kind = V_MISSING;
  const std::uint8_t* begin = nullptr;  // string contents (no quotes) or the number's text
  const std::uint8_t* end = nullptr;
  std::string_view text() const { return {reinterpret_cast<const char*>(begin), static_cast<std::size_t>(end - begin)}; }
};

enum Field : int {
  K_AGENT, K_EVENT, K_TIMESTAMP, K_TASK, K_TASK_ID, K_DURATION, K_ITEMS, K_ERROR, K_PID, K_HOST, K_KIND,
  K_INTERVAL, K_STARTED, K_QUEUE_DEPTH, K_LOG_FILE, K_DEPTH, K_NAME, K_VALUE, K_UNIT, K_REASON, K_EXIT_CODE,
  K_COUNT
};
// EventRecord's fields (studio/plugins/agents/eventlog.py), in Field order.
constexpr std::string_view kFieldNames[K_COUNT] = {
    "agent", "event", "timestamp", "task", "task_id", "duration_ms", "items_processed", "error", "pid", "host",
    "kind", "interval_seconds", "started", "queue_depth", "log_file", "depth", "name", "value", "unit", "reason",
    "exit_code"};

// A small table indexed by (length, first letter), at most two names per cell ("error" and
// "event" share one), so a key costs one or two compares instead of 21.
int field_of(std::string_view key) {
  static const auto table = [] {
    std::array<std::array<std::array<std::int8_t, 2>, 26>, 17> t{};
    for (auto& row : t)
      for (auto& cell : row) cell.fill(-1);
    for (int i = 0; i < K_COUNT; ++i) {
      auto& cell = t[kFieldNames[i].size()][kFieldNames[i][0] - 'a'];
      cell[cell[0] < 0 ? 0 : 1] = static_cast<std::int8_t>(i);
    }
    return t;
  }();
  if (key.empty() || key.size() > 16 || key[0] < 'a' || key[0] > 'z') return -1;
  for (int i : table[key.size()][key[0] - 'a'])
    if (i >= 0 && kFieldNames[i] == key) return i;
  return -1;
}

class LineParser {
 public:
  LineParser(const std::uint8_t* p, const std::uint8_t* end) : p_(p), end_(end) {}

  // The line as one JSON object; false when not certain (the caller marks it ROW_UNSURE).
  bool parse(Value (&fields)[K_COUNT]) {
    skip_ws();
    if (!eat('{')) return false;
    skip_ws();
    std::uint32_t seen = 0;
    if (!eat('}')) {
      for (;;) {
        Value key;
        if (!eat('"') || !string(key) || key.kind != V_STR) return false;  // escaped keys: unsure
        skip_ws();
        if (!eat(':')) return false;
        skip_ws();
        Value value;
        if (!parse_value(value, 1)) return false;
        int field = field_of(key.text());
        if (field >= 0) {
          if (seen & (1u << field)) return false;  // a repeated key: let msgspec say which wins
          seen |= 1u << field;
          fields[field] = value;
        }
        skip_ws();
        if (eat(',')) { skip_ws(); continue; }
        if (eat('}')) break;
        return false;
      }
    }
    skip_ws();
    return p_ == end_;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool eat(std::uint8_t c) {
    if (p_ < end_ && *p_ == c) { ++p_; return true; }
    return false;
  }
  bool literal(const char* word, std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  bool parse_value(Value& out, int depth) {
    if (p_ >= end_ || depth > kMaxDepth) return false;
    switch (*p_) {
      case '"': ++p_; return string(out);
      case '{': ++p_; out.kind = V_OBJECT; return object(depth);
      case '[': ++p_; out.kind = V_ARRAY; return array(depth);
      case 't': out.kind = V_TRUE; return literal("true", 4);
      case 'f': out.kind = V_FALSE; return literal("false", 5);
      case 'n': out.kind = V_NULL; return literal("null", 4);
      default: return number(out);
    }
  }

  bool object(int depth) {
    skip_ws();
    if (eat('}')) return true;
    for (;;) {
      Value key, value;
      if (!eat('"') || !string(key)) return false;
      skip_ws();
      if (!eat(':')) return false;
      skip_ws();
      if (!parse_value(value, depth + 1)) return false;
      skip_ws();
      if (eat(',')) { skip_ws(); continue; }
      return eat('}');
    }
  }

  bool array(int depth) {
    skip_ws();
    if (eat(']')) return true;
    for (;;) {
      Value value;
      if (!parse_value(value, depth + 1)) return false;
      skip_ws();
      if (eat(',')) { skip_ws(); continue; }
      return eat(']');
    }
  }

  static int hex(std::uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // After the opening quote. Strict UTF-8; \u escapes of surrogates are left to msgspec.
  bool string(Value& out) {
    out.kind = V_STR;
    out.begin = p_;
    while (p_ < end_) {
      // Eight plain ASCII bytes at a time (no quote, backslash, control or non-ASCII byte).
      while (end_ - p_ >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p_, 8);
        constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
        std::uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
        std::uint64_t special = ((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((w - kOnes * 0x20) & ~w) | w;
        if (special & kHigh) break;
        p_ += 8;
      }
      if (p_ >= end_) break;
      std::uint8_t c = *p_;
      if (c == '"') { out.end = p_++; return true; }
      if (c == '\\') {
        out.kind = V_STR_ESC;
        if (++p_ >= end_) return false;
        std::uint8_t e = *p_++;
        if (e == 'u') {
          if (end_ - p_ < 4) return false;
          int code = 0;
          for (int i = 0; i < 4; ++i) {
            int h = hex(p_[i]);
            if (h < 0) return false;
            code = code * 16 + h;
          }
          if (code >= 0xD800 && code <= 0xDFFF) return false;
          p_ += 4;
        } else if (!std::strchr("\"\\/bfnrt", e) || e == 0) {
          return false;
        }
        continue;
      }
      if (c < 0x20) return false;
      if (c < 0x80) { ++p_; continue; }
      if (!utf8(c)) return false;
    }
    return false;  // no closing quote on this line
  }

  bool utf8(std::uint8_t c) {
    int extra;
    std::uint32_t code, minimum;
    if ((c & 0xE0) == 0xC0) { extra = 1; code = c & 0x1F; minimum = 0x80; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; code = c & 0x0F; minimum = 0x800; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; code = c & 0x07; minimum = 0x10000; }
    else return false;
    if (end_ - p_ <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p_[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p_[i] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    p_ += extra + 1;
    return true;
  }

  static bool digit(std::uint8_t c) { return c >= '0' && c <= '9'; }

  // JSON number grammar; ints longer than kMaxIntDigits and floats that overflow (msgspec
  // refuses those) or underflow are left to msgspec.
  bool number(Value& out) {
    out.begin = p_;
    eat('-');
    const std::uint8_t* digits = p_;
    if (p_ >= end_ || !digit(*p_)) return false;
    if (*p_ == '0') ++p_;
    else while (p_ < end_ && digit(*p_)) ++p_;
    std::size_t int_digits = static_cast<std::size_t>(p_ - digits);
    bool is_float = false;
    if (eat('.')) {
      is_float = true;
      if (p_ >= end_ || !digit(*p_)) return false;
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (!eat('+')) eat('-');
      if (p_ >= end_ || !digit(*p_)) return false;
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    out.end = p_;
    if (!is_float) {
      out.kind = V_INT;
      return int_digits <= kMaxIntDigits;
    }
    out.kind = V_FLOAT;
    double value = 0;
    auto text = out.text();
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    return result.ec == std::errc() && std::isfinite(value);
  }
};

std::int64_t int_of(const Value& v) {
  std::int64_t x = 0;
  auto text = v.text();
  std::from_chars(text.data(), text.data() + text.size(), x);
  return x;
}

double number_of(const Value& v) {
  if (v.kind == V_INT) return static_cast<double>(int_of(v));
  double x = 0;
  auto text = v.text();
  std::from_chars(text.data(), text.data() + text.size(), x);
  return x;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe);
}

// A naive ISO time as Python's datetime.isoformat() writes it (YYYY-MM-DDTHH:MM:SS with
// optional .fff or .ffffff), as microseconds since 0001-01-01T00:00; -1 for anything else.
std::int64_t naive_iso_us(std::string_view s) {
  if (s.size() != 19 && s.size() != 23 && s.size() != 26) return -1;
  static const char kPattern[] = "dddd-dd-ddTdd:dd:dd.dddddd";
  for (std::size_t i = 0; i < s.size(); ++i) {
    char want = kPattern[i];
    if (want == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != want) return -1;
  }
  auto num = [&](std::size_t at, std::size_t n) {
    int x = 0;
    for (std::size_t i = 0; i < n; ++i) x = x * 10 + (s[at + i] - '0');
    return x;
  };
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return -1;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return -1;
  std::int64_t micros = s.size() == 26 ? num(20, 6) : s.size() == 23 ? num(20, 3) * 1000 : 0;
  std::int64_t days = days_from_civil(year, month, day) - days_from_civil(1, 1, 1);
  return ((days * 24 + hour) * 60 + minute) * 60'000'000LL + second * 1'000'000LL + micros;
}

std::int8_t event_code(std::string_view e) {
  if (e == "start") return EV_START;
  if (e == "success") return EV_SUCCESS;
  if (e == "failure") return EV_FAILURE;
  if (e == "heartbeat") return EV_HEARTBEAT;
  if (e == "queue") return EV_QUEUE;
  if (e == "metric") return EV_METRIC;
  if (e == "stop") return EV_STOP;
  return EV_OTHER;
}

bool is_number(const Value& v) { return v.kind == V_INT || v.kind == V_FLOAT; }
bool is_string(const Value& v) { return v.kind == V_STR || v.kind == V_STR_ESC; }
bool present(const Value& v) { return v.kind != V_MISSING && v.kind != V_NULL; }

// Byte strings → dense ids (order of first sight). Open addressing over views into the
// scanned buffer: no allocation per string (task ids are mostly unique).
class Interner {
 public:
  std::int64_t of(std::string_view s, std::vector<std::string>* names = nullptr) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    std::uint64_t h = hash(s);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = {h, s, static_cast<std::int64_t>(count_++)};
        if (names) names->emplace_back(s);
        return slot.id;
      }
      if (slot.hash == h && slot.text == s) return slot.id;
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string_view text;
    std::int64_t id = -1;
  };
  std::vector<Slot> slots_;
  std::size_t count_ = 0;

  static std::uint64_t hash(std::string_view s) {  // FNV-1a, then a final mix
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h ^ (h >> 29);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id < 0) continue;
      std::size_t i = slot.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }
};

// Fills one row (already pushed with defaults) from a parsed line.
std::int8_t classify(const Value (&f)[K_COUNT], AgentEventRows& rows, Interner& agents, Interner& tasks) {
  const Value& agent = f[K_AGENT];
  if (agent.kind == V_STR_ESC || agent.kind == V_ARRAY || agent.kind == V_OBJECT) return ROW_UNSURE;
  if (agent.kind != V_STR || agent.begin == agent.end) return ROW_IGNORED;
  const Value& event = f[K_EVENT];
  if (event.kind == V_STR_ESC) return ROW_UNSURE;
  const Value& ts = f[K_TIMESTAMP];
  std::int64_t ts_us = ts.kind == V_STR ? naive_iso_us(ts.text()) : -1;
  if (ts_us < 0) return ROW_UNSURE;

  std::int8_t task_kind = TASK_NONE;
  std::int64_t task_key = 0;
  const Value& task = f[K_TASK_ID];
  switch (task.kind) {
    case V_MISSING: case V_NULL: break;
    case V_STR: task_kind = TASK_STR; task_key = tasks.of(task.text()); break;
    case V_STR_ESC: return ROW_UNSURE;
    case V_INT: task_kind = TASK_INT; task_key = int_of(task); break;
    default: task_kind = TASK_OTHER;
  }
  std::uint16_t flags = 0;
  double duration = std::nan("");
  if (is_number(f[K_DURATION])) { flags |= F_DURATION; duration = number_of(f[K_DURATION]); }
  std::int64_t items = 0;
  if (f[K_ITEMS].kind == V_INT) { flags |= F_ITEMS; items = int_of(f[K_ITEMS]); }
  if (present(f[K_PID])) flags |= F_PID;
  if (is_number(f[K_INTERVAL]) && number_of(f[K_INTERVAL]) > 0) flags |= F_INTERVAL;
  if (is_string(f[K_HOST])) flags |= F_HOST;
  if (is_string(f[K_KIND])) flags |= F_KIND;
  if (present(f[K_STARTED])) flags |= F_STARTED;
  if (f[K_QUEUE_DEPTH].kind == V_INT) flags |= F_QUEUE_DEPTH;
  if (is_string(f[K_LOG_FILE])) flags |= F_LOG_FILE;
  if (f[K_DEPTH].kind == V_INT) flags |= F_DEPTH;
  if (is_string(f[K_NAME]) && is_number(f[K_VALUE])) flags |= F_METRIC;

  rows.agent.back() = static_cast<std::int32_t>(agents.of(agent.text(), &rows.agent_names));
  rows.event.back() = event.kind == V_STR ? event_code(event.text()) : EV_OTHER;
  rows.ts_us.back() = ts_us;
  rows.task_kind.back() = task_kind;
  rows.task_key.back() = task_key;
  rows.duration.back() = duration;
  rows.items.back() = items;
  rows.flags.back() = flags;
  return ROW_EVENT;
}

bool blank(const std::uint8_t* p, const std::uint8_t* end) {  // bytes.strip()'s whitespace
  for (; p < end; ++p)
    if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == 0x0b || *p == 0x0c)) return false;
  return true;
}

}  // namespace

AgentEventRows scan_agent_events(const std::uint8_t* data, std::size_t n) {
  AgentEventRows rows;
  Interner agents, tasks;
  const std::uint8_t* end = data + n;
  const std::uint8_t* line = data;
  while (line < end) {
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
    const std::uint8_t* stop = nl ? nl : end;
    if (!blank(line, stop)) {
      rows.line_begin.push_back(line - data);
      rows.line_end.push_back(stop - data);
      rows.agent.push_back(-1);
      rows.event.push_back(EV_OTHER);
      rows.ts_us.push_back(-1);
      rows.task_kind.push_back(TASK_NONE);
      rows.task_key.push_back(0);
      rows.duration.push_back(std::nan(""));
      rows.items.push_back(0);
      rows.flags.push_back(0);
      Value fields[K_COUNT];
      LineParser parser(line, stop);
      rows.status.push_back(parser.parse(fields) ? classify(fields, rows, agents, tasks) : ROW_UNSURE);
      if (rows.status.back() != ROW_EVENT) rows.agent.back() = -1;
    }
    line = stop + 1;
  }
  return rows;
}

namespace {

struct TaskKey {
  std::int8_t kind;
  std::int64_t key;
  bool operator==(const TaskKey& o) const { return kind == o.kind && key == o.key; }
};
struct TaskKeyHash {
  std::size_t operator()(const TaskKey& k) const {
    return std::hash<std::int64_t>()(k.key * 2 + (k.kind == TASK_STR ? 1 : 0));
  }
};
struct OpenTask {
  std::int64_t order;  // insertion order of the Python dict
  std::int64_t row;
};
struct Bucket {
  std::int64_t ok = 0, failed = 0, lat_n = 0;
  double lat_sum = 0.0;
};

}  // namespace

AgentEventTotals aggregate_agent_events(std::size_t rows, std::size_t agents, const std::int8_t* status,
                                        const std::int32_t* agent, const std::int8_t* event,
                                        const std::uint16_t* flags, const std::int64_t* ts_us,
                                        const std::int8_t* task_kind, const std::int64_t* task_key,
                                        const double* duration, const std::int64_t* items) {
  AgentEventTotals t;
  t.agents = agents;
  t.starts.assign(agents, 0);
  t.successes.assign(agents, 0);
  t.failures.assign(agents, 0);
  t.items.assign(agents, 0);
  t.lat_n.assign(agents, 0);
  t.open_anon_row.assign(agents, -1);
  t.lat_sum.assign(agents, 0.0);
  std::vector<std::unordered_map<TaskKey, OpenTask, TaskKeyHash>> open(agents);
  std::unordered_map<std::uint64_t, std::size_t> bucket_index;
  std::vector<Bucket> buckets;
  std::int64_t order = 0;
  constexpr std::int64_t kMinuteUs = 60'000'000;

  for (std::size_t i = 0; i < rows; ++i) {
    if (status[i] != ROW_EVENT) continue;
    const std::size_t a = static_cast<std::size_t>(agent[i]);
    if (a >= agents) throw std::invalid_argument("agent id out of range");
    const std::int8_t ev = event[i];
    const bool identified = task_kind[i] == TASK_STR || task_kind[i] == TASK_INT;
    if (ev == EV_SUCCESS || ev == EV_FAILURE) {
      const bool ok = ev == EV_SUCCESS;
      if (ok) {
        ++t.successes[a];
        if (flags[i] & F_ITEMS) t.items[a] += items[i];
      } else {
        ++t.failures[a];
      }
      std::int64_t started = -1;
      if (task_kind[i] == TASK_NONE) {
        started = t.open_anon_row[a];
        t.open_anon_row[a] = -1;
      } else if (identified) {
        auto it = open[a].find({task_kind[i], task_key[i]});
        if (it != open[a].end()) {
          started = it->second.row;
          open[a].erase(it);
        }
      }
      bool timed = false;
      double ms = 0.0;
      if (flags[i] & F_DURATION) {
        timed = true;
        ms = duration[i];
      } else if (started >= 0) {
        std::int64_t delta = ts_us[i] - ts_us[started];
        if (delta >= 0) {  // timedelta.total_seconds() * 1000.0, rounded as Python rounds it
          timed = true;
          ms = (static_cast<double>(delta) / 1e6) * 1000.0;
        }
      }
      const std::int64_t minute = ts_us[i] / kMinuteUs;
      const std::uint64_t key = (static_cast<std::uint64_t>(a) << 34) | static_cast<std::uint64_t>(minute);
      auto [slot, added] = bucket_index.emplace(key, buckets.size());
      if (added) {
        buckets.emplace_back();
        t.bucket_agent.push_back(static_cast<std::int32_t>(a));
        t.bucket_minute.push_back(minute);
      }
      Bucket& b = buckets[slot->second];
      (ok ? b.ok : b.failed) += 1;
      if (timed) {
        b.lat_sum += ms;
        ++b.lat_n;
        t.lat_sum[a] += ms;
        ++t.lat_n[a];
      }
    } else if (ev == EV_START) {
      ++t.starts[a];
      if (task_kind[i] == TASK_NONE) {
        t.open_anon_row[a] = static_cast<std::int64_t>(i);
      } else if (identified && open[a].size() < kOpenTasksLimit) {
        auto [it, added] = open[a].try_emplace(TaskKey{task_kind[i], task_key[i]}, OpenTask{order, 0});
        if (added) ++order;
        it->second.row = static_cast<std::int64_t>(i);
      }
    } else if (ev == EV_STOP) {
      open[a].clear();
      t.open_anon_row[a] = -1;
    }
  }
  for (const Bucket& b : buckets) {
    t.bucket_ok.push_back(b.ok);
    t.bucket_failed.push_back(b.failed);
    t.bucket_lat_sum.push_back(b.lat_sum);
    t.bucket_lat_n.push_back(b.lat_n);
  }
  for (std::size_t a = 0; a < agents; ++a) {
    std::vector<OpenTask> still(open[a].size());
    std::size_t k = 0;
    for (const auto& kv : open[a]) still[k++] = kv.second;
    std::sort(still.begin(), still.end(), [](const OpenTask& x, const OpenTask& y) { return x.order < y.order; });
    for (const OpenTask& task : still) {
      t.open_agent.push_back(static_cast<std::int32_t>(a));
      t.open_row.push_back(task.row);
    }
  }
  return t;
}

}  // namespace hafs
