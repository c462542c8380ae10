"""The one price table for image, video and audio generation.

Novita publishes only two media prices (model-apis-flux-1-schnell and the NSFW-check note of the v3 pages): FLUX.1 schnell
(USD = 0.003 x width x height x steps / (1024 x 1024 x 4), per image) and the NSFW check
(+$0.0015 per image). Every other model has no public price and no price field in the
API, so the numbers below are ESTIMATES, kept here and nowhere else: the sandbox charges
with them and the media tools quote with them (``novita_mcp.tools.media*`` import this
module), so a quote always equals what the sandbox charges. Against the real API a quote
for an estimated model is only indicative; the tools say so in the quote's basis.

Open question chosen here: FLUX is charged per image, i.e. x image_num.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

__all__ = ["Price", "PRICES", "NSFW_USD_PER_IMAGE", "price_usd", "basis", "to_units", "FLUX_USD"]

Unit = Literal["flux", "image", "video", "second", "1k_chars", "call"]
UNITS_PER_USD = Decimal(10_000)
FLUX_USD = Decimal("0.003")  # per 1024x1024 image at 4 steps
NSFW_USD_PER_IMAGE = Decimal("0.0015")


@dataclass(frozen=True)
class Price:
    unit: Unit
    usd: Decimal
    public: bool = False


PRICES: dict[str, Price] = {
    "flux-1-schnell": Price("flux", FLUX_USD, public=True),
    # SD-style image endpoints
    "txt2img": Price("image", Decimal("0.0035")),
    "img2img": Price("image", Decimal("0.0035")),
    "inpainting": Price("image", Decimal("0.0035")),
    "upscale": Price("image", Decimal("0.003")),
    "remove-background": Price("image", Decimal("0.002")),
    "replace-background": Price("image", Decimal("0.005")),
    "cleanup": Price("image", Decimal("0.003")),
    "remove-text": Price("image", Decimal("0.003")),
    # Inferred like the utilities above (no price on their pages): one image, or one prompt per call.
    "reimagine": Price("image", Decimal("0.003")),
    "merge-face": Price("image", Decimal("0.003")),
    "img2prompt": Price("call", Decimal("0.002")),
    # newer image models
    "seedream-3-0": Price("image", Decimal("0.03")),
    "seedream-4.0": Price("image", Decimal("0.03")),
    "seedream-4.5": Price("image", Decimal("0.04")),
    "qwen-image": Price("image", Decimal("0.02")),
    # video
    "txt2video": Price("video", Decimal("0.08")),
    "img2video": Price("video", Decimal("0.10")),
    "hunyuan-video-fast": Price("video", Decimal("0.40")),
    "wan-t2v": Price("video", Decimal("0.30")),
    "wan-2.2-t2v": Price("video", Decimal("0.40")),
    "wan-2.5-t2v-preview": Price("second", Decimal("0.10")),
    "wan-2.5-i2v-preview": Price("second", Decimal("0.10")),
    "kling-v2.1-t2v-master": Price("second", Decimal("0.28")),
    "kling-v2.1-i2v-master": Price("second", Decimal("0.28")),
    "kling-v2.1-i2v": Price("second", Decimal("0.056")),
    "kling-v2.1-i2v-professional": Price("second", Decimal("0.098")),
    "kling-v1.6-t2v": Price("second", Decimal("0.056")),
    "kling-o1-t2v": Price("second", Decimal("0.10")),
    "minimax-hailuo-02": Price("second", Decimal("0.045")),
    "minimax-hailuo-02-1080p": Price("second", Decimal("0.08")),
    "minimax-video-01": Price("video", Decimal("0.43")),
    "minimax-hailuo-2.3-fast-i2v": Price("second", Decimal("0.032")),
    "vidu-q1-text2video": Price("video", Decimal("0.40")),
    "vidu-q1-reference2video": Price("video", Decimal("0.40")),
    # speech
    "minimax-speech-02-hd": Price("1k_chars", Decimal("0.10")),
    "minimax-speech-02-turbo": Price("1k_chars", Decimal("0.06")),
    "minimax-speech-2.5-hd-preview": Price("1k_chars", Decimal("0.10")),
    "minimax-speech-2.8-hd": Price("1k_chars", Decimal("0.10")),
    "minimax-speech-2.8-turbo": Price("1k_chars", Decimal("0.06")),
    "glm-asr": Price("call", Decimal("0.003")),
}


def _check_quantities(**quantities: float) -> None:
    """A negative quantity would make a quote cheaper than the call: it is a bug, never a price."""
    bad = {k: v for k, v in quantities.items() if v < 0}
    if bad:
        raise ValueError(f"negative quantities cannot be priced: {bad}")


def price_usd(key: str, *, count: int = 1, seconds: float = 0, chars: int = 0, width: int = 0, height: int = 0,
              steps: int = 0, nsfw_images: int = 0) -> Decimal:
    """What one request costs in USD (exact). ``nsfw_images``: images checked for NSFW content.

    Quantities are counts of what is produced or read (zero is allowed: a call that returned
    nothing costs nothing); a negative one is a ``ValueError``.
    """
    _check_quantities(count=count, seconds=seconds, chars=chars, width=width, height=height, steps=steps,
                      nsfw_images=nsfw_images)
    price = PRICES[key]
    if price.unit == "flux":
        amount = price.usd * width * height * steps / Decimal(1024 * 1024 * 4) * count
    elif price.unit in ("image", "video", "call"):
        amount = price.usd * count
    elif price.unit == "second":
        amount = price.usd * Decimal(str(seconds)) * count
    else:
        amount = price.usd * chars / Decimal(1000)
    return amount + NSFW_USD_PER_IMAGE * nsfw_images


def basis(key: str, *, count: int = 1, seconds: float = 0, chars: int = 0, width: int = 0, height: int = 0,
          steps: int = 0, nsfw_images: int = 0) -> str:
    """The quote's arithmetic in words, for the confirmation the user sees."""
    price = PRICES[key]
    if price.unit == "flux":
        text = f"$0.003 x {width}x{height} x {steps} steps / (1024x1024x4) x {count} image(s), Novita's FLUX price"
    else:
        per = {"image": "image", "video": "video", "second": "second of video", "1k_chars": "1,000 characters",
               "call": "request"}[price.unit]
        qty = {"image": f"{count} image(s)", "video": f"{count} video(s)", "second": f"{seconds:g} s",
               "1k_chars": f"{chars} characters", "call": f"{count} request(s)"}[price.unit]
        text = f"${price.usd} per {per} x {qty} ({key}; estimate - Novita publishes no price for this model)"
    if nsfw_images:
        text += f" + NSFW check $0.0015 x {nsfw_images} image(s)"
    return text


def to_units(usd: Decimal) -> Decimal:
    return usd * UNITS_PER_USD
