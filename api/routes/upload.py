"""Authenticated upload of a survey file into the ingest pipeline."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.routing import APIRoute

from api.deps import NO_NUL, OperatorDep, SessionDep, authenticate_early
from ingest.pipeline import IngestOptions, ingest_file
from observatory import keys, upload
from observatory.errors import InvalidInput
from observatory.settings import get_settings


class SizeLimitedRoute(APIRoute):
    """A route that checks the API key and the body's size before reading any of the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler: key (401/403), then Content-Length (the server caps the body to it).

        FastAPI reads a form body before it resolves dependencies, so the key dependency
        alone would come after the whole upload was received.
        """
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            await authenticate_early(request)
            upload.check_declared_size(
                request.headers.get("content-length"), get_settings().upload_max_bytes
            )
            return await handler(request)

        return limited


router = APIRouter(prefix="/ingest", tags=["ingest"], route_class=SizeLimitedRoute)


def _column_map(raw: str | None) -> dict[str, str]:
    """Parse the optional JSON object {"file column": "service field"}."""
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"column_map is not JSON: {error}") from error
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise InvalidInput('column_map must be a JSON object {"file column": "field"}')
    return parsed


@router.post("/upload", summary="Upload a survey file (operator API key); returns the run report")
def upload_file(
    session: SessionDep,
    operator: OperatorDep,
    file: Annotated[UploadFile, File(description="CSV, TSV, TXT, XLSX, JSON or GeoJSON.")],
    source: Annotated[
        str, Form(min_length=1, max_length=200, pattern=NO_NUL, description="Source name.")
    ],
    category: Annotated[
        str | None, Form(pattern=NO_NUL, description="Category code for every row.")
    ] = None,
    area: Annotated[
        str | None,
        Form(pattern=NO_NUL, description="Area the file is for (default: all the key's areas)."),
    ] = None,
    sheet: Annotated[
        str | None, Form(pattern=NO_NUL, description="Spreadsheet sheet name.")
    ] = None,
    delimiter: Annotated[str | None, Form(max_length=1, pattern=NO_NUL)] = None,
    encoding: Annotated[str | None, Form(max_length=40, pattern=NO_NUL)] = None,
    decimal: Annotated[str | None, Form(max_length=1, pattern=NO_NUL)] = None,
    column_map: Annotated[
        str | None, Form(pattern=NO_NUL, description="JSON object: file column -> field.")
    ] = None,
) -> dict[str, Any]:
    """Run the ingest pipeline on the file, writing only the key's areas, in one transaction.

    A source another key created, a file none of whose rows lies in those areas, and a run
    that wrote any service outside them (checked in SQL) are refused (403), leaving nothing.
    """
    with session.begin():
        allowed_areas = keys.upload_areas(session, operator, area)
    name = upload.check_upload(file.filename, file.content_type, file.file.read(8192))
    file.file.seek(0)
    columns = _column_map(column_map)
    options = IngestOptions(
        source=source,
        category=category,
        column_map=columns,
        sheet=sheet,
        delimiter=delimiter,
        encoding=encoding,
        decimal=decimal,
        allowed_areas=allowed_areas,
        key=operator,
    )
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        with session.begin():
            report = ingest_file(session, path, options)
            upload.check_run_within_areas(session, report.run_id, allowed_areas)
    return report.to_dict()
