"""The visitor's pages: the privacy notice with its cookie declaration, and "Your consent"."""
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, session, url_for

from ..extensions import limiter
from ..hosts import external_url, own_origin
from ..sites import LANGUAGES, configured_sites, find_site
from ..state import cookie as consent_cookie
from . import back_link, identity, service
from .forms import ActionForm, EraseForm, TokenForm
from .schemas import history_out
from .translations import page_language, texts

bp = Blueprint("rights", __name__)
ANSWER = "rights_answer"  # the session key of the last change's answer, shown by the GET it redirects to


def _site(key):
    """The configured site ``key``, or 404."""
    site = find_site(key)
    if site is None:
        abort(404)
    return site


def _my_site():
    """``?site=``, or the only configured site when there is one."""
    key = request.args.get("site")
    if key is None and len(configured_sites()) == 1:
        key = next(iter(configured_sites()))
    return _site(key)


def _page(template, site, language, links, status=200, **context):
    """A rights page in ``language``, with the language links and the texts it needs."""
    response = make_response(render_template(
        template, site=site, language=language, t=texts(language), bt=site.texts[language],
        languages={code: texts(code)["language_name"] for code in LANGUAGES}, links=links, **context,
    ), status)
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


@bp.get("/privacy/<site_key>")
def privacy(site_key):
    """The site's privacy notice and cookie declaration, in ?lang=, the browser's language or the site's."""
    site = _site(site_key)
    language = page_language(site)
    links = {code: url_for("rights.privacy", site_key=site.key, lang=code) for code in LANGUAGES}
    providers = sorted({cookie["provider"] for category in site.categories if not category["required"]
                        for cookie in category["cookies"]})
    patterns = any(cookie["pattern"] for category in site.categories for cookie in category["cookies"])
    return _page("rights/privacy.html", site, language, links,
                 notice=site.extra.get("notice"), providers=providers, patterns=patterns)


def _back_page(site):
    """The page the visitor came from (``?back=``), when it may be linked back to; else None."""
    return back_link.page(site, request.args.get("back"), own_origin())


def _consent_page(site, language, token, message=None, status=200, back_to=None):
    """'Your consent' for ``token``: its history and actions, or why it proves nothing; always a way back.

    ``back_to`` is the "Back to <site>" link offered after a withdrawal or an erasure; otherwise the link
    goes back to the page the visitor came from, or to the site's first origin.
    """
    try:
        owner = identity.prove(token, site.key)
    except identity.NotProven as error:
        owner, problem = None, error.reason
    else:
        problem = None
    if owner is None and request.method == "POST":
        status = 403
    back = _back_page(site)
    links = {code: url_for("rights.my_consent", site=site.key, lang=code, back=back) for code in LANGUAGES}
    home = back or (f"{site.origins[0]}/" if site.origins else None)
    response = _page(
        "rights/my_consent.html", site, language, links, status=status, back=back, back_to=back_to, home=home,
        owner=owner, problem=problem, message=message, history=service.history(owner) if owner else None,
        token_form=TokenForm(formdata=None), action_form=ActionForm(formdata=None, token=token),
        erase_form=EraseForm(formdata=None, token=token),
    )
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def _form_token(form):
    """The token a posted form carries; 400 when its CSRF token is missing or wrong."""
    form.validate()
    if "csrf_token" in form.errors:
        abort(400, "The form has expired or did not come from this site; reload the page and try again.")
    return (form.token.data or "").strip() or None


def _proven(form, site, language):
    """The owner proven by a posted action form, or the page saying why not (403)."""
    token = _form_token(form)
    try:
        return identity.prove(token, site.key), token
    except identity.NotProven:
        abort(_consent_page(site, language, token, status=403))


@bp.route("/my-consent", methods=["GET", "POST"])
def my_consent():
    """The visitor's consent id and history, proven by the banner's cookie or a pasted token."""
    site = _my_site()
    language = page_language(site)
    if request.method == "POST":
        return _consent_page(site, language, _form_token(TokenForm()))
    answer = session.get(ANSWER) or {}
    if answer.get("site") == site.key and answer.get("message") == request.args.get("done"):
        return _consent_page(site, language, answer["token"], message=answer["message"], back_to=answer["back_to"])
    return _consent_page(site, language, consent_cookie.request_token(site.key))


def _answered(site, language, token, message, back_to):
    """Redirect after a change (POST-redirect-GET): the answer waits in the signed session for the GET,
    so that a reload shows it again instead of posting the form twice."""
    session[ANSWER] = {"site": site.key, "token": token, "message": message, "back_to": back_to}
    return redirect(url_for("rights.my_consent", site=site.key, lang=language, back=_back_page(site),
                            done=message), 303)


@bp.post("/my-consent/export")
def export():
    """The whole history as a JSON file to download (portability)."""
    site = _my_site()
    owner, _ = _proven(ActionForm(), site, page_language(site))
    response = current_app.json.response(history_out.dump(service.history(owner)))
    response.headers["Content-Disposition"] = f'attachment; filename="consent-{owner.consent_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _write_limit():
    return current_app.config["RATELIMIT_CONSENT"]


@bp.post("/my-consent/withdraw")
@limiter.limit(_write_limit)
def withdraw():
    """Withdraw the consent: a new ledger record, and the banner's cookie set to refuse at once."""
    site = _my_site()
    language = page_language(site)
    owner, token = _proven(ActionForm(), site, language)
    client = {"ip": request.remote_addr, "user_agent": request.headers.get("User-Agent"),
              "gpc": request.headers.get("Sec-GPC", "").strip() == "1"}
    body = service.withdraw(owner, language, external_url("rights.my_consent"), client)
    if not body:
        return _consent_page(site, language, token)
    back = _back_page(site)
    response = _answered(site, language, body["token"], "withdrawn_done",
                         back_link.after_withdrawal(back, owner.consent_id) if back else None)
    consent_cookie.store(response, site, body)
    return response


@bp.post("/my-consent/erase")
@limiter.limit(_write_limit)
def erase():
    """Erase the personal fields of the visitor's records and record it; the banner's cookie is cleared."""
    site = _my_site()
    language = page_language(site)
    form = EraseForm()
    owner, token = _proven(form, site, language)
    if not form.confirm.data:
        return _consent_page(site, language, token, message="erase_confirm_missing", status=422)
    service.erase(owner, language)
    back = _back_page(site)
    response = _answered(site, language, token, "erased_done",
                         back_link.after_erasure(back, owner.consent_id) if back else None)
    consent_cookie.clear(response, site)
    return response
