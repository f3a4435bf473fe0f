"""01_cache: Redis GET/SET and batches, codecs, Zipf hit rates, @cached beside other libraries."""

__all__ = ["NOTEBOOK"]

NOTEBOOK = "01_cache"
