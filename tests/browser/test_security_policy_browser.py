"""The Content-Security-Policy in a real browser: a script written into a page (as an XSS would) does
not run. Every browser test also fails if the policy refused anything our own pages need (the
modeler's bpmn-js, the signature pad, the case page's diagram): see tests/browser/support.py."""

from __future__ import annotations

import pytest

from tests.browser.support import Page, second_browser, sign_in

pytestmark = pytest.mark.browser

INJECT = """() => new Promise(resolve => {
  document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective), {once: true});
  const script = document.createElement('script');
  script.textContent = 'window.injected = true';
  document.body.append(script);
  const button = document.createElement('button');
  button.setAttribute('onclick', 'window.injected = true');
  document.body.append(button);
  button.click();
  setTimeout(() => resolve(null), 2000);
})"""


def test_an_injected_inline_script_or_handler_does_not_run(page: Page, server: str) -> None:
    with second_browser(page, server, policy_checked=False) as browser:
        sign_in(browser, "operator")
        browser.goto("/tasks")
        violated = browser.evaluate(INJECT)
        assert violated is not None and violated.startswith("script-src")
        assert browser.evaluate("window.injected === undefined")
