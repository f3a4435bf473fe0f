"""The lab beside the library: harness, experiments, claims, reports, servers, demo service, load.

Installed with the extras (`pip install 'labkit[lab]'`, `[app]`, `[load]`, `[bench]`); the library
(`labkit.cache`, `labkit.db`, `labkit.monitor`) never imports anything from here.
"""

__all__: list[str] = []
