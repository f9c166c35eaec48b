"""The consent proof: the hash chain, the consent-proof CSV file and the checks of both.

One package for the service and the auditor's offline verifier. The ledger hashes records with
``chain``; the ledger and the audit area check stored chains with ``checking``; the audit area
writes the CSV with ``csvfile``'s columns and rule; the verifier (``cli``) checks a file with
``csvfile`` and a signed chain head with ``signed_head``.

The package imports only the standard library and its own modules (relative imports), so that it
runs outside the project: ``audit/verifier.py`` zips it into ``verify.pyz``, which a plain
``python3 -I`` runs with nothing installed (``cryptography`` only for a signed head). A test keeps
it so (tests/audit/test_verifier_zipapp.py).

    chain.py        the record hash: canonical texts, digests, one record's own check
    checking.py     the check engine: rows in chain order, batches in worker processes, joined
    csvfile.py      the CSV file: columns, formula-neutralising, reading a file in byte ranges
    signed_head.py  an Ed25519-signed chain head compared with a checked file
    pack.py         a proof pack (ZIP) checked: its manifest, files, rows, snapshots and signatures
    cli.py          the verifier's command line
"""
