"""novita-mcp: an MCP server for Novita AI with server-enforced guardrails."""

__version__ = "0.1.0"

__all__ = ["__version__"]
