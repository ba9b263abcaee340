"""Fan-out between server processes: in-process by default, Redis for several."""
