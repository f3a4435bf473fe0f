"""The demo service the load experiment measures: FastAPI over the demo domain, baseline or optimized."""

from labkit.lab.app.config import MODES, AppConfig, Mode
from labkit.lab.app.database import prepare_database, student_count
from labkit.lab.app.service import API, create_app

__all__ = ["API", "MODES", "AppConfig", "Mode", "create_app", "prepare_database", "student_count"]
