"""Response models of the app protocol, for the OpenAPI document (routes build plain dicts)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.app_protocol.upload_models import AppAudioRecordingOut


class AppUserOut(BaseModel):
    id: str
    email: str
    name: str
    username: str


class AuthDataOut(BaseModel):
    user: AppUserOut
    accessToken: str
    refreshToken: str


class AppAuthOut(BaseModel):
    success: bool
    data: AuthDataOut


class TokenPairOut(BaseModel):
    accessToken: str
    refreshToken: str


class RefreshOut(TokenPairOut):
    success: bool
    data: TokenPairOut


class AppMeOut(BaseModel):
    success: bool
    data: AppUserOut


class LogoutOut(BaseModel):
    success: bool
    message: str


class AppSessionOut(BaseModel):
    """`Session` of `src/api/sessions.ts`, plus the fields SyncManager uploads."""

    id: str
    sessionId: str
    userId: str
    deviceId: str | None
    startTime: int
    endTime: int | None
    duration: int | None
    sensorTypes: list[str]
    enabledSensors: list[str]
    hasAudio: bool
    metadata: dict[str, Any] | None
    notes: str | None
    sampleRate: float | None
    isActive: bool
    dataCount: int
    provisional: bool
    createdAt: str
    updatedAt: str


class SessionEnvelopeOut(BaseModel):
    success: bool
    data: AppSessionOut


class AppSessionDetailOut(AppSessionOut):
    """One session: the `Session` fields and its audio recordings."""

    audioRecordings: list[AppAudioRecordingOut]


class SessionDetailEnvelopeOut(BaseModel):
    success: bool
    data: AppSessionDetailOut


class SessionPageOut(BaseModel):
    items: list[AppSessionOut]
    total: int
    page: int
    limit: int
    totalPages: int
    hasNext: bool
    hasPrev: bool


class AppSessionListOut(SessionPageOut):
    success: bool
    data: SessionPageOut


class DeletedDataOut(BaseModel):
    id: str
    deleted: bool
    deletedAt: int


class AppDeletedOut(BaseModel):
    success: bool
    data: DeletedDataOut


class RecordErrorOut(BaseModel):
    index: int
    error: str


class SensorDataResultOut(BaseModel):
    sessionId: str
    received: int
    inserted: int
    updated: int
    duplicates: int
    errors: int
    errorDetails: list[RecordErrorOut]
    sessionDataCount: int
    provisional: bool


class SensorDataOut(BaseModel):
    success: bool
    data: SensorDataResultOut


class PushResultOut(BaseModel):
    localId: str | None
    serverId: str | None
    status: str
    error: str | None


class PushDataOut(BaseModel):
    batchId: str
    synced: int
    failed: int
    results: list[PushResultOut]


class AppPushOut(BaseModel):
    success: bool
    data: PushDataOut


class PullItemOut(BaseModel):
    id: str
    type: str
    data: dict[str, Any]
    updatedAt: int


class PullDataOut(BaseModel):
    items: list[PullItemOut]
    hasMore: bool
    nextTimestamp: int
    fullResyncRequired: bool


class AppPullOut(BaseModel):
    success: bool
    data: PullDataOut


class StatsDataOut(BaseModel):
    lastSyncTimestamp: int
    totalPushed: int
    totalPulled: int
    pendingItems: int
    failedItems: int


class AppStatsOut(BaseModel):
    success: bool
    data: StatsDataOut
