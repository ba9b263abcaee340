"""Meeting rules: who may do what, and what the room document looks like."""
