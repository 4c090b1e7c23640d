"""A small stand-in for Discord on loopback: the REST routes discord.py calls and a gateway
websocket (HELLO, IDENTIFY -> READY, GUILD_CREATE, then events the test injects).

It records every request, so a test can assert what the real, unmodified client sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
    _ids: Any = field(default_factory=lambda: itertools.count(930000000000000001))
    _seq: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        return app

    def next_id(self) -> str:
        return str(next(self._ids))

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
            return [{**cmd, "id": self.next_id(), "application_id": APP_ID, "version": "1", "type": cmd.get("type", 1),
                     "default_member_permissions": None, "dm_permission": True, "nsfw": False}
                    for cmd in call.body]
        if p.endswith("/typing"):
            return None
        if m == "POST" and p.endswith("/callback"):
            self.posted.put_nowait(call)
            return {"interaction": {"id": p.split("/")[2], "type": 2}}
        if m == "POST" and (p.startswith("/webhooks/") or (p.startswith("/channels/") and p.endswith("/messages"))):
            body = call.body or {}
            channel = p.split("/")[2] if p.startswith("/channels/") else CHANNEL_ID
            self.message_ids[id(call)] = message_id = self.next_id()
            self.posted.put_nowait(call)
            return {"id": message_id, "channel_id": channel, "author": BOT_USER, "content": body.get("content") or "",
                    "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False, "mention_everyone": False,
                    "mentions": [], "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [],
                    "pinned": False, "type": 0, "flags": body.get("flags", 0), "components": []}
        return None

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
                await self.dispatch("GUILD_CREATE", guild())
                self.identified.set()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # -- events a test injects ---------------------------------------------------------------
    async def message(self, content: str, author_id: str = "555", mentions_bot: bool = True, dm: bool = False) -> str:
        """A user's message arrives; returns its id (replies reference it)."""
        author = user(author_id, "asker")
        message_id = self.next_id()
        where: dict[str, Any] = {"channel_id": DM_CHANNEL_ID} if dm else {
            "channel_id": CHANNEL_ID, "guild_id": GUILD_ID,
            "member": {"roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0}}
        await self.dispatch("MESSAGE_CREATE", {
            "id": message_id, **where, "author": author,
            "content": content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [BOT_USER] if mentions_bot else [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
        })
        return message_id

    async def slash(self, name: str, options: list[dict[str, Any]] | None = None, user_id: str = "555",
                    permissions: str = "0") -> str:
        interaction_id = self.next_id()
        self.sent_at[interaction_id] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": 2, "token": f"tok-{interaction_id}", "version": 1,
            "data": {"id": "1", "name": name, "type": 1, "options": options or []},
            "guild_id": GUILD_ID, "channel_id": CHANNEL_ID,
            "channel": {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "news", "position": 0,
                        "permission_overwrites": [], "nsfw": False, "parent_id": None},
            "member": {"user": user(user_id, "asker"), "roles": [], "permissions": permissions, "joined_at": TIMESTAMP,
                       "deaf": False, "mute": False, "flags": 0},
            "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0,
            "attachment_size_limit": 10485760,
        })
        return interaction_id


    async def click(self, message: Call, custom_id: str, user_id: str = "555") -> str:
        """A user presses a button under a message the bot posted (the Call that posted it)."""
        interaction_id = self.next_id()
        body = message.body or {}
        await self.dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": 3, "token": f"tok-{interaction_id}", "version": 1,
            "data": {"custom_id": custom_id, "component_type": 2},
            "message": {"id": self.message_ids[id(message)], "channel_id": CHANNEL_ID, "author": BOT_USER,
                        "content": body.get("content") or "", "timestamp": TIMESTAMP, "edited_timestamp": None,
                        "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                        "embeds": body.get("embeds") or [], "pinned": False, "type": 0, "flags": 0,
                        "components": body.get("components") or []},
            "guild_id": GUILD_ID, "channel_id": CHANNEL_ID,
            "member": {"user": user(user_id, "asker"), "roles": [], "permissions": "0", "joined_at": TIMESTAMP,
                       "deaf": False, "mute": False, "flags": 0},
            "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0, "attachment_size_limit": 10485760,
        })
        return interaction_id


def guild() -> dict[str, Any]:
    return {
        "id": GUILD_ID, "name": "Newsroom", "icon": None, "owner_id": "1", "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
        "system_channel_flags": 0, "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US", "emojis": [],
        "stickers": [], "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                                   "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
        "member_count": 2, "large": False, "unavailable": False, "joined_at": TIMESTAMP, "members": [],
        "channels": [{"id": CHANNEL_ID, "type": 0, "name": "news", "position": 0, "permission_overwrites": [],
                      "nsfw": False, "parent_id": None}],
        "threads": [], "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
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
