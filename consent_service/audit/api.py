"""The auditors' HTTP API: thin views that check who asks, parse the query, call the service."""
import io
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, render_template, request, send_file, stream_with_context
from marshmallow import ValidationError

from ..errors import ApiError
from . import export, lookups, pack, service, signing, snapshots, stats, verifier
from .schemas import (chain_head_out, chain_head_query, export_query, history_out, policy_out, proof_query,
                      public_key_out, range_query, time_bounds)

bp = Blueprint("audit_api", __name__, url_prefix="/audit")


def load_query(schema):
    """The query string through ``schema``; a 400 naming each bad parameter."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as error:
        details = "; ".join(f"{name}: {' '.join(map(str, problems))}" for name, problems in error.messages.items())
        raise ApiError(400, f"Bad query parameters ({details})", error.messages) from None


def csv_response(chunks, name):
    """A streamed CSV download."""
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp():
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@bp.get("/consents.csv")
def consents_csv():
    """The consent-proof CSV of the filter, in chain order, streamed; the export is logged first."""
    auditor = service.current_auditor()
    selected = export.ExportFilter.for_auditor(auditor, load_query(export_query))
    service.log_access(auditor, "csv", selected.for_log())
    name = f"consents-{'-'.join(selected.sites) or 'none'}-{_stamp()}.csv"
    return csv_response(stream_with_context(export.csv_chunks(selected)), name)


@bp.get("/proof.zip")
def proof_pack():
    """The proof pack of one site's filter (a visitor's consent id, or a time range), streamed as one ZIP
    that anyone with the public key checks offline; the download is logged first."""
    auditor = service.current_auditor()
    query = load_query(proof_query)
    [site] = service.readable_sites(auditor, query["site"])
    consent_id = str(query["consent_id"]) if "consent_id" in query else None
    made = pack.ProofPack.of(site, *time_bounds(query), consent_id=consent_id)
    service.log_access(auditor, "proof", made.selected.for_log())
    response = Response(stream_with_context(made.chunks()), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{made.file_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/policies/<snapshot_hash>")
def policy_snapshot(snapshot_hash):
    """A policy snapshot (what a site's visitors could read before deciding), in a site the auditor may see."""
    auditor = service.current_auditor()
    return jsonify(policy_out.dump(snapshots.policy_snapshot(snapshot_hash, service.readable_sites(auditor))))


@bp.get("/consents/<consent_id>")
def consent_history(consent_id):
    """Every record of one consent id in the sites the auditor may see, as JSON; the look-up is logged."""
    auditor = service.current_auditor()
    try:
        consent_id = str(uuid.UUID(consent_id))
    except ValueError:
        raise ApiError(400, f"{consent_id!r} is not a consent id (a UUID).") from None
    records = lookups.history(consent_id, service.readable_sites(auditor))
    if not records:
        raise ApiError(404, f"No consent {consent_id} is recorded in a site you may see.")
    service.log_access(auditor, "history", {"consent_id": consent_id})
    return jsonify(history_out.dump({"consent_id": consent_id, "records": records}))


@bp.get("/chain-head")
def chain_head():
    """The site's chain head (or the hash at ``seq``), signed with the service's Ed25519 key."""
    auditor = service.current_auditor()
    query = load_query(chain_head_query)
    [site] = service.readable_sites(auditor, query["site"])
    response = jsonify(chain_head_out.dump(lookups.chain_head(site, query.get("seq"))))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/signing-key")
def signing_key():
    """The public key that checks chain heads and purge checkpoints (public; publish it elsewhere too)."""
    return jsonify(public_key_out.dump(signing.public_key_info()))


@bp.get("/verify.pyz")
def verifier_zipapp():
    """The offline verifier as one file that a plain ``python3`` runs (public, as the key is: it is the
    service's own checking code and holds no data, so anyone handed a CSV can check it)."""
    return send_file(io.BytesIO(verifier.zipapp_bytes()), mimetype="application/zip", as_attachment=True,
                     download_name=verifier.FILE_NAME, etag=verifier.zipapp_sha256(), max_age=3600)


def _stats_days():
    """The sites asked for and their statistics per day (the last 30 days by default)."""
    auditor = service.current_auditor()
    query = load_query(range_query)
    sites = service.readable_sites(auditor, query.get("site"))
    start, end, end_inclusive = time_bounds(query)
    return sites, stats.daily(sites, *stats.default_range(start, end), end_inclusive)


@bp.get("/stats.csv")
def stats_csv():
    """Per UTC day: the number of decisions, the shares of each decision and of each category granted."""
    sites, days = _stats_days()
    return csv_response(stats.as_csv(days), f"consent-stats-{'-'.join(sites) or 'none'}-{_stamp()}.csv")


@bp.get("/stats.svg")
def stats_svg():
    """The same statistics as a chart."""
    sites, days = _stats_days()
    body = render_template("audit/stats.svg", chart=stats.chart(days), chart_sites=sites)
    return Response(body, mimetype="image/svg+xml")
