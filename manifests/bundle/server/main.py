"""Entry point of the novita-mcp MCP Bundle: uv installs the pinned package, this starts it on stdio."""

from novita_mcp.cli import main

raise SystemExit(main())
