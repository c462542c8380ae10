"""One guarded call driven through the three consent paths (token, elicitation accept, decline).

Shared by the platform toolsets' tests: each case names the tool, its arguments, the sandbox path
its mutating request goes to, and two checks on the sandbox state (unchanged / changed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import connect, elicitation

MODES = ("token", "accept", "decline")


async def exercise(server: Any, sandbox: Any, mode: str, tool: str, args: dict[str, Any], path: str,
                   unchanged: Callable[[], bool], changed: Callable[[], bool], *, method: str | None = None) -> None:
    """Run ``tool`` in ``mode`` and assert what the sandbox saw and holds afterwards.

    ``path``/``method`` name the mutating request (default: any method but GET under ``path``).
    """

    def sent() -> int:
        return sum(1 for r in sandbox.state.requests_to(path) if (r.method == method if method else r.method != "GET"))

    sent_before = sent()
    if mode == "token":
        async with connect(server) as client:
            first = await client.call_tool(tool, args)
            assert first.structured_content["status"] == "confirmation_required", first.content[0].text
            assert sent() == sent_before and unchanged()
            token = first.structured_content["confirmation"]["token"]
            done = await client.call_tool(tool, {**args, "confirmation_token": token})
        assert done.structured_content["status"] == "done", done.content[0].text
        assert changed()
        return
    ask = elicitation(mode)
    async with connect(server, elicit=ask) as client:
        result = await client.call_tool(tool, args)
    assert len(ask.questions) == 1
    if mode == "accept":
        assert result.structured_content["status"] == "done", result.content[0].text
        assert changed()
    else:
        assert result.is_error and "Nothing was done" in result.content[0].text
        assert sent() == sent_before and unchanged()
