"""``GET /journal/verify``: re-check the audit journal's hash chain (admin)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AdminUser, StoreDep

router = APIRouter(tags=["audit"])


class JournalVerdictPublic(BaseModel):
    entries: int = Field(description="journal entries checked")
    ok: bool = Field(description="every entry matches its link and follows the one before")
    first_bad_seq: int | None = Field(description="the first entry that does not; null when ok")
    problem: str = Field(description="what is wrong with it")
    head_seq: int = Field(description="the last entry")
    head_hash: str = Field(
        description="its link: note it somewhere else now and then, so that entries cut off the end show too"
    )


@router.get("/journal/verify", summary="Re-check the audit journal's hash chain (tamper evidence)")
async def verify_journal(user: AdminUser, store: StoreDep) -> JournalVerdictPublic:
    v = await store.verify_journal()
    return JournalVerdictPublic(
        entries=v.entries,
        ok=v.ok,
        first_bad_seq=v.first_bad_seq,
        problem=v.problem,
        head_seq=v.head_seq,
        head_hash=v.head_hash,
    )
