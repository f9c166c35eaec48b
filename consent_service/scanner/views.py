"""The auditor portal's scans: start one (it runs in the background), follow its progress, read its
report, list the site's history. Behind the same sign-in as /audit."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..audit import service as audit_service
from ..errors import ApiError
from . import service
from .plan import DEFAULT_MAX_PAGES, PlanError
from .report import PASS_NAMES, evidence_text

bp = Blueprint("scanner", __name__, url_prefix="/audit/scans")
MAX_START_URLS = 20


class StartForm(FlaskForm):
    site = SelectField("Site", validators=[DataRequired()])
    urls = TextAreaField("Start pages (one per line; empty: the site's home pages)", validators=[Optional()])
    max_pages = IntegerField("Pages at most", default=DEFAULT_MAX_PAGES,
                             validators=[InputRequired(), NumberRange(1, 1000)])


def _form(auditor):
    form = StartForm()
    sites = current_app.extensions["consent_sites"]
    form.site.choices = [(key, f"{sites[key].name} ({key})") for key in audit_service.readable_sites(auditor)]
    return form


def _page(auditor, form, status=200, message=None):
    sites = audit_service.readable_sites(auditor)
    return render_template("scanner/index.html", auditor=auditor, form=form, scans=service.list_scans(sites),
                           message=message), status


@bp.get("/")
def index():
    """The start form and the scans of the sites this auditor may read, newest first."""
    auditor = audit_service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    return _page(auditor, _form(auditor))


@bp.post("/")
def start():
    """Start a scan (CSRF-checked) and go to its page; the form again with the reason when it cannot start."""
    auditor = audit_service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    form = _form(auditor)
    if not form.validate_on_submit():
        return _page(auditor, form, 400)
    urls = [line.strip() for line in (form.urls.data or "").splitlines() if line.strip()]
    if len(urls) > MAX_START_URLS:
        form.urls.errors.append(f"At most {MAX_START_URLS} start pages.")
        return _page(auditor, form, 400)
    try:
        plan = service.plan_for(form.site.data, urls, max_pages=form.max_pages.data)
        scan = service.start(plan, auditor.name)
    except PlanError as error:
        form.urls.errors.append(str(error))
        return _page(auditor, form, 400)
    except ApiError as error:
        return _page(auditor, form, error.status, error.message)
    return redirect(url_for("scanner.show", scan_id=scan.id))


@bp.get("/<int:scan_id>")
def show(scan_id):
    """One scan: its progress while it runs (the page reloads itself), then its report."""
    auditor = audit_service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    scan = service.get_scan(scan_id, audit_service.readable_sites(auditor))
    return render_template("scanner/scan.html", auditor=auditor, scan=scan, document=service.document(scan),
                           pass_names=PASS_NAMES, evidence_text=evidence_text)


@bp.get("/<int:scan_id>.json")
def show_json(scan_id):
    """One scan's result document (docs/scanner.md), for a signed-in auditor or a Bearer token."""
    auditor = audit_service.current_auditor()
    scan = service.get_scan(scan_id, audit_service.readable_sites(auditor))
    document = service.document(scan)
    if document is None:
        raise ApiError(409, f"Scan #{scan.id} is {scan.status}: {scan.passes_done} of {scan.passes_total} passes done.")
    return jsonify(document)
