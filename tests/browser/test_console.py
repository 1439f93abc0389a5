"""No page logs a JavaScript error (the `page` fixture fails the test on any)."""

from __future__ import annotations


def test_no_javascript_errors_on_any_page(page, runs):
    for path in ("/", f"/runs/{runs['ground']}", f"/runs/{runs['orbital']}",
                 f"/compare?runs={runs['ground']},{runs['orbital']}", "/new"):
        page.goto(path)
        if path.startswith("/runs/"):
            page.wait_for_function("document.body.dataset.ready === '1'")
        else:
            page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # late fetches and timers
        assert page.js_errors == [], f"{path}: {page.js_errors}"
