"""Every endpoint of the demo service, in both modes, against the real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

MODES = ["baseline", "optimized"]


@pytest.mark.parametrize("mode", MODES)
async def test_health_answers_with_the_mode(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "mode": mode}


@pytest.mark.parametrize("mode", MODES)
async def test_student_by_id_has_profile_fields(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        body = (await client.get("/api/v1/students/7")).json()
    assert body["id"] == 7 and body["email"].endswith("@example.org")
    assert body["level"] in {"beginner", "intermediate", "advanced"} and body["timezone"]


async def test_both_modes_answer_identically(serve: Callable[[str], Any]) -> None:
    paths = ["/api/v1/students/3", "/api/v1/students/3/learning-path", "/api/v1/students?level=advanced&limit=5",
             "/api/v1/students?is_active=true&offset=10&limit=3"]
    answers = {}
    for mode in MODES:
        async with serve(mode) as client:
            answers[mode] = [(await client.get(p)).json() for p in paths]
    assert answers["baseline"] == answers["optimized"]


@pytest.mark.parametrize("mode", MODES)
async def test_learning_path_has_student_courses_and_recommendations(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        body = (await client.get("/api/v1/students/5/learning-path")).json()
    assert body["student"]["id"] == 5
    assert len(body["courses"]) == 3 and all(0.0 <= c["progress"] <= 1.0 for c in body["courses"])
    taken = {c["course_id"] for c in body["courses"]}
    assert all(r["course_id"] not in taken and r["prerequisite_id"] in taken for r in body["recommendations"])


@pytest.mark.parametrize("mode", MODES)
async def test_students_list_filters_and_pages(serve: Callable[[str], Any], mode: str) -> None:
    async with serve(mode) as client:
        everyone = (await client.get("/api/v1/students?limit=100")).json()
        beginners = (await client.get("/api/v1/students?level=beginner&limit=100")).json()
        active = (await client.get("/api/v1/students?is_active=true&limit=100")).json()
        page = (await client.get("/api/v1/students?limit=5&offset=10")).json()
    assert everyone["total"] == 60 and len(everyone["items"]) == 60
    assert beginners["items"] and all(s["level"] == "beginner" for s in beginners["items"])
    assert beginners["total"] == len(beginners["items"])
    assert all(s["is_active"] for s in active["items"]) and active["total"] < 60
    assert [s["id"] for s in page["items"]] == [s["id"] for s in everyone["items"][10:15]]
    assert (page["limit"], page["offset"]) == (5, 10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/api/v1/students/99999", "/api/v1/students/99999/learning-path"])
async def test_unknown_student_is_a_404_with_a_json_body(serve: Callable[[str], Any], mode: str, path: str) -> None:
    async with serve(mode) as client:
        response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "student 99999 not found", "student_id": 99999}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/students/abc", "student_id"),
    ("/api/v1/students/0/learning-path", "student_id"),
    ("/api/v1/students/2147483648", "student_id"),  # beyond the int4 column: 2**31
    ("/api/v1/students/99999999999999999999999/learning-path", "student_id"),
    ("/api/v1/students?limit=0", "limit"),
    ("/api/v1/students?limit=1000", "limit"),
    ("/api/v1/students?offset=-1", "offset"),
    ("/api/v1/students?level=expert", "level"),
    ("/api/v1/students?is_active=perhaps", "is_active"),
])
async def test_malformed_parameters_are_a_422_naming_the_field(
    serve: Callable[[str], Any], mode: str, path: str, field: str
) -> None:
    async with serve(mode) as client:
        response = await client.get(path)
    assert response.status_code == 422
    body = response.json()
    assert body["fields"] == [field] and field in body["detail"]
    assert body["errors"][0]["field"] == field and body["errors"][0]["message"]
