"""meterhub benchmarks: each module exposes ``run(**options) -> dict`` and is run by ``meterhub bench NAME``."""
