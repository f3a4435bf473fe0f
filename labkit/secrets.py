"""Masking of passwords in URLs and text, so that no secret reaches a report, log or metric."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "mask_url", "mask_text", "url_secrets"]

MASK = "***"
_SECRET_QUERY_KEYS = {"password", "passwd", "pwd", "secret", "token", "access_token"}
# user:password@ inside any URL-looking text, for free text such as tracebacks. The scheme
# must start a run of scheme characters: without the lookbehind a long run with no "://"
# (base64 of an embedded image) is rescanned from every offset, quadratic in its length.
_USERINFO = re.compile(r"(?<![a-zA-Z0-9+.\-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@")


def mask_url(url: str | None) -> str:
    """Return `url` with its password (userinfo or query parameter) replaced by ***."""
    if not url:
        return "" if url is None else url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            user, _, password = userinfo.partition(":")
            if password:
                netloc = f"{user}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_QUERY_KEYS for k, _ in pairs):
            pairs = [(k, MASK if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in pairs]
            query = urlencode(pairs, safe="*/")
    if netloc == parts.netloc and query == parts.query:
        return url  # urlunsplit would drop the empty authority of sqlite:///path
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str | None) -> list[str]:
    """The secret strings (passwords) a URL carries, for scrubbing text that may contain them."""
    if not url:
        return []
    parts = urlsplit(url)
    found = []
    if parts.password:
        found.append(parts.password)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in _SECRET_QUERY_KEYS and value:
            found.append(value)
    return found


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask `user:password@` in any URL inside `text`, and every literal secret given."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        masked = masked.replace(secret, MASK)
    return masked
