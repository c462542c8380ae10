"""``GET /v3/model``: the SD model catalogue with filters and cursor pagination (Novita docs: model-apis-get-model).

``base_model_type`` is ``Standard`` or ``Inpainting``, as in the page's example.

Both filter spellings are accepted: ``filter.types`` (docs) and ``filter.type`` (the
official SDK). A cursor is ``c_<offset>``; ``next_cursor`` is empty on the last page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.media_common import bad

__all__ = ["ModelCatalogue", "routes", "TYPES"]

TYPES = {"checkpoint": "Checkpoint", "lora": "LoRA", "vae": "VAE", "controlnet": "ControlNet",
         "upscaler": "Upscaler", "textualinversion": "Textual Inversion"}

# (sd_name, type, base_model, is_sdxl, is_inpainting, is_nsfw, tags)
_SEED: list[tuple[str, str, str, bool, bool, bool, tuple[str, ...]]] = [
    ("sd_xl_base_1.0.safetensors", "checkpoint", "SDXL 1.0", True, False, False, ("base", "general")),
    ("juggernautXL_v9Rdphoto2Lightning_285361.safetensors", "checkpoint", "SDXL 1.0", True, False, False, ("photo",)),
    ("dreamshaperXL_turboDpmppSDE_235361.safetensors", "checkpoint", "SDXL 1.0", True, False, False, ("art",)),
    # the checkpoint of the dedicated-endpoints guide's example request
    ("sdxlUnstableDiffusers_v11_216694.safetensors", "checkpoint", "SDXL 1.0", True, False, False, ("art",)),
    ("realisticVisionV51_v51VAE_94301.safetensors", "checkpoint", "SD 1.5", False, False, False, ("photo",)),
    ("darkSushiMixMix_225D_64380.safetensors", "checkpoint", "SD 1.5", False, False, False, ("anime",)),
    ("dreamshaper_8_93211.safetensors", "checkpoint", "SD 1.5", False, False, False, ("art", "general")),
    ("majicmixRealistic_v7_134792.safetensors", "checkpoint", "SD 1.5", False, False, True, ("photo",)),
    ("realisticVisionV51_v51VAE-inpainting_94324.safetensors", "checkpoint", "SD 1.5", False, True, False,
     ("inpainting",)),
    ("dreamshaper_8Inpainting_93208.safetensors", "checkpoint", "SD 1.5", False, True, False, ("inpainting",)),
    ("sd_xl_inpainting_0.1.safetensors", "checkpoint", "SDXL 1.0", True, True, False, ("inpainting",)),
    ("add_detail_44319", "lora", "SD 1.5", False, False, False, ("detail",)),
    ("more_details_59655", "lora", "SD 1.5", False, False, False, ("detail",)),
    ("sdxl_lightning_8step_lora_312340", "lora", "SDXL 1.0", True, False, False, ("speed",)),
    ("pixel-art-xl_v1.1_135931", "lora", "SDXL 1.0", True, False, False, ("pixel art",)),
    ("sdxl_vae.safetensors", "vae", "SDXL 1.0", True, False, False, ()),
    ("vae-ft-mse-840000-ema-pruned.safetensors", "vae", "SD 1.5", False, False, False, ()),
    ("control_v11p_sd15_canny", "controlnet", "SD 1.5", False, False, False, ("canny",)),
    ("control_v11p_sd15_openpose", "controlnet", "SD 1.5", False, False, False, ("pose",)),
    ("control_v11f1p_sd15_depth", "controlnet", "SD 1.5", False, False, False, ("depth",)),
    ("RealESRGAN_x4plus_anime_6B", "upscaler", "", False, False, False, ("anime",)),
    ("RealESRNet_x4plus", "upscaler", "", False, False, False, ("photo",)),
    ("4x-UltraSharp", "upscaler", "", False, False, False, ("sharp",)),
    ("EasyNegative", "textualinversion", "SD 1.5", False, False, False, ("negative",)),
    ("badhandv4_16755", "textualinversion", "SD 1.5", False, False, False, ("negative", "hands")),
]


def _model(i: int, row: tuple[str, str, str, bool, bool, bool, tuple[str, ...]]) -> dict[str, Any]:
    sd_name, kind, base, sdxl, inpainting, nsfw, tags = row
    name = sd_name.split(".safetensors")[0].rsplit("_", 1)[0] if "_" in sd_name else sd_name
    return {
        "id": 10_000 + i, "name": name, "hash_sha256": hashlib.sha256(sd_name.encode()).hexdigest(),
        "sd_name": sd_name, "type": {"name": kind, "display_name": TYPES[kind]},
        "categories": [kind], "status": 1, "download_url": "", "tags": list(tags),
        "cover_url": f"https://sandbox.novita.invalid/covers/{10_000 + i}.jpeg", "source": "civitai",
        "base_model": base, "base_model_type": "Inpainting" if inpainting else "Standard",
        "download_url_ttl": 0, "sd_name_in_api": sd_name, "is_sdxl": sdxl, "is_inpainting": inpainting,
        "is_nsfw": nsfw, "visibility": "public",
    }


class ModelCatalogue:
    def __init__(self) -> None:
        self.models = [_model(i, row) for i, row in enumerate(_SEED)]

    def exists(self, sd_name: str, kind: str, *, inpainting: bool = False) -> bool:
        return any(m["sd_name"] == sd_name and m["type"]["name"] == kind and (not inpainting or m["is_inpainting"])
                   for m in self.models)

    def is_sdxl(self, sd_name: str) -> bool:
        return any(m["sd_name"] == sd_name and m["is_sdxl"] for m in self.models)


def _flag(value: str | None, name: str) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() not in ("true", "false"):
        raise bad(f"{name} must be true or false")
    return value.lower() == "true"


def routes(catalogue: ModelCatalogue) -> list[Route]:
    async def list_models(request: Request) -> JSONResponse:
        q = request.query_params
        visibility, source = q.get("filter.visibility"), q.get("filter.source")
        if visibility not in (None, "", "public", "private"):
            raise bad("filter.visibility must be public or private")
        if source not in (None, "", "civitai", "training", "uploading"):
            raise bad("filter.source must be civitai, training or uploading")
        types = [t for t in (q.getlist("filter.types") + q.getlist("filter.type")) if t]
        for t in types:
            if t not in TYPES:
                raise bad(f"filter.types must be one of {', '.join(TYPES)}; got {t!r}")
        sdxl, inpainting = _flag(q.get("filter.is_sdxl"), "filter.is_sdxl"), _flag(
            q.get("filter.is_inpainting"), "filter.is_inpainting")
        query = (q.get("filter.query") or "").lower()
        try:
            limit = int(q.get("pagination.limit") or 10)
            cursor = q.get("pagination.cursor") or "c_0"
            offset = int(cursor[2:]) if cursor.startswith("c_") else -1
        except ValueError:
            raise bad("pagination.limit must be an integer and pagination.cursor a cursor like c_0") from None
        if not 1 <= limit <= 100 or offset < 0:
            raise bad("pagination.limit must be 1-100 and pagination.cursor a cursor like c_0")
        matched = [
            m for m in catalogue.models
            if (not visibility or m["visibility"] == visibility) and (not source or m["source"] == source)
            and (not types or m["type"]["name"] in types) and (sdxl is None or m["is_sdxl"] == sdxl)
            and (inpainting is None or m["is_inpainting"] == inpainting)
            and (not query or query in m["sd_name"].lower() or any(query in t for t in m["tags"]))
        ]
        page = matched[offset : offset + limit]
        nxt = offset + len(page)
        return JSONResponse({"models": page, "pagination": {"next_cursor": f"c_{nxt}" if nxt < len(matched) else ""}})

    return [Route("/v3/model", list_models, methods=["GET"])]
