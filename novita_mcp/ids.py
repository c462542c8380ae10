"""One pattern per kind of id, used twice: in each tool's input schema and again in the client.

An id becomes part of a URL (``/openai/v1/files/{id}``) or its query. Unchecked, an "id" such as
``../../gpu-instance/openapi/v1/gpu/instances?x=`` made the server call another API path with the
key. Every kind here starts with a letter or digit (so ``.`` and ``..`` are never a whole path
segment) and never holds ``/``, ``?``, ``#``, ``%`` or spaces; the client checks the same pattern
before building a URL (defence in depth: a plan function or a Novita answer can hand it an id
too) and percent-encodes every path segment anyway.

Tools annotate parameters with the types below, adding their own description::

    instance_id: Annotated[InstanceId, Field(description="Instance id, from list_instances.")]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import Field

__all__ = [
    "IdKind", "segment", "check_id",
    "INSTANCE", "GPU_RESOURCE", "NETWORK", "ENDPOINT", "ENDPOINT_NAME", "JOB", "MEDIA_TASK", "TRAINING_TASK",
    "BATCH", "FILE", "ASSET", "PRODUCT", "CLUSTER", "LLM_MODEL",
    "InstanceId", "GpuResourceId", "NetworkId", "EndpointId", "JobId", "MediaTaskId", "TrainingTaskId", "BatchId",
    "FileId", "AssetId", "ProductId", "ClusterId",
]


@dataclass(frozen=True)
class IdKind:
    """A kind of id: what it is called in messages, its pattern and its longest length."""

    name: str
    pattern: str
    max_length: int
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.pattern))

    def matches(self, value: object) -> bool:
        return (isinstance(value, str) and 0 < len(value) <= self.max_length
                and self._compiled.fullmatch(value) is not None and ".." not in value.split("/"))


_PLAIN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
_DOTTED = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_COLON = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

INSTANCE = IdKind("instance id", _PLAIN, 64)
GPU_RESOURCE = IdKind("id", _DOTTED, 64)  # templates, network storages, registry credentials
NETWORK = IdKind("network id", _PLAIN, 64)
ENDPOINT = IdKind("endpoint id", _PLAIN, 64)
ENDPOINT_NAME = IdKind("endpoint name", _PLAIN, 100)
JOB = IdKind("job id", _PLAIN, 64)
MEDIA_TASK = IdKind("task id", _COLON, 100)
TRAINING_TASK = IdKind("training task id", _PLAIN, 64)
BATCH = IdKind("batch id", _COLON, 100)
FILE = IdKind("file id", _COLON, 100)
ASSET = IdKind("asset id", _COLON, 64)
PRODUCT = IdKind("product id", _COLON, 64)
CLUSTER = IdKind("cluster id", _DOTTED, 64)
# LLM model ids hold one "/" ("meta-llama/llama-3.3-70b-instruct") and travel as path segments.
LLM_MODEL = IdKind("model id", r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]*(/[A-Za-z0-9][A-Za-z0-9_.:@+-]*)*$", 200)


def _schema(kind: IdKind) -> Any:
    return Field(min_length=1, max_length=kind.max_length, pattern=kind.pattern)


InstanceId = Annotated[str, _schema(INSTANCE)]
GpuResourceId = Annotated[str, _schema(GPU_RESOURCE)]
NetworkId = Annotated[str, _schema(NETWORK)]
EndpointId = Annotated[str, _schema(ENDPOINT)]
JobId = Annotated[str, _schema(JOB)]
MediaTaskId = Annotated[str, _schema(MEDIA_TASK)]
TrainingTaskId = Annotated[str, _schema(TRAINING_TASK)]
BatchId = Annotated[str, _schema(BATCH)]
FileId = Annotated[str, _schema(FILE)]
AssetId = Annotated[str, _schema(ASSET)]
ProductId = Annotated[str, _schema(PRODUCT)]
ClusterId = Annotated[str, _schema(CLUSTER)]


def check_id(kind: IdKind, value: object) -> str:
    """``value`` when it is a well-formed ``kind``; else ``InvalidIdError`` (a readable Novita-client error)."""
    if not kind.matches(value):
        from novita_mcp.client.errors import InvalidIdError

        shown = repr(value)[:80]
        raise InvalidIdError(f"{shown} is not a valid {kind.name}; nothing was sent to Novita.")
    return str(value)


def segment(kind: IdKind, value: object) -> str:
    """``value`` checked and percent-encoded for one URL path segment (model ids keep their ``/``)."""
    return quote(check_id(kind, value), safe="/" if kind is LLM_MODEL else "")
