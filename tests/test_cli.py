"""`sitrep index ...`: exit codes, exact one-line errors, --json shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitrep.cli.main import main
from tests.conftest import FakeEncoder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), make_encoder=lambda _settings: FakeEncoder())
    out, err = capsys.readouterr()
    return code, out, err


def test_build_update_status_json(capsys, seed_corpus: Path, tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    code, out, _ = run(capsys, "index", "build", "--corpus", str(seed_corpus), "--index", idx, "--json")
    built = json.loads(out)
    assert code == 0
    assert {"added", "changed", "removed", "unchanged", "passages_embedded", "articles", "passages"} <= set(built)
    assert (built["added"], built["articles"]) == (5, 5)

    code, out, _ = run(capsys, "index", "update", "--corpus", str(seed_corpus), "--index", idx, "--json")
    assert code == 0 and json.loads(out)["passages_embedded"] == 0

    code, out, _ = run(capsys, "index", "status", "--index", idx, "--json")
    status = json.loads(out)
    assert code == 0
    assert status["articles"] == 5 and status["passages"] == built["passages"]
    assert status["model"] == "fake-encoder" and status["newest_article_date"] == "2020-12-11" and status["built_at"]
    from sitrep.corpus.articles import PARSER_VERSION

    assert status["parser_version"] == PARSER_VERSION


def test_human_output_and_warnings(capsys, seed_corpus: Path, tmp_path: Path) -> None:
    (seed_corpus / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    code, out, err = run(capsys, "index", "update", "--corpus", str(seed_corpus), "--index", str(tmp_path / "i"))
    assert code == 0
    assert out.startswith(f"built {tmp_path / 'i'} from {seed_corpus}: 5 articles (5 added, 0 changed, 0 removed, 0 unchanged)")
    assert err == "warning: bad.txt: binary file, skipped (only UTF-8 text is indexed)\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["index", "status", "--index", "{tmp}/none"], "sitrep: no index at {tmp}/none: run `sitrep index build` first\n"),
        (["index", "update", "--corpus", "{tmp}/missing", "--index", "{tmp}/i"], "sitrep: corpus folder {tmp}/missing does not exist"),
    ],
)
def test_user_errors_are_one_line_exit_2(capsys, tmp_path: Path, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and out == ""
    assert err.startswith(message.format(tmp=tmp_path)) and err.count("\n") == 1


def test_bad_setting_is_one_line(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SITREP_CHUNK_MAX_TOKENS", "lots")
    code, _, err = run(capsys, "index", "status", "--index", str(tmp_path))
    assert code == 2 and err.startswith("sitrep: setting SITREP_CHUNK_MAX_TOKENS is invalid")


def test_env_example_lists_every_setting() -> None:
    from sitrep.app.settings import Settings

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    listed = {line.split("=", 1)[0].lstrip("# ").strip() for line in text.splitlines() if "=" in line}
    for name, field in Settings.model_fields.items():
        env = field.validation_alias if isinstance(field.validation_alias, str) else f"SITREP_{name.upper()}"
        assert env in listed, f"{env} missing from .env.example"


def test_an_index_from_an_older_parser_is_told_to_update(capsys, seed_corpus: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sitrep.index.manifest as manifest

    idx = str(tmp_path / "idx")
    monkeypatch.setattr(manifest, "PARSER_VERSION", manifest.PARSER_VERSION - 1)
    assert run(capsys, "index", "build", "--corpus", str(seed_corpus), "--index", idx)[0] == 0
    monkeypatch.undo()
    code, out, _ = run(capsys, "index", "status", "--index", idx)
    assert code == 0 and "run `sitrep index update` to re-read titles and dates" in out
    code, out, _ = run(capsys, "index", "update", "--corpus", str(seed_corpus), "--index", idx)
    assert code == 0 and "5 of them parsed again by a newer parser" in out and "(0 embedded)" in out
    assert "note:" not in run(capsys, "index", "status", "--index", idx)[1]


def test_secrets_never_printed_for_an_unreachable_milvus(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither SITREP_MILVUS_TOKEN nor a password written into SITREP_MILVUS_URI reaches any output."""
    from sitrep.index.backends import redact

    assert redact("http://root:Milvus99@10.0.0.5:19530") == "http://***@10.0.0.5:19530"
    assert redact("var/milvus.db") == "var/milvus.db"
    monkeypatch.setenv("SITREP_MILVUS_TOKEN", "token-s3cret")
    monkeypatch.setenv("SITREP_MILVUS_URI", "http://root:pa55word@127.0.0.1:9")
    for argv in (["ask", "What is BECA?", "--backend", "milvus"], ["index", "status", "--backend", "milvus"]):
        assert main(argv) == 2
        out = capsys.readouterr()
        printed = out.out + out.err
        assert "cannot reach Milvus at http://***@127.0.0.1:9" in printed
        assert "pa55word" not in printed and "token-s3cret" not in printed
