"""The members' dashboard: views and downloads of their publications and the archive's most read of 30 days."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..core import db_session, get_archive
from ..auth import login_required
from ..services import usage

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    data = usage.dashboard(db_session(), current_user, archive=get_archive())
    return render_template("members/dashboard.html", data=data)
