"""What an export says it holds, in its ``export_scope`` column, and whether its rows bear that out.

Every row of an export says what the export holds, so that a verifier never has to be told:

    whole chain from seq 1                  every record of the row's site, from its first (or, after a
                                            retention purge, from the first one kept)
    filtered: from 2026-11-01 to 2026-12-01  only the records a filter chose (gaps in seq are expected)

A whole-chain export with a record missing does not verify, whatever flags the verifier was given. A
file without the column (exported before it existed) is held to the whole chain unless the verifier is
told that it is filtered.
"""
WHOLE = "whole chain from seq "
FILTERED = "filtered: "


def whole(start_seq):
    """The scope of a site's whole chain whose first kept record is ``start_seq``."""
    return f"{WHOLE}{start_seq}"


def filtered(description):
    """The scope of a filtered export (``description`` says which filter)."""
    return FILTERED + description


def is_filtered(scope):
    return bool(scope) and scope.startswith(FILTERED)


def declared_start(scope):
    """The first seq a whole-chain scope promises (1 for a file without a scope), or None if filtered."""
    if not scope:
        return 1
    if scope.startswith(WHOLE) and scope[len(WHOLE):].isdigit():
        return int(scope[len(WHOLE):])
    return None


def problem(run, filtered_allowed=True, unscoped_filtered=False):
    """What is wrong with a checked run of a site's rows for the scope they declare, or None.

    ``filtered_allowed`` False (``--complete``) refuses a filtered export too; ``unscoped_filtered``
    (``--filtered``) takes a file without scopes as a filtered export.
    """
    scope = run.scope
    if not scope and unscoped_filtered:
        return None if filtered_allowed else f"site {run.site}: the whole chain was required, and the file is filtered"
    if is_filtered(scope):
        if filtered_allowed:
            return None
        return f"site {run.site}: the whole chain was required, and the file says it is {scope!r}"
    start = declared_start(scope)
    if start is None:
        return f"site {run.site}: export_scope {scope!r} is not one this verifier knows"
    if run.first_seq != start or run.gaps:
        said = "says it is the whole chain" if scope else "does not say it is filtered (--filtered checks such a file)"
        return f"site {run.site}: records are missing, and the file {said}"
    return None


def describe(run):
    """The line a verifier prints of a run, saying what its scope means."""
    if is_filtered(run.scope):
        return (f"site {run.site}: {run.rows} rows of a FILTERED export ({run.scope[len(FILTERED):]}), "
                f"seq {run.first_seq}..{run.last_seq}: each row verifies and links to the row before it where "
                "no record lies between; the file is not the whole chain, so it cannot show that none is missing")
    return run.describe()
