"""Redaction by rule (issue 11, point 7): the audit log and every log mask secrets at any depth,
by the name they sit under and, for the API key, wherever they appear."""

from __future__ import annotations

import json
import logging

import pytest

from novita_mcp.guard.audit import AuditLog
from novita_mcp.guard.audit import redact as audit_redact
from novita_mcp.guard.redact import MASK, RedactionFilter, install_log_redaction, looks_secret, redact, redact_text

from .conftest import TEST_KEY, connect
from .served import http_server, serve_over_http

SECRET_NAMES = ["key", "api_key", "apiKey", "x-api-key", "X-API-KEY", "OPENAI_KEY", "SSH_KEY", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY", "secret", "client_secret", "clientSecret", "token", "access_token",
                "api_token", "refreshToken", "HF_TOKEN", "GITHUB_TOKEN", "password", "DB_PASSWORD", "PGPASSWORD",
                "passwd", "credential", "credentials", "auth", "Authorization", "proxy-authorization", "X-Auth-Token",
                "private_key", "privateKey", "session", "session_id", "Mcp-Session-Id", "cookie", "Set-Cookie",
                "confirmation_token", "ssh_keys"]
ORDINARY_NAMES = ["max_tokens", "max_completion_tokens", "prompt_tokens", "completion_tokens", "total_tokens",
                  "token_ttl", "token_ttl_seconds", "completion_token_count", "tokens", "keep_data", "monkey",
                  "keyword", "author", "session_budget_usd", "name", "value", "model", "custom_id", "username"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_names_that_look_secret_are_masked_whatever_their_case_or_separators(name) -> None:
    assert looks_secret(name)
    assert redact({name: "s3cr3t-value"}) == {name: MASK}


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_counting_and_ordinary_fields_are_kept(name) -> None:
    assert not looks_secret(name)
    assert redact({name: 123}) == {name: 123}


def test_env_lists_mask_the_value_of_an_entry_whose_name_looks_secret() -> None:
    args = {"envs": [{"key": "OPENAI_KEY", "value": "sk-openai"}, {"key": "PATH", "value": "/usr/bin"},
                     {"name": "SSH_KEY", "value": "ssh-ed25519 AAAA"}, {"name": "PORT", "value": "8000"}]}
    assert redact(args) == {"envs": [{"key": "OPENAI_KEY", "value": MASK}, {"key": "PATH", "value": "/usr/bin"},
                                     {"name": "SSH_KEY", "value": MASK}, {"name": "PORT", "value": "8000"}]}


def test_env_maps_header_dicts_and_header_pairs_at_any_depth() -> None:
    value = {"request": {"body": {"image": {"envs": {"AWS_ACCESS_KEY_ID": "AKIA123", "LOG_LEVEL": "info"}}},
                         "headers": {"Authorization": "Bearer abc", "Content-Type": "application/json",
                                     "Cookie": "sid=1"},
                         "raw_headers": [("X-Api-Key", "k-1"), ("Accept", "*/*")]},
             "usage": {"prompt_tokens": 5, "total_tokens": 9}}
    assert redact(value) == {
        "request": {"body": {"image": {"envs": {"AWS_ACCESS_KEY_ID": MASK, "LOG_LEVEL": "info"}}},
                    "headers": {"Authorization": MASK, "Content-Type": "application/json", "Cookie": MASK},
                    "raw_headers": [["X-Api-Key", MASK], ["Accept", "*/*"]]},
        "usage": {"prompt_tokens": 5, "total_tokens": 9}}


def test_the_api_key_is_masked_under_any_name_in_keys_and_values_even_across_the_trim() -> None:
    value = {"note": f"use {TEST_KEY} here", TEST_KEY: "as a key", "list": [TEST_KEY.encode()],
             "long": "x" * 190 + TEST_KEY}
    text = json.dumps(redact(value, (TEST_KEY,)))
    assert TEST_KEY not in text and TEST_KEY[:12] not in text
    assert redact({"a": {"b": [{"c": TEST_KEY}]}}, (TEST_KEY,)) == {"a": {"b": [{"c": MASK}]}}


def test_free_text_masks_bearer_credentials_and_secret_pairs_but_not_counts() -> None:
    text = ('GET /x?api_key=abc123&max_tokens=5 Authorization: Bearer eyJhbGciOi.x.y '
            '{"password": "hunter2", "token_ttl": 60} {\'key\': \'HF_TOKEN\', \'value\': \'hf_abcdef\'}')
    out = redact_text(text)
    for secret in ("abc123", "eyJhbGciOi", "hunter2", "hf_abcdef"):
        assert secret not in out
    assert "max_tokens=5" in out and '"token_ttl": 60' in out


def test_the_audit_module_still_exports_redact_and_trims_long_strings() -> None:
    assert audit_redact is redact
    assert redact({"prompt": "y" * 500})["prompt"].endswith("(+300 chars)")


def test_the_audit_log_writes_nested_secrets_masked(tmp_path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", secrets=(TEST_KEY,))
    log.write("decision", "create_instance", arguments={"env": {"OPENAI_KEY": "sk-live-1", "NOTE": TEST_KEY},
                                                        "envs": [{"key": "DB_PASSWORD", "value": "pw-2"}],
                                                        "max_tokens": 7})
    text = (tmp_path / "audit.jsonl").read_text()
    assert "sk-live-1" not in text and "pw-2" not in text and TEST_KEY not in text
    (record,) = log.read()
    assert record["arguments"]["max_tokens"] == 7 and record["arguments"]["envs"][0]["key"] == "DB_PASSWORD"


def _capture(name: str) -> tuple[logging.Logger, list[logging.LogRecord]]:
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            self.format(record)
            seen.append(record)

    logger = logging.getLogger(name)
    logger.propagate = False
    handler = Keep(logging.DEBUG)
    handler.addFilter(RedactionFilter([TEST_KEY]))
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    return logger, seen


def test_the_log_filter_masks_arguments_messages_and_tracebacks() -> None:
    logger, seen = _capture("test_redaction.filter")
    logger.info("calling with %s and %s", {"envs": [{"key": "OPENAI_KEY", "value": "sk-openai"}], "max_tokens": 9},
                f"key {TEST_KEY}")
    logger.warning("header %(h)s", {"h": {"Authorization": "Bearer tok-123456"}})
    try:
        raise RuntimeError(f"failed with password=hunter2 and {TEST_KEY}")
    except RuntimeError:
        logger.exception("boom")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in seen)
    for secret in ("sk-openai", "tok-123456", "hunter2", TEST_KEY):
        assert secret not in text
    assert "'max_tokens': 9" in text and "RuntimeError" in text and len(seen) == 3


def test_installed_redaction_reaches_records_that_propagate_from_child_loggers() -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction(["sk-installed-secret"])
        logging.getLogger("novita_mcp.tools.deep.child").warning("env %s / sk-installed-secret",
                                                                 {"GITHUB_TOKEN": "ghp_abc"})
    finally:
        root.removeHandler(handler)
    assert seen and "ghp_abc" not in seen[0] and "sk-installed-secret" not in seen[0] and "GITHUB_TOKEN" in seen[0]



@pytest.mark.anyio
async def test_nested_secrets_never_reach_the_audit_log_or_any_log_record(sandbox, make_settings, state_dir,
                                                                           caplog) -> None:
    """Through MCP over real HTTP with latency: a create whose env holds secrets under many names,
    and the API key itself pasted as an ordinary value."""
    secrets = {"OPENAI_KEY": "sk-openai-0001", "SSH_KEY": "ssh-ed25519 AAAAC3Nz0002", "AWS_ACCESS_KEY_ID": "AKIA0003",
               "aws_secret_access_key": "wJalr0004", "HF_TOKEN": "hf_0005", "DB_PASSWORD": "pw0006"}
    args = {"name": "redaction", "product_id": "1", "image_url": "pytorch/pytorch:latest",
            "env": {**secrets, "NOTE": f"pasted {TEST_KEY}", "MAX_TOKENS": "512"}}
    async with serve_over_http(sandbox, latency=0.02) as url:
        async with connect(http_server(sandbox, url, make_settings)) as client:
            asked = await client.call_tool("create_instance", args)
            token = asked.structured_content["confirmation"]["token"]
            done = await client.call_tool("create_instance", {**args, "confirmation_token": token})
    assert not done.is_error, done.content[0].text
    audit = (state_dir / "audit.jsonl").read_text()
    logs = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for value in [*secrets.values(), TEST_KEY, token]:
        assert value not in audit and value not in logs
    decision = json.loads(audit.splitlines()[0])
    assert decision["arguments"]["env"]["MAX_TOKENS"] == "512" and decision["arguments"]["env"]["OPENAI_KEY"] == MASK
    # Novita got the real values: masking is for what is written down, not for what is sent.
    (created,) = sandbox.state.requests_to("/gpu-instance/openapi/v1/gpu/instance/create", "POST")
    assert "sk-openai-0001" in json.dumps(created.body)
