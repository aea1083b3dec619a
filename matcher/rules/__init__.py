"""Hard rules: candidate arcs from programs x participants x needs, and why pairs fail."""
