"""Atom feed of publication batches, newest first (RFC 4287)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from xml.sax.saxutils import escape

from clearance.domain.registry.entries import Batch
from clearance.interfaces.web import urls
from clearance.interfaces.web.cache import Cached
from clearance.interfaces.web.state import Web
from clearance.services import registry as svc

ATOM = "application/atom+xml; charset=utf-8"


def atom(web: Web, base: str) -> Cached:
    rows = svc.batches(web.engine)

    def updated(b: Batch) -> datetime:
        if b.published_on is not None:
            return datetime.combine(b.published_on, time(0, 0), tzinfo=UTC)
        return b.created_at or datetime(1970, 1, 1, tzinfo=UTC)

    stamps = [updated(b) for b, _ in rows]
    newest = max(stamps, default=datetime(1970, 1, 1, tzinfo=UTC))
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
             "<title>生成式人工智能服务公示批次 / Generative AI registry batches</title>",
             f'<id>{escape(base + urls.feed())}</id>',
             f'<link rel="self" href="{escape(base + urls.feed())}"/>',
             f'<link href="{escape(base + urls.batches())}"/>',
             f"<updated>{newest.isoformat()}</updated>", "<author><name>Clearance</name></author>"]
    for (b, n), stamp in sorted(zip(rows, stamps, strict=True), key=lambda r: r[1], reverse=True):
        link = base + urls.batch(b.key)
        summary = "; ".join(x for x in (b.reported, b.note, f"{n} entries in the registry") if x)
        parts.append(f"<entry><title>{escape(b.title)}</title><id>{escape(link)}</id>"
                     f'<link href="{escape(link)}"/><updated>{stamp.isoformat()}</updated>'
                     f"<summary>{escape(summary)}</summary></entry>")
    parts.append("</feed>")
    return Cached("\n".join(parts).encode(), ATOM)
