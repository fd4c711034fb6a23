"""Built-in plugin: the Agents workspace (hafs daemons, campaigns, agents.jsonl)."""
