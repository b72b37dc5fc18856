"""ConnectionsTable: the consoles on the WebSocket API (connection_id, user_id, roles, expires_at TTL).

$connect writes one item once the token is checked, $disconnect (or a post answered 410 Gone) deletes it; the
publisher reads them all (a Scan: the table holds only the consoles open now, a few hundred at most).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from vigia.adapters.dynamodb.binding import Record, table, unbound
from vigia.live.publishing import Connection

# API Gateway closes a WebSocket after two hours whatever happens: an item older is a lost $disconnect.
CONNECTION_LIFETIME_S = 2 * 3600 + 300


@table("connections_table")
class ConnectionRecord(Record):
    Meta = unbound()
    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    roles = UnicodeSetAttribute()
    connected_at = NumberAttribute()
    expires_at = NumberAttribute()


def save(connection: Connection, *, now: float | None = None) -> None:
    at = time.time() if now is None else now
    ConnectionRecord(
        connection.connection_id,
        user_id=connection.user_id,
        roles=set(connection.roles),
        connected_at=int(at),
        expires_at=int(at) + CONNECTION_LIFETIME_S,
    ).save()


def delete(connection_id: str) -> None:
    ConnectionRecord(connection_id).delete()


def open_connections(*, now: float | None = None) -> Iterator[Connection]:
    """Every connection not past its TTL (DynamoDB deletes expired items late, so they are skipped here)."""
    at = time.time() if now is None else now
    for r in ConnectionRecord.scan(ConnectionRecord.expires_at > int(at)):
        yield Connection(r.connection_id, r.user_id, frozenset(r.roles or ()))
