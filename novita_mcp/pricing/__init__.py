"""Prices that no Novita endpoint returns, each table in one place.

Quotes (the guard's plans) and the sandbox's charges both read these tables, so what the
user approves is what the sandbox bills. Prices the API does return (LLM models, GPU
products) are always taken from the API instead.

- ``gpu``: disk and network-storage rates (published in Novita's pricing guide).
- ``media``: per-call prices of image, video and audio models (FLUX's published formula;
  estimates for the models without a public price).
- ``platform``: dedicated-endpoint GPU-hours and LoRA training (estimates).
"""
