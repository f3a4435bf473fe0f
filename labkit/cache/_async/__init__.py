"""The cache code of one flavour: `_async` is the asyncio source, `_sync` is generated from it.

Edit `_async` only, then run `make unasync`; the public names are exported by `labkit.cache`.
"""

__all__: list[str] = []
