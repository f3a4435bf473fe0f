"""Schemathesis against the real uvicorn service: no request the published OpenAPI allows is a 5xx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from labkit.lab.app import AppConfig
from labkit.lab.load import ServiceProcess

MODES = ["baseline", "optimized"]
EXAMPLES = 40  # per operation and generation mode: bounded in count, a few seconds per mode


@pytest.fixture(params=MODES)
def service(request: pytest.FixtureRequest, app_config: Callable[[str], AppConfig]) -> Iterator[ServiceProcess]:
    with ServiceProcess(app_config(request.param)) as running:
        yield running


def test_openapi_is_published_at_its_conventional_url(app_config: Callable[[str], AppConfig]) -> None:
    with ServiceProcess(app_config("optimized")) as running:
        document = httpx.get(f"{running.url}/openapi.json", timeout=10).json()
    student = document["paths"]["/api/v1/students/{student_id}"]["get"]["parameters"][0]["schema"]
    assert document["openapi"].startswith("3.") and student["maximum"] == 2**31 - 1


@pytest.mark.parametrize("generation", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_generated_request_is_a_server_error(service: ServiceProcess, generation: GenerationMode) -> None:
    api = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 5

    for operation in operations:
        if generation is GenerationMode.NEGATIVE and not operation.definition.raw.get("parameters"):
            continue  # no input to make invalid
        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(base_url=service.url, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code == 422:
                assert response.json()["fields"], response.text

        call()
