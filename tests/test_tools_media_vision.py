"""reimagine_image, merge_face and describe_image through MCP against the sandbox: quote = charge,
inputs checked before anything is sent, consent before a call above the auto-approve line."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import pytest

from novita_mcp.client.media_formats import sniff
from novita_mcp.pricing.media import price_usd
from novita_mcp.sandbox.media_encode import jpeg, png

from .conftest import connect
from .guarded_flow import MODES, exercise

pytestmark = pytest.mark.anyio


def spent(sandbox, since: int) -> Decimal:
    return sum((c.amount_units for c in sandbox.state.charges[since:]), Decimal(0)) / 10_000


@pytest.fixture
def picture(tmp_path: Path) -> str:
    path = tmp_path / "room.png"
    path.write_bytes(png(320, 240, 3))
    return str(path)


async def test_reimagine_delivers_a_same_size_image_and_charges_the_quote(make_server, sandbox, picture) -> None:
    before = len(sandbox.state.charges)
    async with connect(make_server()) as client:
        result = await client.call_tool("reimagine_image", {"image": picture, "output_format": "jpeg"})
    assert not result.is_error, result.content[0].text
    out = result.structured_content["result"]
    saved = Path(out["files"][0]["local_path"]).read_bytes()
    assert (sniff(saved).format, sniff(saved).width, sniff(saved).height) == ("jpeg", 320, 240)
    assert Decimal(str(out["charged_usd"])) == price_usd("reimagine") == spent(sandbox, before)
    (sent,) = sandbox.state.requests_to("/v3/reimagine")
    assert sent.body["extra"] == {"response_image_type": "jpeg"}


async def test_merge_face_sends_both_images_and_keeps_the_target_size(make_server, sandbox, picture) -> None:
    face = base64.b64encode(jpeg(128, 128, 5)).decode()
    async with connect(make_server()) as client:
        result = await client.call_tool("merge_face", {"image": picture, "face_image": face})
    assert not result.is_error, result.content[0].text
    (sent,) = sandbox.state.requests_to("/v3/merge-face")
    assert sent.body["face_image_file"] == face
    saved = Path(result.structured_content["result"]["files"][0]["local_path"]).read_bytes()
    assert (sniff(saved).width, sniff(saved).height) == (320, 240)


async def test_a_face_that_is_not_an_image_is_refused_before_anything_is_sent(make_server, sandbox, picture) -> None:
    before = sandbox.state.balance_units
    async with connect(make_server()) as client:
        result = await client.call_tool("merge_face", {"image": picture,
                                                       "face_image": base64.b64encode(b"GIF89a" + b"\0" * 30).decode()})
    assert result.is_error and "face_image" in result.content[0].text and "Nothing was sent" in result.content[0].text
    assert sandbox.state.requests_to("/v3/merge-face") == [] and sandbox.state.balance_units == before


async def test_describe_image_answers_the_prompt_novita_gave(make_server, sandbox, picture) -> None:
    async with connect(make_server()) as client:
        result = await client.call_tool("describe_image", {"image": picture})
    out = result.structured_content["result"]
    assert out["prompt"] and "320x240" in out["prompt"] and out["prompt"] in result.content[0].text
    assert Decimal(str(out["charged_usd"])) == price_usd("img2prompt")
    assert sandbox.state.charges[-1].product_name == "img2prompt"


@pytest.mark.parametrize("mode", MODES)
async def test_reimagine_waits_for_consent_when_auto_approve_is_off(make_server, sandbox, picture, mode) -> None:
    charges = len(sandbox.state.charges)
    await exercise(make_server(auto_approve_usd=0), sandbox, mode, "reimagine_image", {"image": picture},
                   "/v3/reimagine", lambda: len(sandbox.state.charges) == charges,
                   lambda: len(sandbox.state.charges) == charges + 1)
