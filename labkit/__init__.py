"""labkit: measure what caching, eager loading, bulk writes, pooling and async buy a data layer."""

from labkit.errors import LabkitError
from labkit.settings import Settings

__all__ = ["LabkitError", "Settings", "__version__"]
__version__ = "0.1.0"
