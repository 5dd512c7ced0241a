"""Filing use cases for providers: drafts (partial saves), materials, change filings, reads.

Every change appends an audit event in the same transaction. Objects the actor may not see are
reported as not found (see errors.NotFound)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from clearance.adapters.db import audit_log
from clearance.adapters.db import filings as repo
from clearance.adapters.material_store import MaterialStore
from clearance.domain.audit import AuditEvent
from clearance.domain.filings import uploads
from clearance.domain.filings.forms import FilingForm, MaterialType, missing
from clearance.domain.filings.records import Filing, Material
from clearance.domain.filings.workflow import Actor, FilingKind, State
from clearance.domain.policy import Action, Forbidden, Target, list_scope, refusal, require
from clearance.services.errors import InvalidInput, NotFound


def _now() -> datetime:
    return datetime.now(UTC)


def target(f: Filing) -> Target:
    return Target(organisation=f.organisation_id, province=f.province, state=f.state)


def load_visible(conn: Connection, actor: Actor, filing_id: str, *, for_update: bool = False) -> Filing:
    f = repo.get_filing(conn, filing_id, for_update=for_update)
    if f is None or refusal(actor, Action.READ_FILING, target(f)) is not None:
        raise NotFound(f"no filing {filing_id!r}")
    return f


def missing_of(f: Filing) -> list[str]:
    return missing(f.kind, f.form, set(f.current_materials()))


def _form(data: dict[str, Any]) -> FilingForm:
    try:
        return FilingForm.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None


def create_draft(db: Engine, *, actor: Actor, kind: str, form: dict[str, Any] | None = None,
                 previous_filing_id: str | None = None) -> Filing:
    """A new draft of the actor's organisation; ``form`` may hold any subset of the fields."""
    require(actor, Action.CREATE_FILING)
    try:
        k = FilingKind(kind)
    except ValueError:
        raise InvalidInput({"kind": "filing (备案) or registration (登记)"}) from None
    parsed = _form(form or {})
    filing_id = "fil_" + secrets.token_hex(8)
    with audit_log.writing(db) as conn:
        assert actor.organisation is not None
        org = repo.get_organisation(conn, actor.organisation)
        if org is None:
            raise NotFound(f"no organisation {actor.organisation!r}")
        repo.insert_filing(conn, filing_id=filing_id, kind=k, organisation_id=org.id, province=org.province,
                           form=parsed, created_by=actor.id, now=_now(), previous_filing_id=previous_filing_id)
        audit_log.append(conn, actor=actor.id, action="filing.created", object_type="filing", object_id=filing_id,
                         after={"kind": k.value, "state": State.DRAFT.value, "previous_filing_id": previous_filing_id,
                                "form": parsed.model_dump(mode="json", exclude_none=True)})
        created = repo.get_filing(conn, filing_id)
    assert created is not None
    return created


def update_draft(db: Engine, *, actor: Actor, filing_id: str, changes: dict[str, Any]) -> Filing:
    """Autosave: set the given fields (None clears one), leave the rest. Allowed while the filing
    is a draft or awaits a supplement. Invalid values change nothing and are reported per field."""
    with audit_log.writing(db) as conn:
        f = load_visible(conn, actor, filing_id, for_update=True)
        require(actor, Action.EDIT_FILING, target(f))
        old = f.form.model_dump(mode="json")
        unknown = sorted(set(changes) - set(old))
        if unknown:
            raise InvalidInput(dict.fromkeys(unknown, "not a field of the filing form"))
        new_form = _form({**f.form.model_dump(exclude_none=True), **changes})
        new = new_form.model_dump(mode="json")
        changed = sorted(k for k in new if new[k] != old[k])
        if changed:
            repo.update_filing(conn, filing_id, _now(), form=new_form)
            audit_log.append(conn, actor=actor.id, action="filing.updated", object_type="filing",
                             object_id=filing_id, before={k: old[k] for k in changed},
                             after={k: new[k] for k in changed})
        updated = repo.get_filing(conn, filing_id)
    assert updated is not None
    return updated


def default_store() -> MaterialStore:
    from clearance.settings import get_settings

    return MaterialStore(get_settings().home / "materials")


