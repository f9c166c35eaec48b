"""The auditors' web pages: sign in with a token; the export (a site and dates, the count, the CSV) with
each site's chain status as last checked and a button to check it now; one consent's history with the
policy snapshots its visitor saw and its proof pack; a snapshot shown as the visitor saw it; statistics."""
import re
import uuid
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from ..errors import ApiError
from ..extensions import limiter
from ..policies import HASH_PATTERN, find_snapshot
from ..sites import configured_sites
from . import chain_status, export, lookups, service, stats
from .schemas import range_query, time_bounds

bp = Blueprint("audit", __name__, url_prefix="/audit")
RANGE_ARGS = ("site", "from", "to")
SNAPSHOT_HASH = re.compile(HASH_PATTERN)
ACTIONS = {**{name: stats.LABELS[name] for name in stats.CHOICES}, "withdraw": "Withdrawal", "erase": "Erasure"}
LANGUAGES = {"fi": "Finnish", "sv": "Swedish", "en": "English"}


class SignInForm(FlaskForm):
    token = PasswordField("Auditor token", validators=[DataRequired(), Length(max=200)])


class SignOutForm(FlaskForm):
    pass


class CheckNowForm(FlaskForm):
    site = HiddenField(validators=[DataRequired(), Length(max=40)])


@bp.app_context_processor
def _sign_out_form():
    """Every page that extends audit/base.html (the scanner's too) shows "Sign out" in its header."""
    return {"audit_sign_out_form": SignOutForm}


def _range_args(source):
    return {key: value for key, value in source.items() if key in RANGE_ARGS and value}


def _dates(args):
    """The dates of ``args`` that an ``<input type=date>`` may show again (YYYY-MM-DD and real)."""
    shown = {}
    for key in ("from", "to"):
        try:
            if len(args.get(key, "")) == 10 and date.fromisoformat(args[key]):
                shown[key] = args[key]
        except ValueError:
            pass
    return shown


def _filter_from_args(auditor, args):
    """The page's filter (site, from, to) from the query string, or error messages to show."""
    if "site" not in args:
        return None, {}
    try:
        return export.ExportFilter.for_auditor(auditor, range_query.load(args)), {}
    except ValidationError as error:
        return None, error.messages
    except ApiError as error:
        return None, {"site": [error.message]}


def _sites(auditor):
    known = configured_sites()
    return [known[key] for key in service.readable_sites(auditor)]


@bp.get("/")
def index():
    """Sign-in form, or for a signed-in auditor the export form with the chosen filter's count and
    download link, and each readable site's chain status as last checked."""
    auditor = service.session_auditor()
    if auditor is None:
        return render_template("audit/sign_in.html", form=SignInForm())
    args = _range_args(request.args)
    selected, errors = _filter_from_args(auditor, args)
    result = None
    if selected is not None:
        result = {"count": export.count(selected), "download": url_for("audit_api.consents_csv", **args),
                  "pack": url_for("audit_api.proof_pack", **args)}
    sites = _sites(auditor)
    checks = [(site, chain_status.last_check(site.key)) for site in sites]
    return render_template("audit/index.html", auditor=auditor, sites=sites, args=args, dates=_dates(args),
                           errors=errors, result=result, checks=checks, check_form=CheckNowForm()), \
        400 if errors else 200


@bp.post("/chain-checks")
def check_chain():
    """Check a site's stored chain now (CSRF-checked; a site the auditor may read), keep the result as
    its last check, and go back to the export page."""
    auditor = service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    form = CheckNowForm()
    if not form.validate_on_submit():
        abort(400)
    [site] = service.readable_sites(auditor, form.site.data)
    chain_status.check_now(site, auditor.name)
    back = _range_args({**request.form, "site": site})
    return redirect(url_for("audit.index", **back, _anchor=f"chain-{site}"))


