"""Fuzz every operation from the API's own OpenAPI schema (schemathesis): nothing answers 5xx.

Both valid (positive) and invalid (negative) requests are generated for each operation, a
bounded number of each so the whole run stays well under a minute.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from api_server import Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

EXAMPLES_PER_MODE = 15


def _fuzz(
    strategy: st.SearchStrategy[schemathesis.Case], mode: str, url: str, headers: dict[str, str], failures: list[str]
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} ({mode}): {response.status_code} "
                f"{response.text[:300]} — {case.as_curl_command()}"
            )

    call()


@pytest.mark.slow
def test_no_operation_answers_a_server_error(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    api = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {server.keys['admin']}"}
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        for mode in GenerationMode:
            _fuzz(operation.as_strategy(generation_mode=mode), f"{mode.value}", server.url, headers, failures)
    assert failures == []
