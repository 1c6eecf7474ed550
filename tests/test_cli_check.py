"""`feeds check`: one line per problem and exit 1; exit 0 on a clean folder; 2 on bad usage."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from feeds.cli import main

from .conftest import SECRET, WriteArticle


def test_check_prints_one_line_per_problem_and_exits_1(
    runner: CliRunner, seeds_dir: Path, write_article: WriteArticle
) -> None:
    write_article(1)
    write_article(name="empty.txt", raw=b"")
    write_article(name="deep.txt", raw=b"---\na: " + b"[" * 100_000 + b"\n---\n")
    write_article(name="sub/latin1.md", raw="---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    write_article(2, name="nourl.txt", webUrl="javascript:alert(1)", originalUrl=...)
    write_article(3, name="quoted.txt", published="true")
    write_article(4, name="badimage.txt", images=[{"url": "data:image/png;base64,AAAA"}])
    write_article(
        5, name="crlf.txt", raw=b"---\r\ntitle: x\r\nsecured: " + SECRET.encode() + b"\r\n  bad: [\r\n---\r\n"
    )
    result = runner.invoke(main, ["check", "--seeds-dir", str(seeds_dir)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    root = str(seeds_dir)
    assert lines == [
        f"{root}/badimage.txt: images[0].url: expected an absolute http(s) URL, got 'data:image/png;base64,AAAA'; "
        "image dropped (warning)",
        f"{root}/crlf.txt: file: expected valid YAML, got mapping values are not allowed in this context "
        "at line 4, column 6",
        f"{root}/deep.txt: file: expected YAML nested at most 32 levels deep, got deeper",
        f"{root}/empty.txt: file: expected YAML front matter between two '---' lines, got an empty file",
        f"{root}/nourl.txt: webUrl: expected an absolute http(s) URL, got 'javascript:alert(1)'",
        f"{root}/quoted.txt: published: expected the boolean true to publish, got the text 'true'; "
        "not published (warning)",
        f"{root}/sub/latin1.md: file: expected UTF-8 text, got byte 0xe9 at offset 14",
    ]
    assert result.stderr.strip() == "2 published article(s), 7 problem(s)"
    assert SECRET not in result.output


def test_check_on_the_sample_seeds_exits_0(runner: CliRunner, sample_seeds: Path) -> None:
    result = runner.invoke(main, ["check", "--seeds-dir", str(sample_seeds)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == "1 published article(s), 0 problem(s)"


def test_check_on_a_missing_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", "--seeds-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "SEEDS_DIR" in result.stderr


def test_check_with_a_bad_size_cap_is_a_usage_error(runner: CliRunner, seeds_dir: Path) -> None:
    result = runner.invoke(main, ["check", "--seeds-dir", str(seeds_dir), "--max-file-bytes", "lots"])
    assert result.exit_code == 2
    assert "MAX_FILE_BYTES" in result.stderr


def test_check_honours_the_size_cap(runner: CliRunner, seeds_dir: Path, write_article: WriteArticle) -> None:
    write_article(1, body="x" * 3000)
    assert runner.invoke(main, ["check", "--seeds-dir", str(seeds_dir)]).exit_code == 0
    result = runner.invoke(main, ["check", "--seeds-dir", str(seeds_dir), "--max-file-bytes", "2048"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{seeds_dir}/001.txt: file: expected at most 2048 bytes (MAX_FILE_BYTES), got ")