def upload_material(db: Engine, *, actor: Actor, filing_id: str, material_type: str, filename: str,
                    content: bytes, declared_type: str | None = None, store: MaterialStore | None = None) -> Filing:
    """Check and store one material. A rejected upload stores nothing: the checks run first, and
    a file written for a transaction that then fails is removed again."""
    try:
        mtype = MaterialType(material_type)
    except ValueError:
        raise InvalidInput({"material_type": "one of " + ", ".join(m.value for m in MaterialType)}) from None
    st = store or default_store()
    key: str | None = None
    created = False
    try:
        with audit_log.writing(db) as conn:
            f = load_visible(conn, actor, filing_id, for_update=True)
            require(actor, Action.EDIT_FILING, target(f))
            try:
                sniffed = uploads.check(mtype, filename, len(content), content[:4096])
            except uploads.UploadRejected as exc:
                raise InvalidInput({exc.field: str(exc).split(": ", 1)[1]}) from None
            digest, key, created = st.put(content)
            now = _now()
            repo.insert_material(conn, filing_id=filing_id, material_type=mtype, filename=filename.strip(),
                                 size=len(content), sha256=digest, storage_key=key,
                                 declared_type=(declared_type or "")[:200] or None, sniffed_type=sniffed,
                                 uploaded_by=actor.id, uploaded_at=now)
            repo.update_filing(conn, filing_id, now)
            audit_log.append(conn, actor=actor.id, action="material.uploaded", object_type="filing",
                             object_id=filing_id, after={"material_type": mtype.value, "filename": filename.strip(),
                                                         "size": len(content), "sha256": digest})
            updated = repo.get_filing(conn, filing_id)
    except BaseException:
        if created and key is not None:
            st.remove(key)
        raise
    assert updated is not None
    return updated


def get_filing(db: Engine, *, actor: Actor, filing_id: str) -> Filing:
    with db.connect() as conn:
        return load_visible(conn, actor, filing_id)


def list_filings(db: Engine, *, actor: Actor, state: str | None = None) -> list[Filing]:
    with db.connect() as conn:
        return repo.list_filings(conn, list_scope(actor), State(state) if state else None)


def missing_for(db: Engine, *, actor: Actor, filing_id: str) -> list[str]:
    return missing_of(get_filing(db, actor=actor, filing_id=filing_id))


def timeline(db: Engine, *, actor: Actor, filing_id: str) -> list[AuditEvent]:
    get_filing(db, actor=actor, filing_id=filing_id)  # visibility check
    return audit_log.for_object(db, "filing", filing_id)


CHANGEABLE = frozenset({State.APPROVED, State.PUBLISHED, State.SUSPENDED})
# A change filing in one of these states no longer blocks opening another one.
CLOSED = frozenset({State.REJECTED, State.WITHDRAWN, State.APPROVED, State.PUBLISHED, State.SUSPENDED,
                    State.REVOKED})


def open_change_filing(db: Engine, *, actor: Actor, previous_filing_id: str) -> Filing:
    """After a major update, a new draft linked to the approved filing, its form copied as the
    starting point. Materials are not copied: the update needs new ones (a new self-assessment
    above all)."""
    with db.connect() as conn:
        prev = load_visible(conn, actor, previous_filing_id)
    require(actor, Action.CREATE_FILING)
    if prev.organisation_id != actor.organisation:
        raise Forbidden("a change filing is opened by the organisation that holds the filing")
    if prev.state not in CHANGEABLE:
        raise InvalidInput({"previous_filing_id": f"the filing is '{prev.state.value}'; a change filing follows "
                                                  "an approved or published one"})
    with db.connect() as conn:
        open_ones = [fid for fid, st in repo.change_filings_of(conn, prev.id) if st not in CLOSED]
    if open_ones:
        # one change at a time: two parallel change filings would each be assessed and approved
        # against the same previous filing, and the registry could show only one of them
        raise InvalidInput({"previous_filing_id": f"change filing {open_ones[0]} of this filing is still open; "
                                                  "continue that one, or withdraw it first"})
    return create_draft(db, actor=actor, kind=prev.kind.value,
                        form=prev.form.model_dump(mode="json", exclude_none=True),
                        previous_filing_id=prev.id)


@dataclass(frozen=True, slots=True)
class Download:
    """A material to send as a download. Interfaces must serve it with ``Content-Disposition:
    attachment``, ``X-Content-Type-Options: nosniff`` and ``content_type`` (the sniffed type,
    never the uploader's declaration), so an uploaded file is never rendered by the browser."""

    material: Material
    content: bytes
    content_type: str
    disposition: str = "attachment"


def download_material(db: Engine, *, actor: Actor, filing_id: str, material_id: int,
                      store: MaterialStore | None = None) -> Download:
    f = get_filing(db, actor=actor, filing_id=filing_id)
    m = next((x for x in f.materials if x.id == material_id), None)
    if m is None:
        raise NotFound(f"no material {material_id} in filing {filing_id!r}")
    content = (store or default_store()).read(m.storage_key)
    # the store is content-addressed: a file changed on disk no longer matches its key
    if hashlib.sha256(content).hexdigest() != m.sha256:
        raise RuntimeError(f"material {material_id} of filing {filing_id} does not match its SHA-256: "
                           "the stored file was altered")
    return Download(material=m, content=content, content_type=m.sniffed_type)
