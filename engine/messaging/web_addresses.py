"""Whether an address typed for a webhook or a platform is one the HTTP sender can post to.

urllib.parse.urlsplit raises ValueError on some text (an unclosed IPv6 bracket: "http://[::1"), and
reading a port past 65535 raises too; http.client refuses spaces, control characters and non-ASCII
text in the path. Such an address is refused when it is typed, instead of failing the page or every
later delivery.
"""

from __future__ import annotations

import re
import urllib.parse

WEB_ADDRESS_LIMIT = 500

_NOT_SENDABLE = re.compile(r"[\x00-\x20\x7f]")


def is_web_address(url: str, limit: int = WEB_ADDRESS_LIMIT) -> bool:
    """An http:// or https:// address with a host, at most `limit` characters, that can be sent to."""
    if len(url) > limit or _NOT_SENDABLE.search(url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or past 65535
    except ValueError:
        return False
    after_host = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return parts.scheme in ("http", "https") and bool(parts.hostname) and after_host.isascii()
