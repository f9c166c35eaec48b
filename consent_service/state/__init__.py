"""The read side: what a tag manager may load, from the signed consent token alone.

Every page view of a customer's site asks it, so nothing here touches the database: these modules
import only each other, the sites, the error path and the security headers
(``tests/state/test_imports.py`` fails when an import breaks that). The ledger issues the tokens
(``tokens.issue``) and tells this side which consents were superseded.
"""