@bp.get("/lookup")
def lookup():
    """One consent id's records in the sites the auditor may read, in order, with the policy snapshots
    its visitor saw and a link to its proof pack; the look-up is logged."""
    auditor = service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    asked = request.args.get("consent_id", "").strip()
    if not asked:
        return render_template("audit/lookup.html", auditor=auditor, asked="", error=None, records=None)
    try:
        consent_id = str(uuid.UUID(asked))
    except ValueError:
        return render_template("audit/lookup.html", auditor=auditor, asked=asked, records=None,
                               error=f"{asked!r} is not a consent id (a UUID)."), 400
    records = lookups.history(consent_id, service.readable_sites(auditor))
    if not records:
        return render_template("audit/lookup.html", auditor=auditor, asked=asked, records=None,
                               error=f"No consent {consent_id} is recorded in a site you may see."), 404
    service.log_access(auditor, "history", {"consent_id": consent_id})
    packs = {site: _proof_pack_url(site, consent_id) for site in dict.fromkeys(r["site"] for r in records)}
    return render_template("audit/lookup.html", auditor=auditor, asked=asked, consent_id=consent_id, error=None,
                           records=records, snapshots=lookups.snapshots_seen(records), packs=packs, actions=ACTIONS)


def _proof_pack_url(site, consent_id):
    """The proof pack of one visitor: every record of the consent id, its snapshots and the verifier."""
    return url_for("audit_api.proof_pack", site=site, consent_id=consent_id)


@bp.get("/policies/<policy_hash>/view")
def policy_view(policy_hash):
    """A policy snapshot as its visitors saw it: the banner's first layer and the settings dialog in the
    banner's own styles, the cookie declaration and the controller; 404 for a snapshot that is unknown
    or of a site the auditor may not read."""
    auditor = service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    snapshot = find_snapshot(policy_hash) if SNAPSHOT_HASH.match(policy_hash) else None
    if snapshot is None or not auditor.may_read(snapshot.content["site"]):
        return render_template("audit/not_found.html", auditor=auditor,
                               message=f"No policy snapshot {policy_hash} of a site you may read."), 404
    return render_template("audit/policy.html", auditor=auditor, snapshot=snapshot, policy=snapshot.content,
                           languages=LANGUAGES,
                           json_url=url_for("audit_api.policy_snapshot", snapshot_hash=snapshot.hash))


@bp.post("/sign-in")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"])
def sign_in():
    """Start a session for a valid token (CSRF-checked, rate-limited per address)."""
    form = SignInForm()
    if form.validate_on_submit():
        if service.sign_in(form.token.data.strip()) is not None:
            return redirect(url_for("audit.index"))
        form.token.errors.append("This token is not valid: it is unknown or was revoked.")
    return render_template("audit/sign_in.html", form=form), 401


@bp.post("/sign-out")
def sign_out():
    """End the session."""
    if SignOutForm().validate_on_submit():
        service.sign_out()
    return redirect(url_for("audit.index"))


@bp.get("/stats")
def stats_page():
    """The site owner's statistics: the chart, the table, and links to the CSV and SVG."""
    auditor = service.session_auditor()
    if auditor is None:
        return redirect(url_for("audit.index"))
    args = _range_args(request.args)
    page = {"auditor": auditor, "args": args, "dates": _dates(args), "sites": _sites(auditor),
            "labels": stats.LABELS, "columns": (*stats.STACK, *stats.CATEGORIES)}
    try:
        query = range_query.load(args)
        sites = service.readable_sites(auditor, query.get("site"))
    except ValidationError as error:
        return render_template("audit/stats.html", errors=error.messages, days=[], **page), 400
    start, end, inclusive = time_bounds(query)
    start, end = stats.default_range(start, end)
    days = stats.daily(sites, start, end, inclusive)
    return render_template("audit/stats.html", errors={}, days=days, chart=stats.chart(days), chart_sites=sites,
                           narrow_chart=stats.chart(days, stats.NARROW, "stats-narrow"), **page)
