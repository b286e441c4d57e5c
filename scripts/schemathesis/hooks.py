"""Schemathesis hooks for Huddle's HTTP APIs (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI documents state every rule JSON Schema can express. A few rules depend on
the server's state or on the clock, and the documents give them in descriptions:
invited users must exist, a start time lies within [now - 1 day, now + 5 years], a
password is not the username or the email, settings are at most 8 KiB as JSON, a
guest's display name shows at least one visible character. Random
data breaks these rules nearly always, so every schema-valid request would be refused
and the run would test only the refusals.

Before each call this module gives such values ones that satisfy the described rule,
and only by replacing a schema-valid value with another schema-valid value: a negative
case stays negative, a positive one stays positive (Schemathesis re-validates a case a
hook changed). Ids of generated UUIDs are also pointed at the test's real meetings half
of the time, so that the operations behind the 404 get exercised.

Likewise half of the generated login attempts use a real account's credentials, so that
the document's 200 (the token pair) is exercised and checked, not only the 401.

Environment (set by test/schemathesis-*.test.ts):
  HUDDLE_ST_USER_IDS      comma-separated ids of active users (invitees)
  HUDDLE_ST_MEETING_IDS   comma-separated ids of meetings the test user is in
  HUDDLE_ST_LOGIN         username of a real account, and
  HUDDLE_ST_PASSWORD      its password
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata

import schemathesis

# zod's uuid(): a version 1-8 and the RFC variant (the documents carry the same pattern).
UUID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$"
)
# zod's iso.datetime({ offset: true }), ASCII digits (the documents' date-time pattern).
DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SETTINGS_MAX_BYTES = 8 * 1024

USER_IDS = [i for i in os.environ.get("HUDDLE_ST_USER_IDS", "").split(",") if i]
MEETING_IDS = [i for i in os.environ.get("HUDDLE_ST_MEETING_IDS", "").split(",") if i]
LOGIN = os.environ.get("HUDDLE_ST_LOGIN", "")
PASSWORD = os.environ.get("HUDDLE_ST_PASSWORD", "")


def _pick(pool: list[str], seed: str) -> str:
    return pool[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(pool)]


def _real_user(value: object) -> object:
    """A generated invitee id becomes a real user's id (unknown ids are a described 400)."""
    if isinstance(value, str) and UUID.match(value) and USER_IDS:
        return _pick(USER_IDS, value)
    return value


def _maybe_real_meeting(value: object) -> object:
    """Half of the generated meeting ids become a real meeting's id; the rest stay unknown (404)."""
    if isinstance(value, str) and UUID.match(value) and MEETING_IDS:
        digest = hashlib.sha256(value.encode()).digest()
        if digest[0] % 2 == 0:
            return _pick(MEETING_IDS, value)
    return value


def _start_time_in_window(value: object) -> object:
    """A date-time outside [now - 1 day, now + 5 years] moves inside it (a described 400)."""
    if not isinstance(value, str) or not DATE_TIME.match(value):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # e.g. 2023-02-29 passes the shape but not the calendar: the server says 400 too
    now = dt.datetime.now(dt.timezone.utc)
    if now - dt.timedelta(hours=23) <= parsed <= now + dt.timedelta(days=5 * 365 - 1):
        return value
    offset = int(hashlib.sha256(value.encode()).hexdigest(), 16) % (4 * 365 * 86_400)
    moved = now + dt.timedelta(hours=1, seconds=offset)
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")


def _small_settings(value: object) -> object:
    """Settings over 8 KiB as compact JSON lose entries until they fit (a described 400)."""
    if not isinstance(value, dict):
        return value
    trimmed = dict(value)

    def size() -> int:
        return len(json.dumps(trimmed, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))

    while trimmed and size() > SETTINGS_MAX_BYTES - 512:
        trimmed.pop(next(iter(trimmed)))
    return trimmed


def _real_credentials(body: dict) -> None:
    """Half of the logins whose fields are strings use the real account (200 instead of 401)."""
    login, password = body.get("login"), body.get("password")
    if not (LOGIN and PASSWORD and isinstance(login, str) and isinstance(password, str)):
        return
    if hashlib.sha256(f"{login}\0{password}".encode("utf-8", "surrogatepass")).digest()[0] % 2 == 0:
        body["login"], body["password"] = LOGIN, PASSWORD


def _strong_password(body: dict) -> None:
    """A password equal to the username or the email (any case) gets one more character."""
    password, username, email = body.get("password"), body.get("username"), body.get("email")
    if not isinstance(password, str) or len(password) >= 128:
        return
    if password.lower() in {str(username).lower(), str(email).lower()}:
        body["password"] = password + ("x" if not password.endswith("x") else "y")


# Default-ignorable letters and symbols that do not show (protocol/src/storable-text.ts
# VISIBLE: Default_Ignorable_Code_Point and U+2800); the other default-ignorables are
# format characters or marks, which are not visible by category anyway.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# The document's displayName pattern (protocol/src/lobby.ts GUEST_NAME_PATTERN).
_TRIM = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_FORBIDDEN = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
GUEST_NAME = re.compile(rf"^[{_TRIM}]*[^{_FORBIDDEN}{_TRIM}](?:[^{_FORBIDDEN}]{{0,62}}[^{_FORBIDDEN}{_TRIM}])?[{_TRIM}]*$")


def _visible_name(value: object) -> object:
    """A display name with nothing visible becomes one that shows (a described 400)."""
    if not isinstance(value, str) or not GUEST_NAME.fullmatch(value):
        return value  # schema-invalid already: a negative case stays negative
    for ch in value:
        if unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS:
            return value
    return "Guest"


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    method = case.method.upper()
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = _maybe_real_meeting(case.path_parameters["id"])
    body = case.body
    if not isinstance(body, dict):
        return
    if method == "POST" and path.endswith("/auth/register"):
        _strong_password(body)
    if method == "POST" and path.endswith("/auth/login"):
        _real_credentials(body)
    if method in ("POST", "PATCH") and re.search(r"/meetings(/\{id\})?$", path):
        if "startTime" in body:
            body["startTime"] = _start_time_in_window(body["startTime"])
        if "settings" in body:
            body["settings"] = _small_settings(body["settings"])
        if isinstance(body.get("invitedUserIds"), list):
            body["invitedUserIds"] = [_real_user(v) for v in body["invitedUserIds"]]
    if method == "POST" and path.endswith("/invitations") and isinstance(body.get("userIds"), list):
        body["userIds"] = [_real_user(v) for v in body["userIds"]]
    if method == "POST" and path.endswith("/entry") and "displayName" in body:
        body["displayName"] = _visible_name(body["displayName"])
    if method == "POST" and path.endswith("/ai/tasks") and "meetingId" in body:
        body["meetingId"] = _maybe_real_meeting(body["meetingId"])
