"""Fixtures of the audit area's tests."""
import pytest


@pytest.fixture
def folder(tmp_path):
    """A folder outside the project, as an auditor's: where the offline verifier runs."""
    path = tmp_path / "auditor"
    path.mkdir()
    return path
