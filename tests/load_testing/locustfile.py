"""Locust load test of the demo service, at the seed's path.

    python -m labkit.lab.app --port 8003 &            # LABKIT_APP_MODE=baseline|optimized
    locust -f tests/load_testing/locustfile.py --host=http://localhost:8003

`labkit load` and notebook 08_api_load run the same users headless, on loopback only.
"""

from labkit.lab.load.locust_users import LearnerUser

__all__ = ["LearnerUser"]
