"""Bound parameters the prebuilt statements of several repositories share."""

from __future__ import annotations

import sqlalchemy as sa

from lastseat.adapters.db.tables import UTCDateTime

ROW_ID = sa.bindparam("row_id", type_=sa.Uuid())
OWNER = sa.bindparam("owner", type_=sa.Uuid())
NOW = sa.bindparam("now", type_=UTCDateTime())
