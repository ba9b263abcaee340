from __future__ import annotations

from collab_server.cli import main

raise SystemExit(main())
