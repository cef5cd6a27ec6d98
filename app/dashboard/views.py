"""Dashboard pages. Each reads through the same services as the API, as the signed-in user."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from flask import flash, g, redirect, render_template, request, send_from_directory, url_for
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from app.analyses import service as analyses
from app.analyses.charts import DEFAULT_POINTS, GPS_SENSOR
from app.analyses.statistics import parse_period, user_statistics
from app.dashboard import bp, queries
from app.dashboard.audio import audio_on_time_axis
from app.dashboard.auth import signed_in
from app.errors import ApiError, ServiceUnavailable, ValidationFailed
from app.extensions import db, limiter
from app.sessions import service as sessions_service
from app.sessions.schemas import SessionListQuery
from app.web.identity import current_user_id
from app.web.protection import configured, user_or_ip

SYNC_LOG_PAGE = 50
LIST_FILTERS = ("start_date", "end_date", "sensor_type", "active", "q", "order", "page")
PLOTLY_DIR = Path(find_spec("plotly").origin).parent / "package_data"


@bp.errorhandler(ApiError)
@bp.errorhandler(HTTPException)
def _error_page(error):
    """Dashboard errors as a page (the API answers the same errors as JSON)."""
    db.session.rollback()
    status = getattr(error, "status_code", None) or getattr(error, "code", None) or 500
    message = getattr(error, "message", None) or getattr(error, "description", "Error")
    return render_template("dashboard/error.html", status=status, message=message), status


@bp.after_request
def _private(response):
    """Pages show one user's data: no shared cache may keep them."""
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    """plotly.js as the `plotly` package ships it: no CDN, works offline."""
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=7 * 24 * 3600)


@bp.get("/")
def index():
    return redirect(url_for("dashboard.sessions"))


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date (YYYY-MM-DD)") from None


def _midnight(day: date) -> str:
    return datetime.combine(day, time(), UTC).isoformat()


def _list_filters(args) -> dict[str, str]:
    """The session list's filters among the query arguments. Only these are read and carried
    into its links: any other argument (`endpoint`, `_external`, `_scheme` …) would reach
    url_for as one of its own parameters."""
    return {key: args[key] for key in LIST_FILTERS if args.get(key)}


def _list_query(filters: dict[str, str]) -> SessionListQuery:
    """The list filters of the form (dates are whole days, the end day included)."""
    start = _day(filters.get("start_date", ""), "Start")
    end = _day(filters.get("end_date", ""), "End")
    fields: dict[str, Any] = {
        "sensor_type": filters.get("sensor_type"),
        "q": filters.get("q"),
        "active": {"yes": True, "no": False}.get(filters.get("active", "")),
        "order": filters.get("order", "desc"),
        "page": filters.get("page", 1),
        "page_size": 25,
    }
    if start:
        fields["start"] = _midnight(start)
    if end:
        fields["end"] = _midnight(end + timedelta(days=1))
    try:
        return SessionListQuery.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise ValidationFailed(f"Invalid filter: {problems}") from None


@bp.get("/sessions")
@signed_in
def sessions():
    user_id = current_user_id()
    filters = _list_filters(request.args)
    error, listing = None, None
    try:
        listing = sessions_service.list_sessions(user_id, _list_query(filters))
    except ValidationFailed as failure:
        error = failure.message
    return render_template(
        "dashboard/sessions.html",
        listing=listing,
        error=error,
        filters=filters,
        page_url=lambda page: url_for("dashboard.sessions", **(filters | {"page": page})),
        sensor_types=queries.user_sensor_types(user_id),
    ), (400 if error else 200)


def _anomalies(results: dict) -> dict[str, dict[str, Any]]:
    """Per sensor: the anomalous timestamps and the mean magnitude they stand out from."""
    found = results.get("anomalies", {}).get("result") or {}
    return {
        sensor: {
            "timestamps": values.get("anomaly_timestamps") or [],
            "mean": values.get("mean_magnitude"),
        }
        for sensor, values in (found.get("sensors") or {}).items()
    }


