// Bindings of the agents.jsonl kernels (native/src/agent_events.h): dicts of NumPy columns.
#include <nanobind/stl/string.h>

#include <string>
#include <utility>
#include <vector>

#include "agent_events.h"
#include "bindings.h"

namespace hafs::bind {
namespace {

// Moves a vector's memory into a NumPy array (no copy).
template <class T>
OutVec<T> vec_to_numpy(std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return OutVec<T>(owned->data(), {owned->size()}, owner);
}

template <class T>
const T* column(const nb::dict& rows, const char* name, std::size_t n) {
  auto array = nb::cast<Vec<T>>(rows[name]);
  if (array.shape(0) < n) throw std::invalid_argument(std::string("column '") + name + "' is too short");
  return array.data();
}

}  // namespace

void bind_agents(nb::module_& m) {
  m.def(
      "scan_agent_events",
      [](Bytes data) {
        AgentEventRows rows;
        {
          nb::gil_scoped_release release;
          rows = scan_agent_events(data.data(), data.shape(0));
        }
        nb::dict out;
        out["line_begin"] = vec_to_numpy(std::move(rows.line_begin));
        out["line_end"] = vec_to_numpy(std::move(rows.line_end));
        out["status"] = vec_to_numpy(std::move(rows.status));
        out["agent"] = vec_to_numpy(std::move(rows.agent));
        out["event"] = vec_to_numpy(std::move(rows.event));
        out["flags"] = vec_to_numpy(std::move(rows.flags));
        out["ts_us"] = vec_to_numpy(std::move(rows.ts_us));
        out["task_kind"] = vec_to_numpy(std::move(rows.task_kind));
        out["task_key"] = vec_to_numpy(std::move(rows.task_key));
        out["duration"] = vec_to_numpy(std::move(rows.duration));
        out["items"] = vec_to_numpy(std::move(rows.items));
        nb::list names;
        for (const std::string& name : rows.agent_names) names.append(nb::bytes(name.data(), name.size()));
        out["agent_names"] = names;
        return out;
      },
      nb::arg("data"), "One row per non-blank line of agents.jsonl: the fields the Agents table aggregates.");
  m.def(
      "aggregate_agent_events",
      [](nb::dict rows, std::size_t count, std::size_t agents) {
        const auto* status = column<std::int8_t>(rows, "status", count);
        const auto* agent = column<std::int32_t>(rows, "agent", count);
        const auto* event = column<std::int8_t>(rows, "event", count);
        const auto* flags = column<std::uint16_t>(rows, "flags", count);
        const auto* ts_us = column<std::int64_t>(rows, "ts_us", count);
        const auto* task_kind = column<std::int8_t>(rows, "task_kind", count);
        const auto* task_key = column<std::int64_t>(rows, "task_key", count);
        const auto* duration = column<double>(rows, "duration", count);
        const auto* items = column<std::int64_t>(rows, "items", count);
        AgentEventTotals t;
        {
          nb::gil_scoped_release release;
          t = aggregate_agent_events(count, agents, status, agent, event, flags, ts_us, task_kind, task_key,
                                     duration, items);
        }
        nb::dict out;
        out["starts"] = vec_to_numpy(std::move(t.starts));
        out["successes"] = vec_to_numpy(std::move(t.successes));
        out["failures"] = vec_to_numpy(std::move(t.failures));
        out["items"] = vec_to_numpy(std::move(t.items));
        out["lat_sum"] = vec_to_numpy(std::move(t.lat_sum));
        out["lat_n"] = vec_to_numpy(std::move(t.lat_n));
        out["open_anon_row"] = vec_to_numpy(std::move(t.open_anon_row));
        out["open_agent"] = vec_to_numpy(std::move(t.open_agent));
        out["open_row"] = vec_to_numpy(std::move(t.open_row));
        out["bucket_agent"] = vec_to_numpy(std::move(t.bucket_agent));
        out["bucket_minute"] = vec_to_numpy(std::move(t.bucket_minute));
        out["bucket_ok"] = vec_to_numpy(std::move(t.bucket_ok));
        out["bucket_failed"] = vec_to_numpy(std::move(t.bucket_failed));
        out["bucket_lat_sum"] = vec_to_numpy(std::move(t.bucket_lat_sum));
        out["bucket_lat_n"] = vec_to_numpy(std::move(t.bucket_lat_n));
        return out;
      },
      nb::arg("rows"), nb::arg("count"), nb::arg("agents"),
      "Task counts, latency sums, open tasks and minute buckets of rows [0, count) (EVENT rows only).");
}

}  // namespace hafs::bind
