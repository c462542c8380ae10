"""Entry point of the novita-mcp MCP Bundle: uv installs the bundled wheels, this starts the server on stdio."""

from novita_mcp.cli import main

raise SystemExit(main())