@bp.get("/sessions/<session_id>")
@signed_in
def session(session_id: str):
    user_id = current_user_id()
    detail = sessions_service.session_detail(user_id, session_id)
    results = analyses.latest_results(user_id, session_id)
    charts = [
        {
            "sensor_type": sensor["sensor_type"],
            "count": sensor["count"],
            "url": url_for(
                "sessions.session_series",
                session_id=session_id,
                sensor_type=sensor["sensor_type"],
                points=DEFAULT_POINTS,
            ),
        }
        for sensor in detail["sensors"]
    ]
    has_gps = any(sensor["sensor_type"] == GPS_SENSOR for sensor in detail["sensors"])
    return render_template(
        "dashboard/session.html",
        session=detail,
        results=results["analyses"],
        in_progress=results["in_progress"],
        anomalies=_anomalies(results["analyses"]),
        charts=charts,
        track_url=url_for("sessions.session_track", session_id=session_id, points=DEFAULT_POINTS)
        if has_gps
        else None,
        coverage_url=url_for("sessions.session_coverage", session_id=session_id),
        analysis_url=url_for("analyses.session_analysis", session_id=session_id),
        audio=audio_on_time_axis(detail),
    )


@bp.post("/sessions/<session_id>/analysis")
@limiter.shared_limit(configured("ANALYSIS_RATE_LIMIT"), "analysis", key_func=user_or_ip)
@signed_in
def rerun_analysis(session_id: str):
    try:
        run = analyses.request_analysis(current_user_id(), session_id, sensitivity=3.0)
        if not run["reused"]:
            flash(f"Analysis queued (task {run['task_id']}).")
        elif run["state"] == "SUCCESS":
            flash("The results below already describe this data (nothing changed since).")
        else:
            flash(f"This data is already being analysed (task {run['task_id']}).")
    except ServiceUnavailable as error:
        flash(error.message, "error")
    return redirect(url_for("dashboard.session", session_id=session_id))


@bp.route("/sessions/<session_id>/delete", methods=["GET", "POST"])
@signed_in
def delete_session(session_id: str):
    """GET asks for confirmation; POST (with the form's CSRF value) deletes."""
    user_id = current_user_id()
    if request.method == "POST":
        sessions_service.delete_session(user_id, session_id)
        flash(f"Session {session_id} deleted; your other devices will learn of it.")
        return redirect(url_for("dashboard.sessions"))
    detail = sessions_service.session_detail(user_id, session_id)
    return render_template("dashboard/delete.html", session=detail)


@bp.get("/statistics")
@signed_in
def statistics():
    """Charts over a period; by default the whole history of the user."""
    user_id = current_user_id()
    start_arg = request.args.get("start_date") or None
    end_arg = request.args.get("end_date") or None
    if start_arg is None:
        first = queries.first_session_day(user_id)
        start_arg = first.isoformat() if first else None
    error, stats = None, None
    try:
        start, end = parse_period(start_arg, end_arg)
        stats = user_statistics(user_id, start, end)
    except ValidationFailed as failure:
        error = failure.message
    return render_template(
        "dashboard/statistics.html", stats=stats, error=error, start=start_arg, end=end_arg
    ), (400 if error else 200)


@bp.get("/sync-log")
@signed_in
def sync_log():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1
    sync_type = request.args.get("type") if request.args.get("type") in ("push", "pull") else None
    entries, has_more = queries.sync_log_page(current_user_id(), page, SYNC_LOG_PAGE, sync_type)
    return render_template(
        "dashboard/sync_log.html",
        entries=entries,
        page=page,
        has_more=has_more,
        sync_type=sync_type,
    )


@bp.app_template_global()
def csrf_token() -> str:
    """The access cookie's CSRF value, for the hidden field of state-changing forms."""
    return g.get("csrf_token", "")
