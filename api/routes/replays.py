"""Replays for trainers: the clip library, uploads, replay runs, results and exam marks.

Upload: ``POST /replays/clips?name=FILE.mp4`` with the raw video as the body (``Content-Type:
video/*``), or as ``multipart/form-data`` with a ``file`` field. Over ``max_upload_mb`` -> 413,
not a video name/type -> 415, undecodable/truncated -> 422; nothing is left behind on failure.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import TrainerUser
from api.replays import MB, Mark, ReplayError, ReplayManager

logger = logging.getLogger(__name__)


def _default_pipeline_factory(app: FastAPI) -> Any:
    """A fresh ``DetectionPipeline`` per replay around one detector loaded on first use."""
    state: dict[str, Any] = {}

    def factory() -> Any:
        from detector.model import load_detector
        from detector.pipeline import DetectionPipeline
        from shorewatch.site import load_site

        settings = app.state.settings
        if "detector" not in state:
            state["detector"] = load_detector(
                settings.model, settings.ensure_state_dir(), settings.detector_config()
            )
            state["site"] = load_site(settings.site)
        return DetectionPipeline(state["detector"], state["site"], horizon=settings.horizon_config())

    return factory


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    max_bytes = settings.max_upload_mb * MB
    app.state.body_limits["/replays/clips"] = max_bytes + MB  # + multipart framing
    factory = getattr(app.state, "replay_pipeline_factory", None) or _default_pipeline_factory(app)
    kwargs: dict[str, Any] = {}
    if getattr(app.state, "sample_footage_dir", None) is not None:
        kwargs["sample_dir"] = app.state.sample_footage_dir
    manager = ReplayManager(
        settings.ensure_state_dir(),
        alerts=app.state.alerts,
        pipeline_factory=factory,
        max_upload_bytes=max_bytes,
        **kwargs,
    )
    app.state.replays = manager
    try:
        yield
    finally:
        await manager.close()


router = APIRouter(prefix="/replays", tags=["replays"], lifespan=lifespan)


def get_replays(request: Request) -> ReplayManager:
    return request.app.state.replays  # type: ignore[no-any-return]


ReplaysDep = Annotated[ReplayManager, Depends(get_replays)]


def _error(exc: ReplayError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clip_id: str = Field(min_length=1, max_length=200, description="a clip id from GET /replays/clips")
    exam: bool = Field(
        False,
        description="exam mode: the trainee marks boats; alerts and score stay hidden until marks are submitted",
    )
    stride: int = Field(1, ge=1, le=100, description="process every n-th frame (1 = all)")


class MarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t_s: float = Field(ge=0, le=86_400, description="clip time of the click, seconds from the first frame")
    x_px: float | None = Field(None, ge=0, le=20_000, description="click position in the clip's pixels")
    y_px: float | None = Field(None, ge=0, le=20_000, description="click position in the clip's pixels")


class MarksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marks: list[MarkIn] = Field(max_length=10_000, description="the trainee's boat marks")


@router.get("/clips", summary="Clips available for replay: sample_footage/ and uploads")
async def list_clips(replays: ReplaysDep, user: TrainerUser) -> dict[str, Any]:
    clips = [c.public() for c in replays.clips()]
    return {"data": clips, "count": len(clips)}


@router.post(
    "/clips",
    status_code=201,
    summary="Upload a clip (raw body with ?name=, or multipart field 'file')",
    responses={
        413: {"description": "too large"},
        415: {"description": "not a video"},
        422: {"description": "does not decode / truncated"},
    },
)
async def upload_clip(
    request: Request,
    replays: ReplaysDep,
    user: TrainerUser,
    name: Annotated[str | None, Query(max_length=200, description="file name, for a raw-body upload")] = None,
) -> Any:
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=5)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                return JSONResponse(
                    {"detail": "multipart upload needs a 'file' field holding the video"}, status_code=422
                )

            async def parts() -> AsyncIterator[bytes]:
                while chunk := await upload.read(MB):
                    yield chunk

            try:
                clip = await replays.save_upload(upload.filename or "", upload.content_type, parts())
            finally:
                await form.close()
        else:
            if not name:
                return JSONResponse(
                    {"detail": "raw upload needs ?name=FILE.mp4 (or send multipart/form-data)"},
                    status_code=422,
                )
            replays.check_upload_type(name, ctype)
            clip = await replays.save_upload(name, ctype, request.stream())
    except ReplayError as exc:
        return _error(exc)
    return clip.public()


@router.delete(
    "/clips/{clip_id}", status_code=204, response_class=Response, summary="Delete an uploaded clip"
)
async def delete_clip(clip_id: str, replays: ReplaysDep, user: TrainerUser) -> Response:
    try:
        replays.delete_clip(clip_id)
    except ReplayError as exc:
        return _error(exc)
    return Response(status_code=204)


@router.get("/clips/{clip_id}/video", summary="The clip as WebM (transcoded once), for the player")
async def clip_video(clip_id: str, replays: ReplaysDep, user: TrainerUser) -> Any:
    import asyncio

    try:
        clip = replays.clip(clip_id)
        path = await asyncio.to_thread(replays.playable, clip)
    except ReplayError as exc:
        return _error(exc)
    return FileResponse(path, media_type="video/webm")


@router.post("", status_code=201, summary="Start a replay of a clip through the detector")
async def start_replay(body: ReplayIn, replays: ReplaysDep, user: TrainerUser) -> Any:
    try:
        run = replays.start(body.clip_id, exam=body.exam, stride=body.stride, user=user.name)
    except ReplayError as exc:
        return _error(exc)
    return run.public()


@router.get("", summary="Replays of this service run, newest first")
async def list_replays(replays: ReplaysDep, user: TrainerUser) -> dict[str, Any]:
    runs = [r.public() for r in replays.runs()]
    for r in runs:
        r.pop("alerts"), r.pop("marks")
    return {"data": runs, "count": len(runs)}


@router.get("/{replay_id}", summary="A replay: status, progress, alert timeline, score")
async def get_replay(replay_id: str, replays: ReplaysDep, user: TrainerUser) -> Any:
    try:
        return replays.run(replay_id).public()
    except ReplayError as exc:
        return _error(exc)


@router.get("/{replay_id}/video", summary="The annotated clip (WebM): detections and ground truth drawn")
async def replay_video(replay_id: str, replays: ReplaysDep, user: TrainerUser) -> Any:
    try:
        run = replays.run(replay_id)
    except ReplayError as exc:
        return _error(exc)
    if run.status != "done" or run.video_path is None:
        return JSONResponse(
            {"detail": f"replay {replay_id} is {run.status}; the annotated clip exists once it is done"},
            status_code=409,
        )
    return FileResponse(run.video_path, media_type="video/webm")


@router.post("/{replay_id}/marks", summary="Exam mode: submit the trainee's boat marks; returns the scores")
async def submit_marks(replay_id: str, body: MarksIn, replays: ReplaysDep, user: TrainerUser) -> Any:
    try:
        run = replays.submit_marks(replay_id, [Mark(m.t_s, m.x_px, m.y_px) for m in body.marks])
    except ReplayError as exc:
        return _error(exc)
    return run.public()
