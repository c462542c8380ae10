from novita_mcp.cli import main

raise SystemExit(main())
