"""The baseline: a bare one-route Flask app under the same gunicorn settings as the portal. It answers every path and
method with "ok", so the portal's wrk scripts run against it unchanged."""

from flask import Flask

app = Flask("bare")


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def ok(path):
    return "ok"
