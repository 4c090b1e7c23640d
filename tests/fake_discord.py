"""A small stand-in for Discord on loopback: the REST routes discord.py calls and a gateway
websocket (HELLO, IDENTIFY -> READY, GUILD_CREATE, then events the test injects).

It records every request, so a test can assert what the real, unmodified client sent. It keeps
every message (the users' and the bot's) per channel, so history, fetching one message, replies
(with the referenced message, as Discord sends it), edits and deletions (the bot's, and a user's of their
own message) and threads started from a message
(THREAD_CREATE, then listed in GUILD_CREATE when a client reconnects) work as on Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import yarl
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket

APP_ID = "900000000000000001"
BOT_ID = APP_ID
GUILD_ID = "910000000000000001"
CHANNEL_ID = "920000000000000001"
DM_CHANNEL_ID = "940000000000000001"
TIMESTAMP = "2026-11-22T12:00:00.000000+00:00"


def user(uid: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": uid, "username": name, "discriminator": "0", "global_name": name, "avatar": None, "bot": bot,
            "public_flags": 0, "flags": 0}


BOT_USER = user(BOT_ID, "sitrep", bot=True)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float = field(default_factory=time.perf_counter)  # when the request arrived


@dataclass
class FakeDiscord:
    calls: list[Call] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    posted: asyncio.Queue[Call] = field(default_factory=asyncio.Queue)
    token_ok: bool = True  # False: reject the login as Discord does a bad token
    sent_at: dict[str, float] = field(default_factory=dict)  # interaction id -> when it was dispatched
    message_ids: dict[int, str] = field(default_factory=dict)  # id() of a posting Call -> the message id it got
    message_channels: dict[str, str] = field(default_factory=dict)  # a bot message's id -> its channel
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id -> its messages, oldest first
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)  # thread id -> its channel payload
    interaction_channels: dict[str, str] = field(default_factory=dict)  # interaction token -> its channel
    _last: int = 0  # the last id given
    _seq: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        return app

    def next_id(self) -> str:
        """A snowflake of now, as Discord's (discord.py reads a message's time from its id), always increasing."""
        self._last = max(discord.utils.time_snowflake(datetime.now(UTC)), self._last + 1)
        return str(self._last)

    # -- REST ------------------------------------------------------------------------------
    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart"):
                body = {"multipart": raw.decode("utf-8", "replace")}
        call = Call(request.method, path, dict(request.query), body)
        self.calls.append(call)
        if not self.token_ok:
            return web.Response(status=401, body=b'{"message": "401: Unauthorized", "code": 0}',
                                headers={"Content-Type": "application/json"})
        data = self.respond(call)
        if data is None:
            return web.Response(status=204)
        if isinstance(data, _NotFound):
            return web.Response(status=404, body=b'{"message": "Unknown Message", "code": 10008}',
                                headers={"Content-Type": "application/json"})
        # discord.py decodes only when the Content-Type is exactly application/json (no charset).
        return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})

    def respond(self, call: Call) -> Any:
        m, p = call.method, call.path
        if p == "/users/@me":
            return BOT_USER
        if p == "/oauth2/applications/@me":
            return {"id": APP_ID, "name": "sitrep", "description": "", "icon": None, "bot_public": True,
                    "bot_require_code_grant": False, "owner": user("1", "owner"), "verify_key": "k", "flags": 0,
                    "team": None, "summary": "", "rpc_origins": []}
        if m == "PUT" and p.endswith("/commands"):
            # A message menu is sent without a description; Discord gives it "".
            return [{"description": "", **cmd, "id": self.next_id(), "application_id": APP_ID, "version": "1",
                     "type": cmd.get("type", 1),
                     "default_member_permissions": None, "dm_permission": True, "nsfw": False}
                    for cmd in call.body]
        if p.endswith("/typing"):
            return None
        parts = p.strip("/").split("/")
        if m == "POST" and len(parts) == 5 and parts[0] == "channels" and parts[2] == "messages" and parts[4] == "threads":
            return self.start_thread(parts[1], parts[3], (call.body or {}).get("name", ""))
        if m == "GET" and len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages":
            return self.history(parts[1], call.query)
        if m == "GET" and len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages":
            return self.find(parts[1], parts[3]) or _NotFound()
        if m == "PATCH" and len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages":
            return self.edit(parts[1], parts[3], call.body or {}) or _NotFound()
        if m == "PATCH" and parts[0] == "webhooks" and parts[-2:] == ["messages", "@original"]:
            channel = self.interaction_channels.get(parts[2], CHANNEL_ID)
            mine = [x for x in self.messages.get(channel, []) if x.get("interaction_token") == parts[2]]
            return self.edit(channel, mine[0]["id"], call.body or {}) if mine else _NotFound()
        if m == "PATCH" and len(parts) == 2 and parts[0] == "channels" and parts[1] in self.threads:
            thread, body = self.threads[parts[1]], call.body or {}
            thread.update({k: v for k, v in body.items() if k == "name"})
            thread["thread_metadata"].update({k: v for k, v in body.items() if k in ("archived", "locked")})
            return thread
        if m == "DELETE" and len(parts) == 4 and parts[0] == "channels" and parts[2] == "messages":
            found = self.find(parts[1], parts[3])
            if found is None:
                return _NotFound()
            self.messages[parts[1]].remove(found)
            return None
        if m == "GET" and len(parts) == 2 and parts[0] == "channels":
            return self.threads.get(parts[1]) or (text_channel() if parts[1] == CHANNEL_ID else _NotFound())
        if m == "POST" and p.endswith("/callback"):
            self.posted.put_nowait(call)
            return {"interaction": {"id": p.split("/")[2], "type": 2}}
        if m == "POST" and (p.startswith("/webhooks/") or (p.startswith("/channels/") and p.endswith("/messages"))):
            body = call.body or {}
            token = parts[2] if p.startswith("/webhooks/") else None
            channel = parts[1] if p.startswith("/channels/") else self.interaction_channels.get(token or "", CHANNEL_ID)
            self.message_ids[id(call)] = message_id = self.next_id()
            self.message_channels[message_id] = channel
            payload = {"id": message_id, "channel_id": channel, "author": BOT_USER, "content": body.get("content") or "",
                       "timestamp": now(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
                       "mentions": [], "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [],
                       "pinned": False, "type": 0, "flags": body.get("flags", 0),
                       "components": body.get("components") or []}
            if channel != DM_CHANNEL_ID:
                payload["guild_id"] = GUILD_ID
            if body.get("message_reference"):
                payload["message_reference"] = {**body["message_reference"], "channel_id": channel}
            self.store(channel, {**payload, "interaction_token": token} if token else payload)
            self.posted.put_nowait(call)
            return payload
        return None

    # -- what Discord keeps ----------------------------------------------------------------
    def store(self, channel: str, payload: dict[str, Any]) -> None:
        self.messages.setdefault(channel, []).append(payload)

    def find(self, channel: str, message_id: str) -> dict[str, Any] | None:
        return next((x for x in self.messages.get(channel, []) if x["id"] == message_id), None)

    def history(self, channel: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Newest first, as Discord returns it: `limit`, and `before` / `after` a message id."""
        found = list(reversed(self.messages.get(channel, [])))
        limit = int(query.get("limit", 50))
        if "before" in query:
            found = [x for x in found if int(x["id"]) < int(query["before"])]
        if "after" in query:  # the `limit` messages right after it, still newest first
            found = [x for x in found if int(x["id"]) > int(query["after"])]
            return found[-limit:]
        return found[:limit]

    def edit(self, channel: str, message_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        found = self.find(channel, message_id)
        if found is None:
            return None
        for key in ("content", "embeds", "components"):
            if key in body:
                found[key] = body[key]
        found["edited_timestamp"] = now()
        return found

    def start_thread(self, channel: str, message_id: str, name: str) -> dict[str, Any]:
        """A public thread started from a message: its id is the message's, as on Discord."""
        thread = {"id": message_id, "guild_id": GUILD_ID, "parent_id": channel, "owner_id": BOT_ID, "name": name,
                  "type": 11, "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
                  "member_count": 1, "total_message_sent": 0, "flags": 0,
                  "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": now(),
                                      "locked": False, "create_timestamp": now()}}
        self.threads[message_id] = thread
        starter = self.find(channel, message_id)
        if starter is not None:
            starter["thread"] = thread
        asyncio.get_running_loop().create_task(self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}))
        return thread

    def messages_to(self, channel: str) -> list[dict[str, Any]]:
        """What the bot posted in a channel (or thread), oldest first."""
        return [x for x in self.messages.get(channel, []) if x["author"]["id"] == BOT_ID]

    # -- gateway ---------------------------------------------------------------------------
    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            if payload["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                await self.dispatch("READY", {
                    "v": 10, "user": BOT_USER, "guilds": [{"id": GUILD_ID, "unavailable": True}],
                    "session_id": "s1", "resume_gateway_url": str(request.url.with_path("/gateway")),
                    "application": {"id": APP_ID, "flags": 0}, "private_channels": [], "relationships": [],
                })
                await self.dispatch("GUILD_CREATE", guild(list(self.threads.values())))
                self.identified.set()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # -- events a test injects ---------------------------------------------------------------
    async def message(self, content: str, author_id: str = "555", mentions_bot: bool = True, dm: bool = False,
                      channel: str = CHANNEL_ID, reply_to: str | None = None) -> str:
        """A user's message arrives (in `channel`, a thread's id, or a DM); `reply_to` makes it a reply
        to that message of the same channel. Returns its id."""
        author = user(author_id, "asker" if author_id == "555" else f"user{author_id}")
        message_id = self.next_id()
        channel = DM_CHANNEL_ID if dm else channel
        where: dict[str, Any] = {"channel_id": DM_CHANNEL_ID} if dm else {
            "channel_id": channel, "guild_id": GUILD_ID,
            "member": {"roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0}}
        payload = {
            "id": message_id, **where, "author": author,
            "content": content, "timestamp": now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [BOT_USER] if mentions_bot else [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": [],
        }
        if reply_to is not None:
            payload["type"] = 19
            payload["message_reference"] = {"message_id": reply_to, "channel_id": channel, "type": 0,
                                            **({} if dm else {"guild_id": GUILD_ID})}
            payload["referenced_message"] = self.find(channel, reply_to)
        self.store(channel, payload)
        await self.dispatch("MESSAGE_CREATE", payload)
        return message_id

    async def edit_message(self, message_id: str, content: str, channel: str = CHANNEL_ID,
                           at: datetime | None = None) -> None:
        """A user edits their message: its content changes and MESSAGE_UPDATE carries the whole message, as
        Discord sends it (with `edited_timestamp`; a link preview's update comes without one)."""
        found = self.find(channel, message_id)
        assert found is not None, f"no message {message_id} in {channel}"
        found["content"] = content
        found["edited_timestamp"] = (at or datetime.now(UTC)).isoformat()
        await self.dispatch("MESSAGE_UPDATE", found)

    async def delete_message(self, message_id: str, channel: str = CHANNEL_ID) -> None:
        """A user deletes their message: gone from the channel, and MESSAGE_DELETE says which (ids only)."""
        found = self.find(channel, message_id)
        assert found is not None, f"no message {message_id} in {channel}"
        self.messages[channel].remove(found)
        await self.dispatch("MESSAGE_DELETE", {"id": message_id, "channel_id": channel,
                                               **({} if channel == DM_CHANNEL_ID else {"guild_id": GUILD_ID})})

    async def slash(self, name: str, options: list[dict[str, Any]] | None = None, user_id: str = "555",
                    permissions: str = "0", channel: str = CHANNEL_ID, kind: int = 2,
                    app_permissions: str = "2248473465835073") -> str:
        """A slash command (kind 2), or its autocomplete (kind 4), in `channel` (a thread's id too)."""
        interaction_id = self.next_id()
        self.sent_at[interaction_id] = time.perf_counter()
        self.interaction_channels[f"tok-{interaction_id}"] = channel
        await self.dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": kind, "token": f"tok-{interaction_id}", "version": 1,
            "data": {"id": "1", "name": name, "type": 1, "options": options or []},
            "guild_id": GUILD_ID, "channel_id": channel,
            "channel": self.threads.get(channel) or text_channel(),
            "member": {"user": user(user_id, "asker"), "roles": [], "permissions": permissions, "joined_at": TIMESTAMP,
                       "deaf": False, "mute": False, "flags": 0},
            "app_permissions": app_permissions, "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0,
            "attachment_size_limit": 10485760,
        })
        return interaction_id


    async def message_command(self, name: str, target: str, user_id: str = "555", channel: str = CHANNEL_ID) -> str:
        """A user picks a message menu command (Apps → `name`) on the message `target` of `channel`."""
        interaction_id = self.next_id()
        self.interaction_channels[f"tok-{interaction_id}"] = channel
        found = self.find(channel, target)
        assert found is not None, f"no message {target} in {channel}"
        await self.dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": 2, "token": f"tok-{interaction_id}", "version": 1,
            "data": {"id": "1", "name": name, "type": 3, "target_id": target, "resolved": {"messages": {target: found}}},
            "guild_id": GUILD_ID, "channel_id": channel, "channel": self.threads.get(channel) or text_channel(),
            "member": {"user": user(user_id, "asker"), "roles": [], "permissions": "0", "joined_at": TIMESTAMP,
                       "deaf": False, "mute": False, "flags": 0},
            "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0, "attachment_size_limit": 10485760,
        })
        return interaction_id

    async def click(self, message: Call, custom_id: str, user_id: str = "555", permissions: str = "0") -> str:
        """A user presses a button under a message the bot posted (the Call that posted it), in the channel or
        thread the message is in."""
        interaction_id = self.next_id()
        body = message.body or {}
        message_id = self.message_ids[id(message)]
        channel = self.message_channels.get(message_id, CHANNEL_ID)
        self.interaction_channels[f"tok-{interaction_id}"] = channel
        await self.dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": 3, "token": f"tok-{interaction_id}", "version": 1,
            "data": {"custom_id": custom_id, "component_type": 2},
            "message": {"id": message_id, "channel_id": channel, "author": BOT_USER,
                        "content": body.get("content") or "", "timestamp": TIMESTAMP, "edited_timestamp": None,
                        "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                        "embeds": body.get("embeds") or [], "pinned": False, "type": 0, "flags": 0,
                        "components": body.get("components") or []},
            "guild_id": GUILD_ID, "channel_id": channel, "channel": self.threads.get(channel) or text_channel(),
            "member": {"user": user(user_id, "asker"), "roles": [], "permissions": permissions, "joined_at": TIMESTAMP,
                       "deaf": False, "mute": False, "flags": 0},
            "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0, "attachment_size_limit": 10485760,
        })
        return interaction_id


class _NotFound:
    """A REST answer of 404, as Discord gives for an unknown message or channel."""


def now() -> str:
    return datetime.now(UTC).isoformat()


def text_channel() -> dict[str, Any]:
    return {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "news", "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None}


def guild(threads: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": GUILD_ID, "name": "Newsroom", "icon": None, "owner_id": "1", "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
        "system_channel_flags": 0, "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US", "emojis": [],
        "stickers": [], "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                                   "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
        "member_count": 2, "large": False, "unavailable": False, "joined_at": TIMESTAMP, "members": [],
        "channels": [{"id": CHANNEL_ID, "type": 0, "name": "news", "position": 0, "permission_overwrites": [],
                      "nsfw": False, "parent_id": None}],
        "threads": threads or [], "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
    }


@asynccontextmanager
async def serving(fake: FakeDiscord) -> AsyncIterator[FakeDiscord]:
    """Run the stand-in on a free loopback port and point discord.py's REST and gateway at it."""
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    try:
        yield fake
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        await runner.cleanup()
