"""The API fuzzed from its own OpenAPI document: no input makes it fail, and every answer matches the document.

schemathesis reads ``/api/openapi.json`` from the WSGI app (no server, no network), generates requests for
every operation — valid ones, and invalid ones that break the document's own rules — sends them with an
owner's token and checks each response: never a 5xx; status code, content type, headers and body as
documented; invalid input refused; requests without the token refused.

(schemathesis' ``pytest.from_fixture`` does not run under pytest 9, so the operations are walked here with
each operation's Hypothesis strategy: the same generation and the same checks.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.timeout(180)

EXAMPLES_PER_OPERATION = 15
# "Schema-valid data is accepted" cannot hold for a catalogue: some rules are beyond JSON Schema (a GTIN's
# check digit, a "was" price above the price, one currency per product, SKUs distinct within a product) and
# are refused with a documented 422 by design. Every other check runs.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(app, auth, product_factory, mode):
    # Something to find, change and archive, so that operations on ids get past 404 now and then.
    product_factory(title="Linen shirt", slug="linen-shirt",
                    variants=[{"sku": "LIN-S", "price_minor": 4900, "currency": "EUR", "stock": 3,
                               "options": {"size": "S"}}])
    headers = {"Authorization": f"Bearer {auth.token('owner')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    failures = {}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all at once
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
