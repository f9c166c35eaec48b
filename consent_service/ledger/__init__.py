"""The consent ledger: append-only, hash-chained consent records and signed consent state."""
