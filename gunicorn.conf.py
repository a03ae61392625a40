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
max_requests = 5000  # recycle workers now and then (bounds slow memory growth)
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
