"""The auditors' web page: sign in with a token, choose a site and dates, see the count and whether
the chain verifies, download the CSV; and the statistics page."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from ..errors import ApiError
from ..extensions import limiter
from ..ledger.verification import check_stored_chain
from ..sites import configured_sites
from . import export, service, stats
from .schemas import range_query, time_bounds

bp = Blueprint("audit", __name__, url_prefix="/audit")


class SignInForm(FlaskForm):
    token = PasswordField("Auditor token", validators=[DataRequired(), Length(max=200)])


class SignOutForm(FlaskForm):
    pass


def _filter_from_args(auditor):
    """The page's filter (site, from, to) from the query string, or error messages to show."""
    args = {key: value for key, value in request.args.items() if key in ("site", "from", "to") and value}
    if "site" not in args:
        return None, {}, args
    try:
        query = range_query.load(args)
        return export.ExportFilter.for_auditor(auditor, query), {}, args
    except ValidationError as error:
        return None, error.messages, args
    except ApiError as error:
        return None, {"site": [error.message]}, args


@bp.get("/")
def index():
    """Sign-in form, or for a signed-in auditor the export form with the chosen filter's count,
    whether the site's stored chain verifies, and the download link."""
    auditor = service.session_auditor()
    if auditor is None:
        return render_template("audit/sign_in.html", form=SignInForm())
    selected, errors, args = _filter_from_args(auditor)
    result = None
    if selected is not None:
        result = {"count": export.count(selected), "report": check_stored_chain(selected.sites[0]),
                  "download": url_for("audit_api.consents_csv", **args)}
    return render_template("audit/index.html", auditor=auditor, sites=_sites(auditor), args=args,
                           errors=errors, result=result, sign_out=SignOutForm())


def _sites(auditor):
    known = configured_sites()
    return [known[key] for key in service.readable_sites(auditor)]


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
    args = {key: value for key, value in request.args.items() if key in ("site", "from", "to") and value}
    try:
        query = range_query.load(args)
        sites = service.readable_sites(auditor, query.get("site"))
    except ValidationError as error:
        return render_template("audit/stats.html", auditor=auditor, errors=error.messages, days=[], args=args,
                               sites=_sites(auditor)), 400
    start, end, inclusive = time_bounds(query)
    start, end = stats.default_range(start, end)
    days = stats.daily(sites, start, end, inclusive)
    return render_template("audit/stats.html", auditor=auditor, errors={}, days=days, chart=stats.chart(days),
                           chart_sites=sites, args=args, sites=_sites(auditor),
                           choices=stats.CHOICES, categories=stats.CATEGORIES)
