"""Shared fixtures: a sandbox on a manual clock, and servers built on it, reached through MCP.

Every test talks MCP to ``build_server(...)``, whose Novita client talks to the sandbox app
in-process. Nothing sleeps: the sandbox clock is advanced by hand, and retries sleep
through a recorder.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from novita_mcp.client import RetryPolicy
from novita_mcp.hooks import Hooks
from novita_mcp.sandbox import ManualClock, Sandbox
from novita_mcp.server import build_server
from novita_mcp.settings import Settings

TEST_KEY = "sk_test_DO_NOT_LEAK_4f1c9a7e2b"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock(), api_key=TEST_KEY)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def make_settings(sandbox: Sandbox, state_dir: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "api_key": sandbox.api_key,
            "base_url": sandbox.base_url,
            "dedicated_base_url": sandbox.base_url,
            "state_dir": state_dir,
            "token_secret": "test-token-secret",
            "toolsets": ["all"],
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def make_server(sandbox: Sandbox, make_settings: Callable[..., Settings], sleeps: SleepRecorder) -> Callable[..., Any]:
    """``make_server(hooks=None, **settings)``: a server on the sandbox whose waits are virtual.

    A tool that waits between polls advances the sandbox clock by the interval instead of
    sleeping; ``hooks`` replaces fields of the server's ``Hooks`` (``{"poll_interval": 2.0}``).
    """

    async def advance(seconds: float) -> None:
        sandbox.advance(seconds)

    def make(*, hooks: dict[str, Any] | None = None, **overrides: Any) -> Any:
        seams = Hooks(clock=sandbox.clock.now, sleep=advance, retry=RetryPolicy(3, sleep=sleeps))
        return build_server(make_settings(**overrides), sandbox.transport(), hooks=replace(seams, **(hooks or {})))

    return make


def elicitation(action: str, approve: bool = True) -> Any:
    """An elicitation callback that answers every question with ``action``, recording the questions."""
    questions: list[str] = []

    async def callback(context: Any, params: Any) -> ElicitResult:
        questions.append(params.message)
        content = {"approve": approve} if action == "accept" else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    callback.questions = questions  # type: ignore[attr-defined]
    return callback


@asynccontextmanager
async def connect(server: Any, *, mode: str = "auto", elicit: Any = None) -> AsyncIterator[Client]:
    """An MCP client session against ``server`` (in-memory); ``elicit`` declares elicitation support."""
    async with Client(server, mode=mode, elicitation_callback=elicit) as client:  # type: ignore[arg-type]
        yield client


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "injects_bug: the test breaks the server on purpose, so an 'unexpected "
                                       "error' answer is expected")


@pytest.fixture(autouse=True)
def _no_tool_answer_is_an_unexpected_error(request, caplog):
    """In every test: no tool (or its planning) failed unexpectedly, unless the test injects a bug.

    Every "an unexpected error" answer is produced right after the server logs the exception
    ("... failed unexpectedly"), so the log is where to look, whichever client made the call.
    """
    caplog.set_level(logging.DEBUG)
    yield
    if request.node.get_closest_marker("injects_bug"):
        return
    for record in caplog.get_records("call"):
        if record.name.startswith("novita_mcp") and "unexpectedly" in record.getMessage():
            detail = record.exc_text or (record.exc_info and repr(record.exc_info[1])) or ""
            pytest.fail(f"a tool answered 'unexpected error': {record.getMessage()} {detail}"[:2000])


@pytest.fixture(autouse=True)
def _the_key_never_reaches_a_log(caplog, state_dir):
    """In every test: no log record (at any level) and no audit record carries the API key."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in [*caplog.get_records("setup"), *caplog.get_records("call")]:
        text = record.getMessage() + (record.exc_text or "")
        assert TEST_KEY not in text, f"the API key leaked into a log record from {record.name}"
    audit = state_dir / "audit.jsonl"
    if audit.exists():
        assert TEST_KEY not in audit.read_text(), "the API key leaked into the audit log"


@pytest.fixture(scope="session")
def pg() -> Any:
    """One real PostgreSQL server (initdb in a temp dir, a free port) for every test that needs it."""
    from .pg_server import remove, start_postgres

    server = start_postgres()
    try:
        yield server
    finally:
        remove(server)
