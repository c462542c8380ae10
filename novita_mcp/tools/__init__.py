"""MCP tools, one module per toolset; see ``novita_mcp.server.TOOLSETS``."""
