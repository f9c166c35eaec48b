"""Shared pieces of the auditor portal's tests: an auditor's browser signed in through the form."""
import re

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(client, path="/audit/"):
    """A CSRF token from a page of the portal."""
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, token):
    """Sign ``client`` in through the form."""
    response = client.post("/audit/sign-in", data={"token": token, "csrf_token": csrf(client)})
    assert response.status_code == 302
    return client
