"""Child of logs_load.py: open a log as the viewer does, index it, classify its levels.

Prints JSON timings measured in-process (the interpreter's own start is in the parent's wall).
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from studio.plugins.logs.builtin_formats import register_builtin_formats
from studio.plugins.logs.document import LogDocument
from studio.plugins.logs.formats import FormatRegistry

options = sys.argv[2:]
if "--threads" in options:  # the index on N threads instead of the viewer's default
    import studio.plugins.logs.index as index_module

    index_module.INDEX_THREADS = int(options[options.index("--threads") + 1])
formats = register_builtin_formats(FormatRegistry())
start = time.perf_counter()
doc = LogDocument(sys.argv[1], formats, cache_dir=Path(tempfile.gettempdir()))
opened = time.perf_counter()
doc.load()
indexed = time.perf_counter()
print(json.dumps({"open_s": opened - start, "index_s": indexed - start,
                  "lines": doc.line_count,
                  "index_bytes_per_line": doc.index_memory_bytes / max(doc.line_count, 1)}))
