"""Authenticated upload of a survey file into the ingest pipeline."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.routing import APIRoute

from api import upload_checks as upload
from api.deps import OperatorDep, SessionDep, authenticate_early
from api.params import NO_NUL
from ingest import authority
from ingest.options import column_map_from_json
from ingest.pipeline import IngestOptions, ingest_file
from observatory import keys
from observatory.memory import release_memory
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


@router.post("/upload", summary="Upload a survey file (operator API key); returns the run report")
def upload_file(
    session: SessionDep,
    operator: OperatorDep,
    file: Annotated[UploadFile, File(description="CSV, TSV, TXT, XLSX, JSON or GeoJSON.")],
    source: Annotated[
        str, Form(min_length=1, max_length=200, pattern=NO_NUL, description="Source name.")
    ],
    category: Annotated[str | None, Form(description="Category code for every row.")] = None,
    area: Annotated[
        str | None,
        Form(pattern=NO_NUL, description="Area the file is for (default: all the key's areas)."),
    ] = None,
    sheet: Annotated[str | None, Form(description="Spreadsheet sheet name.")] = None,
    delimiter: Annotated[
        str | None, Form(description="CSV delimiter, \\t for a tab (default: detected).")
    ] = None,
    encoding: Annotated[str | None, Form(description="Text encoding (default: detected).")] = None,
    decimal: Annotated[str | None, Form(description="'.' or ',' (default: detected).")] = None,
    column_map: Annotated[
        str | None, Form(description="JSON object: file column -> field.")
    ] = None,
    snapshot: Annotated[
        bool,
        Form(
            description="The file lists every service of the source in the key's areas: "
            "close (never delete) those it no longer lists, reported in `closed`; a closed "
            "service listed again is reopened."
        ),
    ] = False,
) -> dict[str, Any]:
    """Run the ingest pipeline on the file, writing only the key's areas, in one transaction.

    A source another key created, a file none of whose rows lies in those areas, and a run
    that wrote any service outside them (checked in SQL) are refused (403), leaving nothing.
    """
    with session.begin():
        allowed_areas = keys.upload_areas(session, operator, area)
    options = IngestOptions(
        source=source,
        category=category,
        column_map=column_map_from_json(column_map),
        sheet=sheet,
        delimiter=delimiter,
        encoding=encoding,
        decimal=decimal,
        allowed_areas=allowed_areas,
        key=operator,
        snapshot=snapshot,
    )
    name = upload.check_upload(file.filename, file.content_type, file.file.read(8192))
    file.file.seek(0)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        try:
            with session.begin():
                report = ingest_file(session, path, options)
                authority.check_run_within_areas(session, report.run_id, allowed_areas)
        finally:
            release_memory()
    return report.to_dict()
