"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (see SECURITY.md).

Meant to run behind nginx (or another proxy) that buffers each request body before passing it
on, so a slow client never occupies a worker. Without such a proxy these settings still keep
one slow client from stalling the rest: threaded workers (a stalled body holds one thread, not
a process), and the app's own BODY_TIMEOUT (app/limits.py) ends a body that stops arriving.
Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Threads in each worker: a request waiting on the database or on a client does not hold the
# whole process; the heartbeat keeps going, so a slow request is never a WORKER TIMEOUT.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = 8
# A request still running after this long is stuck: its worker is restarted.
timeout = 30
graceful_timeout = 10
# Idle keep-alive connections from the proxy are closed after this many seconds.
keepalive = 5
# The request line and headers (the app's own limits cover the body: MAX_CONTENT_LENGTH 1 MiB).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Recycle workers now and then, staggered, so a slow leak can never build up. Evenly loaded
# workers reach the same count together: the jitter is half the span, or they restart within
# seconds of each other and the instance has no warm worker meanwhile (`make scaleout` saw both
# of an instance's workers restart 2 s apart, a 4-5 s stall, at 2000 ± 200). Live readers'
# polls are requests too: 250 a second across 8 workers is 2,000 each in about a minute.
max_requests = 20000
max_requests_jitter = 10000
# No ~/.gunicorn control socket shared between instances on one machine.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
