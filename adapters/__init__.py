"""The spokes: one adapter package per external system. Adapters never import each other."""
