"""Run one command and report its wall time and peak RSS (RUSAGE_CHILDREN of this process
alone, so each measured tool gets its own figure). Used by benchmarks/logs_common.py."""

import resource
import subprocess
import sys
import time

start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=sys.stdout.buffer, stderr=subprocess.PIPE, check=False)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.buffer.write(done.stderr[-4000:])
sys.stderr.write(f"\nWALL_S={wall:.6f} MAXRSS_KIB={peak}\n")
sys.exit(done.returncode)
