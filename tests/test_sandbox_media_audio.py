"""Speech endpoints: MiniMax TTS (sync, async, 2.8 envelope) and GLM ASR."""

from __future__ import annotations

import base64
import io
import wave
from decimal import Decimal

import httpx
import pytest

pytestmark = pytest.mark.anyio

VOICE = {"voice_id": "Wise_Woman", "speed": 1.0}


def _http(sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, transport=sandbox.transport(),
                             headers={"Authorization": f"Bearer {sandbox.api_key}"})


async def test_sync_speech_answers_a_wav_url_and_charges_per_character(sandbox) -> None:
    text = "Fifteen chars!!" * 2
    charges = len(sandbox.state.charges)
    async with _http(sandbox) as http:
        response = await http.post("/v3/minimax-speech-02-hd", json={"text": text, "voice_setting": VOICE,
                                                                     "output_format": "url"})
        audio = await http.get(response.json()["audio"])
    assert response.json()["status"] == 2 and "X-Amz-Expires=86400" in response.json()["audio"]
    with wave.open(io.BytesIO(audio.content)) as w:
        assert w.getnchannels() == 1 and w.getnframes() / w.getframerate() == pytest.approx(2.0)
    assert sandbox.state.charges[charges].amount_units == Decimal("0.10") * len(text) / 1000 * 10_000


async def test_hex_output_is_the_default(sandbox) -> None:
    async with _http(sandbox) as http:
        response = await http.post("/v3/minimax-speech-02-turbo", json={"text": "hi", "voice_setting": VOICE})
    assert bytes.fromhex(response.json()["audio"])[:4] == b"RIFF"


async def test_speech_28_uses_the_minimax_envelope(sandbox) -> None:
    async with _http(sandbox) as http:
        body = (await http.post("/v3/minimax-speech-2.8-turbo", json={"text": "hello", "voice_setting": VOICE,
                                                                      "output_format": "url"})).json()
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert body["data"]["audio"].startswith("http") and body["extra_info"]["usage_characters"] == 5


@pytest.mark.parametrize(("body", "fragment"), [
    ({"text": "hi"}, "voice_id is required"),
    ({"text": "hi", "voice_setting": {**VOICE, "speed": 3}}, "speed"),
    ({"text": "hi", "voice_setting": {**VOICE, "emotion": "bored"}}, "emotion must be one of"),
    ({"text": "hi", "voice_setting": VOICE, "audio_setting": {"format": "ogg"}}, "format must be one of"),
    ({"text": "x" * 10_000, "voice_setting": VOICE}, "text must be"),
])
async def test_speech_bodies_outside_the_docs_are_refused(sandbox, body, fragment) -> None:
    async with _http(sandbox) as http:
        response = await http.post("/v3/minimax-speech-02-hd", json=body)
    assert response.status_code == 400 and fragment in response.json()["message"]


async def test_async_speech_is_a_task_with_audios(sandbox) -> None:
    async with _http(sandbox) as http:
        task_id = (await http.post("/v3/async/minimax-speech-2.5-hd-preview",
                                   json={"text": "long " * 2000, "voice_setting": VOICE})).json()["task_id"]
        sandbox.advance(30)
        done = (await http.get("/v3/async/task-result", params={"task_id": task_id})).json()
    audio = done["audios"][0]
    assert done["task"]["status"] == "TASK_STATUS_SUCCEED" and audio["audio_type"] == "wav"
    assert audio["audio_metadata"]["end_time"] == 30.0


async def test_asr_returns_the_text_of_sandbox_speech_and_refuses_non_audio(sandbox) -> None:
    async with _http(sandbox) as http:
        url = (await http.post("/v3/minimax-speech-02-hd", json={"text": "round trip", "voice_setting": VOICE,
                                                                 "output_format": "url"})).json()["audio"]
        by_url = await http.post("/v3/glm-asr", json={"file": url})
        foreign = await http.post("/v3/glm-asr", json={"file": "https://example.com/talk.mp3"})
        junk_uri = "data:audio/wav;base64," + base64.b64encode(b"hello").decode()
        junk = await http.post("/v3/glm-asr", json={"file": junk_uri})
    assert by_url.json() == {"text": "round trip"}
    assert "sandbox" in foreign.json()["text"]
    assert (junk.status_code, junk.json()["reason"]) == (400, "INVALID_AUDIO_FILE")
