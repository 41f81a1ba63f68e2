"""gunicorn settings for the benchmark's servers (the app and the lean reference alike).

Passed with `-c` so that gunicorn does not read the repository's own gunicorn.conf.py from the
working directory: its 8 threads per worker silently turn `-k sync` into gthread, and its
max_requests recycles a worker every ~2,000 requests, a second of CPU spent booting in the
middle of a run. The issue's targets are stated for two plain sync workers, one request each.
"""

worker_class = "sync"
workers = 2
threads = 1
max_requests = 0  # never recycled mid-run
accesslog = None  # one line per request to nowhere is still work the references skip
