"""/cari/: the header search's results page."""

from flask import Blueprint, request
from flask_login import current_user

from portal import db
from portal.htmx import render
from portal.permissions import requires
from portal.search_all import search_everything

bp = Blueprint("search_all", __name__)


@bp.get("/")
@requires("search.use")
def index():
    outcome = search_everything(db.session(), current_user, request.args.get("q", ""))
    return render("search/index.html", block="results", outcome=outcome)
