"""Waiting on a condition with a bound, instead of a fixed sleep: the tests poll what they would
otherwise hope had happened by then."""
import time

INTERVAL = 0.05  # seconds between two looks


def wait_for(probe, until=bool, timeout=10.0, pause=time.sleep):
    """``probe()``'s first value for which ``until(value)`` holds, or its last value once ``timeout``
    seconds have passed (the caller's assertion on it then fails with what was seen).

    ``pause(seconds)`` waits between two looks; a browser test passes ``browser_pause(page)`` so that
    Playwright handles the page's events (routes, requests) meanwhile."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not until(value) and time.monotonic() < deadline:
        pause(INTERVAL)
        value = probe()
    return value


def wait_until_steady(probe, key=None, steady=0.3, timeout=10.0, pause=time.sleep):
    """``probe()``'s value once ``key(value)`` (the value itself by default) has not changed for
    ``steady`` seconds, or its last value once ``timeout`` seconds have passed."""
    key = key or (lambda value: value)
    value = probe()
    changed = started = time.monotonic()
    while time.monotonic() - changed < steady and time.monotonic() - started < timeout:
        pause(INTERVAL)
        latest = probe()
        if key(latest) != key(value):
            changed = time.monotonic()
        value = latest
    return value


def browser_pause(page):
    """A ``pause`` for the waits above that lets Playwright handle the page's events meanwhile."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)
