"""Child of logs_search.py: open and index the log, then time one search as the view runs it.

argv: FILE PATTERN REGEX(0/1) IGNORE_CASE(0/1). Prints {"wall_s": search seconds, "count": n}.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from studio.plugins.logs.builtin_formats import register_builtin_formats
from studio.plugins.logs.document import LogDocument
from studio.plugins.logs.formats import FormatRegistry
from studio.plugins.logs.query import SearchQuery
from studio.plugins.logs.search import search_document

path, pattern, regex, ignore_case = sys.argv[1], sys.argv[2], sys.argv[3] == "1", \
    sys.argv[4] == "1"
doc = LogDocument(path, register_builtin_formats(FormatRegistry()),
                  cache_dir=Path(tempfile.gettempdir()))
doc.load()
query = SearchQuery(pattern, regex=regex, ignore_case=ignore_case)
start = time.perf_counter()
result = search_document(doc, query)
print(json.dumps({"wall_s": time.perf_counter() - start, "count": result.count}))
