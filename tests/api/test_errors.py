import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import register_error_handlers
from observatory.errors import (
    ConfigurationError,
    GeographyNotLoaded,
    InvalidInput,
    NotFound,
    ObservatoryError,
    UnsupportedFileType,
)
from tests.helpers import assert_problem


def _client_raising(error: ObservatoryError) -> TestClient:
    app = FastAPI()
    register_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    return TestClient(app)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("bad bbox"), 400),
        (NotFound("unknown area 'x'"), 404),
        (UnsupportedFileType("not a csv"), 415),
        (GeographyNotLoaded("run observatory geo load"), 503),
    ],
)
def test_domain_errors_map_to_their_status_with_their_message(error, status):
    assert_problem(_client_raising(error).get("/boom"), status, str(error))


def test_unmapped_domain_error_is_500_without_its_message():
    body = assert_problem(_client_raising(ConfigurationError("secret path")).get("/boom"), 500)
    assert "secret path" not in body["detail"]


def test_unknown_route_is_a_404_problem():
    assert_problem(_client_raising(InvalidInput("x")).get("/nowhere"), 404, "Not Found")
