"""Reading one uploaded material from a multipart request without ever holding more than its
size limit, shared by the JSON API and the workspace's upload form.

The body is refused as soon as it outgrows the material's limit: a declared length is checked
before anything is read, and the received bytes are counted while the multipart parser spools
them to a temporary file, so an oversize or lying client is stopped early and never read in
full. A file within the limit is read into memory once, because the service checks and stores
bytes."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from clearance.domain.filings import uploads
from clearance.domain.filings.forms import MaterialType

# Room for the multipart envelope (boundaries, part headers, a long UTF-8 file name, the CSRF
# field) on top of a material's own size limit, so a file exactly at the limit is accepted.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes
    declared_type: str | None
    fields: dict[str, str]  # the form's other (text) fields, e.g. the CSRF token


class TooLarge(Exception):
    def __init__(self, material_type: MaterialType, limit: int) -> None:
        self.limit = limit
        self.size_text = f"{limit / uploads.MB:g} MB" if limit >= uploads.MB else f"{limit / 1024:g} KB"
        super().__init__(f"a {material_type.value} upload is limited to {self.size_text}")


class BadUpload(Exception):
    """Not a multipart body with a file field ``file``."""


class _Overflow(Exception):
    """Raised from inside the body stream to abort the multipart parser mid-upload."""


async def read_capped(request: Request, material_type: MaterialType) -> Upload:
    limit = uploads.RULES[material_type].max_bytes
    cap = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise TooLarge(material_type, limit)
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > cap:
                raise _Overflow
        return message

    try:
        form = await Request(request.scope, counted).form(max_files=1, max_fields=10)
    except _Overflow:
        raise TooLarge(material_type, limit) from None
    except StarletteHTTPException as exc:  # a malformed multipart body
        raise BadUpload(str(exc.detail)) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadUpload("send the material as multipart/form-data with a file field 'file'")
        if upload.size is not None and upload.size > limit:
            raise TooLarge(material_type, limit)
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        return Upload(upload.filename or "", await upload.read(), upload.content_type, fields)
    finally:
        await form.close()  # removes the spooled temporary files, whatever was sent
