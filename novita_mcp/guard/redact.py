"""Redaction by rule, for the audit log and every log record.

A value is masked when the name it sits under looks secret, at any depth: a dict key, the
name of a ``{"key"|"name": ..., "value": ...}`` pair (Novita's env lists), the first item of a
``(name, value)`` pair (header lists). Literal secrets (the API key) are masked wherever they
appear, in values and in dict keys alike, whatever name they sit under.

A name looks secret when one of its words (split at ``_ - . space`` and camelCase) is one of
key, secret, token, password, passwd, pwd, credential, auth, authorization, private, session,
cookie (or a plural), or when the name glues one of them to a neighbour (``apikey``,
``clientsecret``, ``xsrftoken``...). Counting fields are ordinary: a name whose last word is
``tokens`` or a measure (``count``, ``ttl``, ``limit``, ...) only measures secrets, so
``max_tokens``, ``prompt_tokens``, ``token_ttl`` and ``key_count`` are kept while ``token``,
``access_token``, ``x-api-key`` and ``authorization`` are masked.

Free text (log messages, error strings) is masked for literal secrets, ``Bearer`` credentials
and ``name=value`` / ``"name": "value"`` pairs whose name looks secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

__all__ = ["MASK", "looks_secret", "redact", "redact_text", "RedactionFilter", "install_log_redaction"]

MASK = "***"
_WORDS = frozenset({"key", "keys", "secret", "secrets", "token", "password", "passwords", "passwd", "pwd",
                    "credential", "credentials", "creds", "auth", "authorization", "authentication", "private",
                    "session", "sessions", "cookie", "cookies", "passphrase", "apikey", "jwt"})
# Glued forms ("clientsecret", "xapikey", "setcookie") are found inside a word; only stems that
# cannot be part of an ordinary word are searched this way ("auth" would hit "author").
_STEMS = ("secret", "password", "passwd", "credential", "cookie", "apikey", "accesskey", "privatekey",
          "sessionid", "authorization", "authtoken", "accesstoken", "refreshtoken", "bearer")
# A name ending in one of these measures something rather than holding it.
_MEASURES = frozenset({"tokens", "count", "counts", "ttl", "limit", "limits", "length", "len", "size", "num",
                       "number", "seconds", "secs", "ms", "timeout", "expiry", "expires", "usage", "usd", "bytes"})
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MAX_STRING = 200
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}")
_PAIR = re.compile(r"""(?<![A-Za-z0-9_.-])(?P<name>["']?[A-Za-z][A-Za-z0-9_.-]{1,60}["']?)(?P<sep>\s*[:=]\s*)"""
                   r"""(?P<value>"[^"]*"?|'[^']*'?|[^\s,;&"'}\]]+)""")
_PAIR_NAMES = ("key", "name")
# {"key": "OPENAI_KEY", "value": "..."} written out as text (JSON or a Python repr).
_NAMED_VALUE = re.compile(r"""(?P<head>["']?(?:key|name)["']?\s*[:=]\s*["']?(?P<name>[^"',}\s]+)["']?\s*,\s*"""
                          r"""["']?value["']?\s*[:=]\s*)(?P<value>"[^"]*"?|'[^']*'?|[^\s,;&"'}\]]+)""")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _SPLIT.split(name) if w]


def looks_secret(name: object) -> bool:
    """Whether a value under ``name`` must be masked (see the module's rule)."""
    if not isinstance(name, str) or not name:
        return False
    return _name_looks_secret(name)


@lru_cache(maxsize=4096)  # the same few field names come back in every record
def _name_looks_secret(name: str) -> bool:
    words = _words(name)
    if not words or words[-1] in _MEASURES:
        return False
    if any(w in _WORDS for w in words):
        return True
    glued = "".join(words)
    return any(stem in glued for stem in _STEMS)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


