"""gunicorn settings for `make run` and production (see README, "Deployment").

gthread: a few threads per worker keep slow clients and waits on the database from blocking a whole process, and
the memory cost stays one Python process per CPU core. Override with WEB_CONCURRENCY / GUNICORN_THREADS.
"""

import os

wsgi_app = "wsgi:app"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (bounds slow memory growth). Not too often: what a process keeps (the header chrome,
# tables of contents, kept search results) is lost with it; at 5,000 a busy worker restarted every 20-90 s.
max_requests = 50_000
max_requests_jitter = 5_000
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
