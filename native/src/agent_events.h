// Kernel: the agents.jsonl fields the Agents table aggregates, one row per line, and the
// sequential part of the aggregation (task matching, latency sums, minute buckets).
// studio/plugins/agents/bulk_load.py is the only caller; see its docstring for the contract.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hafs {

// Row status. UNSURE: the scanner does not vouch for the line (invalid JSON, an escape in a
// key field, an odd type, a timestamp that is not naive ISO ...): Python decides with msgspec
// and writes BAD (not an event), IGNORED (no agent name) or stops the fast path there.
enum AgentRowStatus : std::int8_t { ROW_EVENT = 0, ROW_IGNORED = 1, ROW_UNSURE = 2, ROW_BAD = 3 };
enum AgentEventCode : std::int8_t {
  EV_OTHER = 0, EV_START, EV_SUCCESS, EV_FAILURE, EV_HEARTBEAT, EV_QUEUE, EV_METRIC, EV_STOP
};
enum AgentTaskKind : std::int8_t { TASK_NONE = 0, TASK_STR = 1, TASK_INT = 2, TASK_OTHER = 3 };
// Per-row facts about optional fields (what the Python aggregator tests with __class__).
enum AgentFlag : std::uint16_t {
  F_PID = 1,            // pid present and not null
  F_INTERVAL = 2,       // interval_seconds a number > 0
  F_HOST = 4,           // host a string
  F_KIND = 8,           // kind a string
  F_STARTED = 16,       // started present and not null
  F_QUEUE_DEPTH = 32,   // queue_depth an int
  F_LOG_FILE = 64,      // log_file a string
  F_DEPTH = 128,        // depth an int
  F_METRIC = 256,       // name a string and value a number
  F_ITEMS = 512,        // items_processed an int
  F_DURATION = 1024,    // duration_ms a number
};

struct AgentEventRows {
  std::vector<std::int64_t> line_begin, line_end, ts_us, task_key, items;
  std::vector<std::int8_t> status, event, task_kind;
  std::vector<std::int32_t> agent;
  std::vector<std::uint16_t> flags;
  std::vector<double> duration;
  std::vector<std::string> agent_names;  // index = agent id, in order of first appearance
};

AgentEventRows scan_agent_events(const std::uint8_t* data, std::size_t n);

struct AgentEventTotals {
  std::size_t agents = 0;
  std::vector<std::int64_t> starts, successes, failures, items, lat_n, open_anon_row;
  std::vector<double> lat_sum;
  std::vector<std::int32_t> open_agent;  // still-open tasks with an id: agent, start row
  std::vector<std::int64_t> open_row;
  std::vector<std::int32_t> bucket_agent;  // per (agent, minute) with a finished task
  std::vector<std::int64_t> bucket_minute, bucket_ok, bucket_failed, bucket_lat_n;
  std::vector<double> bucket_lat_sum;
};

// Rows [0, rows) in order; only ROW_EVENT rows count. Mirrors EventAggregator.add_batch.
AgentEventTotals aggregate_agent_events(std::size_t rows, std::size_t agents, const std::int8_t* status,
                                        const std::int32_t* agent, const std::int8_t* event,
                                        const std::uint16_t* flags, const std::int64_t* ts_us,
                                        const std::int8_t* task_kind, const std::int64_t* task_key,
                                        const double* duration, const std::int64_t* items);

}  // namespace hafs
