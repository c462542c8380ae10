"""Confirmation tokens: bound to tool, arguments and quote; signed; expiring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from novita_mcp.guard import TokenError, TokenSigner

ARGS = {"model": "m", "n": 2}


def test_a_token_verifies_for_the_same_tool_and_arguments() -> None:
    signer = TokenSigner(b"k")
    token, _ = signer.issue("create", ARGS, Decimal("1.5"), "hour", now=100, ttl=600)
    claims = signer.verify(token, "create", dict(reversed(list(ARGS.items()))), now=200)
    assert claims.quote_usd == Decimal("1.5") and claims.recurring == "hour"


@pytest.mark.parametrize(
    ("tool", "args", "now", "needle"),
    [
        ("delete", ARGS, 200, "issued for create"),
        ("create", {**ARGS, "n": 3}, 200, "arguments differ"),
        ("create", ARGS, 701, "expired"),
    ],
)
def test_a_token_is_refused_for_another_call(tool, args, now, needle) -> None:
    signer = TokenSigner(b"k")
    token, _ = signer.issue("create", ARGS, Decimal("1.5"), None, now=100, ttl=600)
    with pytest.raises(TokenError, match=needle):
        signer.verify(token, tool, args, now=now)


def test_forged_or_tampered_tokens_are_refused() -> None:
    token, _ = TokenSigner(b"k").issue("create", ARGS, Decimal("9"), None, now=0, ttl=600)
    with pytest.raises(TokenError, match="signature"):
        TokenSigner(b"other-secret").verify(token, "create", ARGS, now=1)
    head, sig = token.split(".")
    with pytest.raises(TokenError):
        TokenSigner(b"k").verify(head[:-2] + "AA." + sig, "create", ARGS, now=1)
    with pytest.raises(TokenError, match="malformed"):
        TokenSigner(b"k").verify("not-a-token", "create", ARGS, now=1)


def test_processes_sharing_the_secret_verify_each_others_tokens() -> None:
    token, _ = TokenSigner(b"shared").issue("create", ARGS, Decimal("1"), None, now=0, ttl=600)
    assert TokenSigner(b"shared").verify(token, "create", ARGS, now=1).tool == "create"
