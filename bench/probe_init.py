"""Run in a fresh ``python -I -S -B``: one cold init, either a handler module or the SDK floor.

Lambda's init is the handler module's import (its clients are created at module level), so the
bench times exactly that here, in an interpreter that sees only the paths it is given: the
unzipped package and the runtime's SDK. The floor does only what no function can avoid: import
boto3 and create the same clients. Prints one JSON line: wall and CPU seconds, peak RSS.
"""

import json
import sys
import time

started, started_cpu = time.perf_counter(), time.process_time()
paths, target = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:0] = paths
if isinstance(target, str):
    # __import__ takes the interpreter's own import path, which -X importtime reports on.
    __import__(target)
else:
    import boto3

    clients = [boto3.client(service) for service in target]
elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
# The interpreter's resident high-water mark after init, in KiB. Not getrusage's ru_maxrss: on
# Linux that keeps the forking parent's peak across exec, i.e. the bench's own size.
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "peak_rss_kib": peak}))
