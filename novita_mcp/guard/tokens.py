"""Confirmation tokens: HMAC-signed, bound to tool + canonical arguments + quote, expiring.

A token is ``base64url(payload).base64url(hmac-sha256)``. Single use is enforced by the
ledger (the nonce is recorded when the token is spent), so it holds across restarts and
across replicas that share the ledger and the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["TokenSigner", "TokenClaims", "TokenError", "canonical_args", "load_or_create_secret"]


class TokenError(Exception):
    """Why a token was refused, in words for the user."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_args(args: dict[str, Any]) -> str:
    """One spelling of the arguments, so any change to them changes the binding."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)


def args_digest(tool: str, args: dict[str, Any]) -> str:
    return hashlib.sha256(f"{tool}\n{canonical_args(args)}".encode()).hexdigest()


@dataclass(frozen=True)
class TokenClaims:
    tool: str
    digest: str
    quote_usd: Decimal
    recurring: str | None
    expires_at: float
    nonce: str


def load_or_create_secret(path: Path) -> bytes:
    """A random per-installation secret, created once (0600) in the state directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_bytes()
    secret = secrets.token_bytes(32)
    path.touch(mode=0o600)
    path.write_bytes(secret)
    return secret


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return "TokenSigner(****)"

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def issue(self, tool: str, args: dict[str, Any], quote_usd: Decimal, recurring: str | None,
              now: float, ttl: float) -> tuple[str, TokenClaims]:
        claims = TokenClaims(tool, args_digest(tool, args), quote_usd, recurring, now + ttl, secrets.token_hex(12))
        payload = json.dumps({"t": claims.tool, "d": claims.digest, "q": str(claims.quote_usd), "r": claims.recurring,
                              "e": claims.expires_at, "n": claims.nonce}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{self._sign(payload)}", claims

    def verify(self, token: str, tool: str, args: dict[str, Any], now: float) -> TokenClaims:
        """Check signature, expiry, tool and arguments; return the claims (the caller checks price and reuse)."""
        try:
            head, sig = token.strip().split(".")
            payload = _unb64(head)
        except (ValueError, TypeError):
            raise TokenError("the confirmation token is malformed") from None
        if not hmac.compare_digest(self._sign(payload), sig):
            raise TokenError("the confirmation token's signature is invalid (forged, altered, or from another server)")
        try:
            raw = json.loads(payload)
            claims = TokenClaims(raw["t"], raw["d"], Decimal(raw["q"]), raw["r"], float(raw["e"]), raw["n"])
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise TokenError("the confirmation token is malformed") from None
        if claims.tool != tool:
            raise TokenError(f"the confirmation token was issued for {claims.tool}, not {tool}")
        if now > claims.expires_at:
            raise TokenError("the confirmation token has expired")
        if claims.digest != args_digest(tool, args):
            raise TokenError("the arguments differ from the ones that were confirmed")
        return claims
