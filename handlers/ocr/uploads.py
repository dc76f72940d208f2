"""Uploads in progress on the bus (`scan.submit.<org>`): admission, chunks, expiry, replies.

Pure: no I/O. Time comes in as `now` (monotonic seconds), so every rule is a table test.
The service (`scan_service`) does the bus and the stores around these decisions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from handlers.shared.uploads import Rejection
from schemas.scan_intake import MAX_CHUNK_BYTES, ScanSubmitHeaders, ScanSubmitReply

BAD_REQUEST = Rejection(
    "bad_request",
    "送信の形式が正しくありません。スキャナーのソフトウェアの設定を確認してください。",
)
HASH_MISMATCH = Rejection(
    "hash_mismatch", "送信中にファイルが変わったか壊れました。もう一度送ってください。"
)
SIZE_MISMATCH = Rejection(
    "size_mismatch", "ファイルの大きさが送信前の申告と違います。もう一度送ってください。"
)
BUSY = Rejection("busy", "受付が混み合っています。少し待ってから送り直してください。")
UPLOAD_UNKNOWN = Rejection(
    "upload_unknown", "送信が中断されました（時間切れか再起動）。最初から送り直してください。"
)
SERVICE_ERROR = Rejection(
    "service_error", "受付で問題が起きました。少し待ってから送り直してください。"
)


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on what uploads in progress may hold, per organisation.

    uploads_per_org: files being received at once for one org (more wait: `retry`).
    bytes_per_org: their declared sizes added up; each file is also capped by intake's
        `Limits.max_bytes`, so memory is bounded by this per org.
    idle_seconds: an upload with no chunk for this long is dropped with everything it held.
    """

    uploads_per_org: int = 4
    bytes_per_org: int = 100 * 1024 * 1024
    idle_seconds: float = 30.0
    chunk_bytes: int = MAX_CHUNK_BYTES

    def __post_init__(self) -> None:
        if self.uploads_per_org < 1:
            raise ValueError(f"uploads_per_org must be at least 1, not {self.uploads_per_org}")
        if not 1 <= self.chunk_bytes <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be 1..{MAX_CHUNK_BYTES}, not {self.chunk_bytes}")
        if self.idle_seconds <= 0:
            raise ValueError(f"idle_seconds must be positive, not {self.idle_seconds}")


def document_id_for(org: str, sha256: str) -> str:
    """The same file handed in twice for one org gets the same id (idempotent intake)."""
    return hashlib.sha256(f"scan-submit\0{org}\0{sha256}".encode()).hexdigest()[:32]


def subject_org(subject: str, depth: int) -> str | None:
    """The org token of `scan.submit.<org>` (depth 3) or of an upload subject (depth 5)."""
    tokens = subject.split(".")
    return tokens[2] if len(tokens) == depth else None


@dataclass
class Upload:
    token: str
    org: str
    declared: ScanSubmitHeaders
    document_id: str
    last_seen: float
    data: bytearray = field(default_factory=bytearray)
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)
    finishing: bool = False

    @property
    def received(self) -> int:
        return len(self.data)

    def intact(self) -> bool:
        return self.received == self.declared.size and (
            self.hasher.hexdigest() == self.declared.sha256
        )


Taken = Literal["partial", "complete", "resend", "overflow"]


class Uploads:
    """The table of uploads in progress, by token and by (org, file hash)."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self._by_token: dict[str, Upload] = {}

    def __len__(self) -> int:
        return len(self._by_token)

    def running(self) -> list[Upload]:
        return list(self._by_token.values())

    def get(self, token: str) -> Upload | None:
        return self._by_token.get(token)

    def find(self, org: str, sha256: str) -> Upload | None:
        return next(
            (u for u in self._by_token.values() if u.org == org and u.declared.sha256 == sha256),
            None,
        )

    def in_flight(self, org: str) -> tuple[int, int]:
        """(uploads, declared bytes) in progress for `org`."""
        mine = [u for u in self._by_token.values() if u.org == org]
        return len(mine), sum(u.declared.size for u in mine)

    def admits(self, org: str, size: int) -> bool:
        count, held = self.in_flight(org)
        return count < self.limits.uploads_per_org and held + size <= self.limits.bytes_per_org

    def open(
        self, token: str, org: str, declared: ScanSubmitHeaders, document_id: str, now: float
    ) -> Upload:
        upload = Upload(token, org, declared, document_id, now)
        self._by_token[token] = upload
        return upload

    def take(self, upload: Upload, offset: int, body: bytes, now: float) -> Taken:
        """Add a chunk. A chunk not at the expected offset (a repeat, a gap) is not added:
        the reply names the offset to send from. `complete` marks the upload finishing."""
        upload.last_seen = now
        if offset != upload.received or upload.finishing:
            return "resend"
        if upload.received + len(body) > upload.declared.size:
            return "overflow"
        upload.data += body
        upload.hasher.update(body)
        if upload.received < upload.declared.size:
            return "partial"
        upload.finishing = True
        return "complete"

    def drop(self, token: str) -> None:
        upload = self._by_token.pop(token, None)
        if upload is not None:
            upload.data = bytearray()  # free the bytes now, not when the last reference goes

    def clear(self) -> None:
        for token in list(self._by_token):
            self.drop(token)

    def expire(self, now: float) -> list[str]:
        """Drop uploads idle longer than the limit (never one being stored); their tokens."""
        idle = [
            token
            for token, u in self._by_token.items()
            if not u.finishing and now - u.last_seen > self.limits.idle_seconds
        ]
        for token in idle:
            self.drop(token)
        return idle


def continue_reply(upload: Upload, subject: str, chunk_bytes: int) -> ScanSubmitReply:
    return ScanSubmitReply(
        status="continue",
        document_id=upload.document_id,
        upload=subject,
        offset=upload.received,
        chunk_bytes=chunk_bytes,
    )


def accepted_reply(document_id: str) -> ScanSubmitReply:
    return ScanSubmitReply(status="accepted", document_id=document_id)


def rejected_reply(rejection: Rejection, document_id: str | None = None) -> ScanSubmitReply:
    return ScanSubmitReply(
        status="rejected",
        document_id=document_id,
        reason_code=rejection.code,
        reason=rejection.reason,
    )


def retry_reply(rejection: Rejection, after: float) -> ScanSubmitReply:
    return ScanSubmitReply(
        status="retry", reason_code=rejection.code, reason=rejection.reason, retry_after=after
    )
