"""Every way a Novita call can fail, in one hierarchy.

::

    NovitaError
    ├── APIError                  the API answered with an error envelope
    │   ├── BadRequestError           400 / 422 (and most GPU-family reasons)
    │   ├── AuthenticationError       401, or 403 INVALID_API_KEY
    │   ├── PermissionDeniedError     403
    │   ├── InsufficientBalanceError  NOT_ENOUGH_BALANCE / BILLING_BALANCE_NOT_ENOUGH / BALANCE_NOT_ENOUGH
    │   ├── NotFoundError             404, or a *_NOT_FOUND reason (the GPU family sends those as 400)
    │   ├── RateLimitError            429 (carries retry_after)
    │   └── ServerError               5xx
    ├── TransportError            no usable answer: connection refused or dropped, timeout
    │   └── OutcomeUnknownError       ...after a non-idempotent request may have reached Novita
    ├── MalformedResponseError    an answer that is not the JSON we expect
    ├── DownloadError             a file at a URL (not the API) answered >= 400, was too big or too slow
    ├── URLRefusedError           a URL that was not fetched: invalid, or not allowed by the URL policy
    └── InvalidIdError            an id that does not match its kind's pattern (never put in a URL)

Messages never contain the API key nor a raw response body: only the status, Novita's
reason code, Novita's own message (trimmed) and a request id when the API sent one.
"""

from __future__ import annotations

__all__ = [
    "NovitaError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "InsufficientBalanceError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "OutcomeUnknownError",
    "MalformedResponseError",
    "DownloadError",
    "URLRefusedError",
    "InvalidIdError",
    "BALANCE_REASONS",
]

BALANCE_REASONS = frozenset({"NOT_ENOUGH_BALANCE", "BILLING_BALANCE_NOT_ENOUGH", "BALANCE_NOT_ENOUGH"})


class NovitaError(Exception):
    """Base class of every error raised by the Novita client."""

    next_step: str = "Check the request and try again."
    # Set by the client when the failed request was one that acts (a create, a billed call):
    # a 5xx or an unreadable answer to it does not prove that nothing happened.
    after_write: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def describe(self) -> str:
        """One paragraph for a human: what failed and what to do next."""
        return f"{self.message} Next step: {self.next_step}"


class APIError(NovitaError):
    """The API answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        code = f"{self.reason} " if self.reason else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"Novita error {code}(HTTP {self.status}): {self.message}{rid}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, reason={self.reason!r}, message={self.message!r})"

    def describe(self) -> str:
        return f"{self} Next step: {self.next_step}"


class BadRequestError(APIError):
    next_step = "Fix the arguments named in the message and call again."


class AuthenticationError(APIError):
    next_step = "Check NOVITA_API_KEY (create a key at https://novita.ai/settings/key-management) and restart the server."


class PermissionDeniedError(APIError):
    next_step = "This account may not use this feature; check the account's verification and plan in the Novita console."


class InsufficientBalanceError(APIError):
    next_step = "Top up the Novita balance (https://novita.ai/billing), or choose a cheaper option."


class NotFoundError(APIError):
    next_step = "Check the id or name; list the resources to see what exists."


class RateLimitError(APIError):
    @property
    def next_step(self) -> str:  # type: ignore[override]  # a computed step where the base has a plain one
        if self.retry_after is not None:
            return f"Wait {self.retry_after:g} s and try again."
        return "Wait a few seconds and try again."


class ServerError(APIError):
    next_step = "Novita had a server-side problem; try again in a minute. If it persists, check https://status.novita.ai."


class TransportError(NovitaError):
    """No usable answer: the connection failed, dropped, or timed out."""

    next_step = "Check the network and NOVITA_BASE_URL, then try again."


class OutcomeUnknownError(TransportError):
    """A write (create, billed call) may have reached Novita, but no answer came back.

    Raised only when the request had left: a refused connection is a plain TransportError.
    The action may have happened and may have cost money, so "try again" is never the advice;
    the caller says what to read to find out.
    """

    next_step = ("Do not repeat the call blindly: the action may have happened. Check the resource list or "
                 "the bills first.")

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class MalformedResponseError(NovitaError):
    """The API answered 2xx with a body we cannot read."""

    next_step = "Try again; if it persists, the API may have changed - please report it."


class DownloadError(NovitaError):
    """A file could not be fetched from a URL outside the API: an error status, too large, too slow.

    ``status`` is the HTTP status when the host answered one (``None`` for size and time limits).
    Never carries the URL's query (signed links hold credentials) nor the body.
    """

    def __init__(self, message: str, *, status: int | None = None, next_step: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        if next_step is not None:
            self.next_step = next_step
        elif status in (401, 403, 404, 410):
            self.next_step = ("The link is wrong, private or expired: check it opens in a browser, or for a task "
                              "output call get_task again for fresh links.")
        elif status is not None and status >= 500:
            self.next_step = "The file's host had a server-side problem; try again in a minute."
        else:
            self.next_step = "Check the URL, or pass the file another way (a local path on stdio, or base64)."


class URLRefusedError(NovitaError):
    """A URL that was not fetched at all: malformed, not http(s), or aimed at a non-public address."""

    next_step = "Pass a public http(s) URL, or the file itself (a local path on stdio, or base64)."


class InvalidIdError(NovitaError):
    """An id that does not have its kind's shape: refused before any URL is built with it."""

    next_step = "Pass the id exactly as a list or create tool returned it."