def _trim(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + f"…(+{len(text) - limit} chars)"


def _pair_name(value: Mapping[Any, Any]) -> str | None:
    """The name of a ``{key|name, value}`` pair, or None when ``value`` is not such a pair."""
    if "value" not in value:
        return None
    for field in _PAIR_NAMES:
        if isinstance(value.get(field), str):
            return value[field]
    return None


def redact(value: Any, secrets: tuple[str, ...] | Iterable[str] = (), *, max_string: int | None = _MAX_STRING) -> Any:
    """``value`` as it may be written down: values under secret-looking names masked at any
    depth, literal ``secrets`` masked everywhere (keys included), long strings trimmed to
    ``max_string`` characters (None keeps them whole)."""
    secrets = tuple(s for s in secrets if s)
    return _redact(value, secrets, max_string)


def _redact(value: Any, secrets: tuple[str, ...], limit: int | None) -> Any:
    if isinstance(value, Mapping):
        pair = _pair_name(value)
        out: dict[Any, Any] = {}
        for k, v in value.items():
            shown = _scrub(k, secrets) if isinstance(k, str) else k
            if pair is not None and k in _PAIR_NAMES and v == pair:
                out[shown] = _redact(v, secrets, limit)  # the pair's name is what decides, not a secret
            elif pair is not None and k == "value":
                out[shown] = MASK if looks_secret(pair) else _redact(v, secrets, limit)
            else:
                out[shown] = MASK if looks_secret(k) else _redact(v, secrets, limit)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if len(items) == 2 and isinstance(items[0], str) and looks_secret(items[0]):
            return [_redact(items[0], secrets, limit), MASK]  # a (header, value) pair
        return [_redact(v, secrets, limit) for v in items]
    if isinstance(value, bytes | bytearray):
        return _redact(bytes(value).decode("utf-8", "replace"), secrets, limit)
    if isinstance(value, str):
        # Literal secrets first: trimming could cut one in half and hide it from the search.
        return _mask_patterns(_trim(_scrub(value, secrets), limit))
    return value


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text with literal secrets, bearer credentials and secret ``name=value`` pairs masked."""
    return _mask_patterns(_scrub(text, tuple(s for s in secrets if s)))


def _quoted_mask(value: str) -> str:
    quote = value[0] if value[0] in "\"'" else ""
    return f"{quote}{MASK}{quote}"


def _mask_patterns(text: str) -> str:
    if "=" not in text and ":" not in text and " " not in text:
        return text  # no pair and no "Bearer x" can be in it: most values end here, cheaply
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    if "value" in text:
        text = _NAMED_VALUE.sub(lambda m: m.group("head") + _quoted_mask(m.group("value"))
                                if looks_secret(m.group("name")) else m.group(0), text)

    def pair(m: re.Match[str]) -> str:
        if not looks_secret(m.group("name").strip("\"'")):
            return m.group(0)
        return f"{m.group('name')}{m.group('sep')}{_quoted_mask(m.group('value'))}"

    return _PAIR.sub(pair, text)


class RedactionFilter(logging.Filter):
    """Rewrites each record so that no secret leaves it: arguments are masked by rule before
    the message is formatted, the formatted message and any traceback text after."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(s for s in secrets if s)

    def _arg(self, arg: Any) -> Any:
        if isinstance(arg, Mapping | list | tuple | set | frozenset):
            return redact(arg, self.secrets, max_string=None)
        if isinstance(arg, str):
            return redact_text(arg, self.secrets)
        return arg

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            args = record.args
            if isinstance(args, Mapping):
                record.args = {k: self._arg(v) for k, v in args.items()}
            elif isinstance(args, tuple):
                record.args = tuple(self._arg(a) for a in args)
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is shown as its template
            message = str(record.msg)
        record.msg, record.args = redact_text(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
            record.exc_info = None  # formatters print exc_text; the live traceback could re-render secrets
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self.secrets)
        return True


_FILTER = RedactionFilter()
# Loggers whose records we produce or cause: ours, the SDK's, the HTTP stack's, the web server's.
LOGGERS = ("novita_mcp", "mcp", "httpx", "httpcore", "httpx2", "uvicorn", "uvicorn.error", "uvicorn.access",
           "starlette", "sse_starlette")


def install_log_redaction(secrets: Iterable[str] = ()) -> RedactionFilter:
    """Mask secrets in every log record: ``secrets`` (e.g. the API key) literally, the rest by rule.

    The one filter goes on our loggers (records they create) and on every handler that exists
    now on the root logger and on those loggers (records that propagate from their children).
    Calling it again adds secrets and reaches handlers added since; nothing is installed twice.
    """
    _FILTER.add(secrets)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in LOGGERS)]
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    return _FILTER
