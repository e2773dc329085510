"""My work: what waits for the signed-in person, grouped."""
