"""Data layer: manifest, readers, grid alignment, terrain, study areas, stack I/O, generator."""
