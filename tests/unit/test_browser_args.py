"""`lastseat browser` as root: Chromium runs only unsandboxed for root, so it is told so."""

from __future__ import annotations

import pytest

from lastseat.stack import browser


@pytest.mark.parametrize(("euid", "unsandboxed"), [(0, True), (1000, False)])
def test_a_window_for_root_has_no_sandbox(
    monkeypatch: pytest.MonkeyPatch, euid: int, unsandboxed: bool
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: euid)
    assert ("--no-sandbox" in browser.window_args()) is unsandboxed
    assert set(browser.CHROMIUM_ARGS) <= set(browser.window_args())
