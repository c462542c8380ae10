"""Instance templates (Novita docs: gpu-instance-create-template, -get-template, -list-templates): capital ``Id``, ``createTime`` as a string, and
ports sent as strings on create but returned as ints. Templates are free.

Only the account's own (``private``) templates can be changed or deleted; ``official``
and ``community`` ones are read-only here (``OPERATION_LIMIT``, our choice).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from novita_mcp.sandbox.errors import SandboxError, json_object
from novita_mcp.sandbox.gpu_catalog import GPU_BASE
from novita_mcp.sandbox.state import SandboxState

__all__ = ["TemplateStore"]

_TYPES = ("instance", "serverless")
_CHANNELS = ("private", "community", "official")


def _bad(message: str) -> SandboxError:
    return SandboxError("gpu", "VALIDATOR_PARAM", message)


def _ports(raw: Any) -> list[dict[str, Any]]:
    out = []
    for group in raw or []:
        kind = group.get("type") if isinstance(group, dict) else None
        if kind not in ("http", "tcp"):
            raise _bad("ports[].type must be http or tcp")
        values = group.get("ports") or []
        if len(values) > 10:
            raise _bad("at most 10 ports per type")
        try:
            out.append({"type": kind, "ports": [int(p) for p in values]})
        except (TypeError, ValueError):
            raise _bad("ports must be numbers") from None
    return out


class TemplateStore:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.templates: dict[str, dict[str, Any]] = {}
        self._next = 100
        self.routes = [
            Route(GPU_BASE + "/templates", self.list, methods=["GET"]),
            Route(GPU_BASE + "/template", self.get, methods=["GET"]),
            Route(GPU_BASE + "/template/create", self.create, methods=["POST"]),
            Route(GPU_BASE + "/template/update", self.update, methods=["POST"]),
            Route(GPU_BASE + "/template/delete", self.delete, methods=["POST"]),
        ]

    def _find(self, template_id: Any) -> dict[str, Any]:
        found = self.templates.get(str(template_id or ""))
        if found is None:
            raise SandboxError("gpu", "TEMPLATE_NOT_FOUND", f"template {template_id!r} not found")
        return found

    def _fields(self, raw: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _bad("the body needs a 'template' object")
        tpl = dict(base or {})
        for key, high in (("name", 255), ("readme", 102400), ("image", 500), ("imageAuth", 255),
                          ("startCommand", 2047), ("entrypoint", 2047), ("minCudaVersion", 20)):
            if key in raw:
                tpl[key] = "" if raw[key] is None else str(raw[key])
                if len(tpl[key]) > high:
                    raise _bad(f"{key} may be at most {high} characters")
        for key in ("name", "image"):
            if not tpl.get(key):
                raise _bad(f"template.{key} is required")
        for key in ("readme", "imageAuth", "startCommand"):  # read back as "" when never set, as documented
            tpl.setdefault(key, "")
        tpl["type"] = raw.get("type", tpl.get("type", "instance"))
        tpl["channel"] = raw.get("channel", tpl.get("channel", "private"))
        if tpl["type"] not in _TYPES or tpl["channel"] not in _CHANNELS:
            raise _bad("type must be instance|serverless and channel private|community|official")
        tpl["rootfsSize"] = int(raw.get("rootfsSize", tpl.get("rootfsSize", 60)) or 60)
        if "ports" in raw or "ports" not in tpl:
            tpl["ports"] = _ports(raw.get("ports"))
        if "envs" in raw or "envs" not in tpl:
            tpl["envs"] = [{"key": str(e.get("key", "")), "value": str(e.get("value", ""))}
                           for e in raw.get("envs") or [] if isinstance(e, dict)]
        if "volumes" in raw or "volumes" not in tpl:
            volumes = raw.get("volumes")
            if volumes is None and raw.get("localVolumeSize"):
                volumes = [{"type": "local", "size": raw["localVolumeSize"],
                            "mountPath": raw.get("localVolumeMount") or "/workspace"}]
            tpl["volumes"] = [{"type": "local", "size": int(v.get("size") or 0),
                               "mountPath": str(v.get("mountPath") or "/workspace")} for v in volumes or []]
        return tpl

    def _store(self, tpl: dict[str, Any], template_id: str | None = None) -> str:
        if template_id is None:
            template_id = str(self._next)
            self._next += 1
            tpl.update({"Id": template_id, "user": self.state.user_id, "logo": "", "tools": [],
                        "createTime": str(int(self.state.now()))})
        self.templates[template_id] = tpl
        return template_id

    async def list(self, request: Request) -> JSONResponse:
        q = request.query_params
        try:
            size, num = int(q.get("pageSize") or 10), int(q.get("pageNum") or 0)
        except ValueError:
            raise _bad("pageSize and pageNum must be integers") from None
        channels = {c for value in q.getlist("channel") for c in value.split(",") if c}
        name, kind = (q.get("name") or "").lower(), q.get("type") or ""
        rows = [t for t in self.templates.values() if name in t["name"].lower() and (not kind or t["type"] == kind)
                and (not channels or t["channel"] in channels)]
        size = max(size, 1)
        return JSONResponse({"template": rows[num * size : (num + 1) * size], "pageSize": size, "pageNum": num,
                             "total": len(rows)})

    async def get(self, request: Request) -> JSONResponse:
        return JSONResponse({"template": self._find(request.query_params.get("templateId"))})

    async def _json(self, request: Request) -> dict[str, Any]:
        return await json_object(request, "gpu")

    async def create(self, request: Request) -> JSONResponse:
        raw = (await self._json(request)).get("template")
        tpl = self._fields(raw)
        if tpl["channel"] != "private":
            raise SandboxError("gpu", "OPERATION_LIMIT", "templates are created in the private channel")
        return JSONResponse({"templateId": self._store(tpl)})

    def _own(self, template_id: Any) -> dict[str, Any]:
        tpl = self._find(template_id)
        if tpl["channel"] != "private" or tpl.get("user") != self.state.user_id:
            raise SandboxError("gpu", "OPERATION_LIMIT", f"template {template_id} is {tpl['channel']}; "
                               "only your private templates can be changed")
        return tpl

    async def update(self, request: Request) -> JSONResponse:
        raw = (await self._json(request)).get("template") or {}
        current = self._own(raw.get("Id"))
        tpl = self._fields(raw, current)
        return JSONResponse({"templateId": self._store(tpl, current["Id"])})

    async def delete(self, request: Request) -> JSONResponse:
        template_id = str((await self._json(request)).get("templateId") or "")
        self._own(template_id)
        del self.templates[template_id]
        return JSONResponse({"templateId": template_id})

    def seed(self) -> None:
        now = str(int(self.state.now()) - 30 * 86400)
        self.templates["1"] = {
            "Id": "1", "user": "novita", "name": "PyTorch 2.3 + Jupyter", "readme": "PyTorch with JupyterLab.",
            "logo": "", "type": "instance", "channel": "official",
            "image": "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime", "imageAuth": "", "startCommand": "",
            "entrypoint": "", "minCudaVersion": "12.1", "rootfsSize": 60,
            "volumes": [{"type": "local", "size": 30, "mountPath": "/workspace"}],
            "ports": [{"type": "http", "ports": [8888]}, {"type": "tcp", "ports": [22]}], "envs": [], "tools": [],
            "createTime": now,
        }
        self.templates["100"] = {
            "Id": "100", "user": self.state.user_id, "name": "my vLLM server", "readme": "vLLM OpenAI-compatible server.",
            "logo": "", "type": "instance", "channel": "private", "image": "vllm/vllm-openai:latest", "imageAuth": "",
            "startCommand": "--model Qwen/Qwen2.5-7B-Instruct --port 8000", "entrypoint": "", "minCudaVersion": "12.4",
            "rootfsSize": 60, "volumes": [{"type": "local", "size": 30, "mountPath": "/workspace"}],
            "ports": [{"type": "http", "ports": [8000]}],
            "envs": [{"key": "HF_HOME", "value": "/workspace/hf"}], "tools": [], "createTime": now,
        }
        self._next = 101
