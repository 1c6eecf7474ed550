"""One file -> an Article or Problems; a folder -> every file's result.

This is the one boundary where bad data becomes a value: everything wrong with a file raises
ArticleError inside `_parse_article`, and `load_file` alone turns it into a Problem.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import functools
import hashlib
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# yaml-rs is imported here, in the importing thread: imported first in another thread (a
# threaded server's), its first loads() crashed the interpreter (a segfault, in the browser
# tests). PyYAML, imported on first use (_loaders), does not.
import yaml_rs

from .errors import ArticleError
from .model import (
    Article,
    Image,
    Problem,
    Provider,
    Related,
    clean_line,
    clean_text,
    intern,
    is_http_url,
    make_article,
    normalize_domain,
    shared_provider,
    slugify,
)

if TYPE_CHECKING:
    import yaml

MAX_DEPTH = 32  # nesting the seed format never needs; deeper input is refused before parsing
MAX_ALIASES = 64
MAX_SLOW_PARSE = 65_536  # characters of front matter the pure-Python parser is given
MAX_NUMBER = 64  # characters of one YAML number; longer ones cost quadratic time to construct
MAX_TOPICS = 32
MAX_IMAGES = 16
MAX_RELATED = 32
MAX_TEXT = 20_000  # characters kept of one text field
_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _BOOL, _NULL = (f"{_TAG}{name}" for name in ("str", "map", "seq", "bool", "null"))
_TRUE_FALSE = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_REPLACED_RESOLVERS = {f"{_TAG}{name}" for name in ("timestamp", "bool", "int", "float", "merge")}

# Depth comes only from flow brackets and from block indentation, which counts the leading
# spaces and indicators (`- `, `? `, `: `) of a line. A front matter with fewer than half the
# limit of each cannot be too deep; anything else gets the exact (iterative) event scan.
_HALF_DEPTH = MAX_DEPTH // 2
_DEEP_LINE = re.compile(rf"\n[ \t?:-]{{{_HALF_DEPTH}}}")
_DEEP_FIRST_LINE = re.compile(rf"[ \t?:-]{{{_HALF_DEPTH}}}")
# What YAML refuses to read (it wants printable text); removed with a warning, then parsed.
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_SECURED_LINE = re.compile(r"^[ \t]*[\"']?secured[\"']?[ \t]*:", re.MULTILINE)
_SURROGATE_ESCAPE = "found invalid Unicode character escape code"


def _loader_class(base: Any) -> Any:
    """A safe loader with YAML 1.2 scalars and no constructs that cost more than they read.

    Booleans are only true/false (`yes` stays text), numbers have no base-60 form, dates stay
    text (we parse them), merge keys (`<<`) are refused (with aliases they expand
    exponentially) and duplicate keys are noted for a warning.
    """
    import yaml  # (the methods below use it)

    class Loader(base):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.duplicates: list[str] = []

        def flatten_mapping(self, node: yaml.MappingNode) -> None:
            for key_node, _ in node.value:
                if key_node.tag == f"{_TAG}merge":
                    raise yaml.constructor.ConstructorError(
                        None, None, "a merge key '<<', which is not supported", key_node.start_mark
                    )

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            if len(mapping) < len(node.value):
                self._note_duplicates(node)
            return mapping

        def get_single_data(self) -> Any:
            """Walk libyaml's composed nodes ourselves: for the plain str/map/seq/bool/null nodes
            a seed file is made of, this is about 1.5x faster than the generic constructor.
            Anything else (numbers, explicit tags, unknown tags) goes through the safe
            constructor's own methods, so its rules and refusals are unchanged."""
            node = self.get_single_node()
            return None if node is None else self._walk(node, {})

        def _walk(self, node: yaml.Node, memo: dict[int, Any]) -> Any:
            tag = node.tag
            if tag == _STR:
                return node.value
            if isinstance(node, yaml.ScalarNode):
                if tag == _BOOL and node.value in _TRUE_FALSE:
                    return _TRUE_FALSE[node.value]
                if tag == _NULL and node.value in _NULLS:
                    return None
                return self.construct_object(node, deep=True)
            done = memo.get(id(node))
            if done is not None:  # an alias: the same object again, never a copy
                return done
            if tag == _MAP and isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)
                mapping: dict[Any, Any] = {}
                memo[id(node)] = mapping
                for key_node, value_node in node.value:
                    key = self._walk(key_node, memo)
                    try:
                        hash(key)
                    except TypeError as exc:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                        ) from exc
                    mapping[key] = self._walk(value_node, memo)
                if len(mapping) < len(node.value):
                    self._note_duplicates(node)
                return mapping
            if tag == _SEQ and isinstance(node, yaml.SequenceNode):
                items: list[Any] = []
                memo[id(node)] = items
                items.extend(self._walk(item, memo) for item in node.value)
                return items
            return self.construct_object(node, deep=True)

        def _note_duplicates(self, node: yaml.MappingNode) -> None:
            seen: set[object] = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.tag)
                if key in seen:
                    self.duplicates.append(f"{_show(str(key))} at line {key_node.start_mark.line + 2}")
                seen.add(key)

        def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
            _check_number(node)
            value: int = super().construct_yaml_int(node)
            return value

        def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
            _check_number(node)
            value: float = super().construct_yaml_float(node)
            return value

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED_RESOLVERS]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(f"{_TAG}bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    Loader.add_implicit_resolver(
        f"{_TAG}int",
        re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
        list("-+0123456789"),
    )
    Loader.add_implicit_resolver(
        f"{_TAG}float",
        re.compile(
            r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )
    Loader.add_constructor(f"{_TAG}int", Loader.construct_yaml_int)
    Loader.add_constructor(f"{_TAG}float", Loader.construct_yaml_float)
    return Loader


def _check_number(node: yaml.ScalarNode) -> None:
    import yaml

    text = str(node.value)
    if len(text) > MAX_NUMBER or ":" in text or not text.strip("+-_"):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of {len(text)} characters (at most {MAX_NUMBER}, without ':', are read)",
            node.start_mark,
        )


@functools.cache
def _loaders() -> tuple[Any, Any]:
    """(our libyaml loader, our pure-Python one), made when a file first needs one: PyYAML is
    imported only then, not by every start (`feeds serve` from an unchanged snapshot parses
    nothing; 0.08 s). libyaml is about 8x faster; the pure-Python parser reads escapes of lone
    surrogates ("\ud800"), which libyaml refuses, and is used only for such files, after the
    shape check has bounded their nesting."""
    import yaml

    return _loader_class(getattr(yaml, "CSafeLoader", yaml.SafeLoader)), _loader_class(yaml.SafeLoader)


def __getattr__(name: str) -> Any:
    """_Loader and _PyLoader, the two loaders, as module attributes (the tests read them)."""
    if name in ("_Loader", "_PyLoader"):
        return _loaders()[name == "_PyLoader"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one file gave: a published article or none, and its problems (errors, warnings)."""

    path: str
    article: Article | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(slots=True)
class _Context:
    path: str
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, field_name: str, message: str) -> None:
        self.warnings.append(Problem(self.path, field_name, message, "warning"))


def load_file(root: Path, relpath: str, *, max_bytes: int) -> LoadResult:
    """Read and parse one article file; every failure becomes a Problem, never an exception."""
    try:
        data = _read_inside(root, relpath, max_bytes)
        return parse_article(data, relpath)
    except ArticleError as exc:
        return LoadResult(relpath, None, (Problem(relpath, exc.field, exc.message),))
    except RecursionError as exc:  # pragma: no cover - the shape check and bounded walks prevent it
        return LoadResult(relpath, None, (Problem(relpath, "file", f"expected a simpler file, got {exc!r}"),))
    except Exception as exc:
        # A bug of ours, not bad data; one file must still never stop the service. The fuzz
        # target and the property tests fail on any problem with this wording.
        message = f"could not be read because of an internal error ({type(exc).__name__}); please report it"
        return LoadResult(relpath, None, (Problem(relpath, "file", message),))


def parse_article(data: bytes, relpath: str) -> LoadResult:
    """Bytes of one file -> LoadResult; raises ArticleError for a file that is no article."""
    ctx = _Context(relpath)
    article = _parse_article(data, ctx)
    return LoadResult(relpath, article, tuple(ctx.warnings))


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_inside(root: Path, relpath: str, max_bytes: int) -> bytes:
    """The file's bytes, at most max_bytes, read only if it is a regular file inside root.

    O_NOFOLLOW means a file swapped for a symlink after the check is not followed, and
    O_NONBLOCK that one swapped for a FIFO does not hang the reload.
    """
    path = os.path.join(root, relpath)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            path = os.path.realpath(path)
            if not Path(path).is_relative_to(os.path.realpath(root)):
                raise ArticleError(
                    "file", "expected a file inside the seeds folder, got a symlink that points out of it"
                )
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ArticleError("file", f"expected a readable file, got {_os_reason(exc)}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError("file", f"expected a regular file, got {_file_kind(info.st_mode)}")
        if info.st_size > max_bytes:
            raise ArticleError("file", f"expected at most {max_bytes} bytes (MAX_FILE_BYTES), got {info.st_size}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ArticleError("file", f"expected a readable file, got {_os_reason(exc)}") from exc
    finally:
        os.close(fd)
    if size > max_bytes:
        raise ArticleError("file", f"expected at most {max_bytes} bytes (MAX_FILE_BYTES), got more")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink (it changed while being read)"
    return (exc.strerror or type(exc).__name__).lower()


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "something else"


# --- text and front matter ---------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ArticleError("file", "expected UTF-8 text, got UTF-16 (it starts with its byte order mark)") from exc
        raise ArticleError(
            "file", f"expected UTF-8 text, got byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from exc
    if "\x00" in text:
        offset = text.index("\x00")
        raise ArticleError("file", f"expected UTF-8 text, got a NUL byte at offset {offset} (binary? UTF-16?)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_OPENING = re.compile(r"---[ \t]*(?:\n|\Z)")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def _split_front_matter(text: str) -> tuple[str, str]:
    if not text.strip():
        raise ArticleError("file", "expected YAML front matter between two '---' lines, got an empty file")
    opening = _OPENING.match(text)
    if opening is None:
        raise ArticleError("file", "expected the file to start with a '---' line, got no front matter")
    rest = text[opening.end() :]
    found = _closing_line(rest)
    if found is None:
        raise ArticleError("file", "expected a closing '---' line after the front matter, got none")
    return rest[: found[0]], rest[found[1] :].strip()


def _closing_line(rest: str) -> tuple[int, int] | None:
    """Where _CLOSING first matches (start, end), found with str.find: the pattern's search
    was a twentieth of a file's parse time."""
    best: tuple[int, int] | None = None
    for marker in ("---", "..."):
        at = 0 if rest.startswith(marker) else rest.find("\n" + marker) + 1
        while at >= 0 and (at > 0 or rest.startswith(marker)):
            end = rest.find("\n", at + 3)
            end = len(rest) if end < 0 else end
            if not rest[at + 3 : end].strip(" \t"):
                if best is None or at < best[0]:
                    best = (at, end)
                break
            following = rest.find("\n" + marker, at + 1)
            at = -1 if following < 0 else following + 1
    return best


def _plainly_shallow(front: str) -> bool:
    """A few microseconds: True only when the text cannot nest deeper than MAX_DEPTH or alias.

    Flow depth is at most the number of brackets; block depth at most one more than the
    longest run of spaces and indicators (`- `, `? `, `: `) that starts a line, at any line
    break libyaml knows (it also breaks at NEL, LS and PS). Fewer than half the limit of each
    keeps the sum under it. Tested for soundness against the event scan in test_loading.
    """
    return (
        front.count("[") + front.count("{") < _HALF_DEPTH
        and "*" not in front
        and _DEEP_LINE.search(front) is None
        and _DEEP_FIRST_LINE.match(front) is None
        and (front.isascii() or not ("\x85" in front or "\u2028" in front or "\u2029" in front))
    )


def _check_shape(front: str, loader_class: Any = None) -> None:
    """Refuse nesting and alias counts that could blow a parser's stack, before parsing.

    libyaml's composer recurses in C and crashes the interpreter (not an exception) at some
    ten thousand levels, so this runs before any composing. A cheap bound clears ordinary
    files; the rest get a scan of the parser's flat event stream, which never recurses.
    YAML errors met on the way propagate as they are, unless the text before the error
    already breaks a bound (see below).
    """
    if _plainly_shallow(front):
        return
    import yaml

    loader_class = loader_class or _loaders()[0]
    try:
        _count_shape(front, loader_class)
    except yaml.MarkedYAMLError as exc:
        # libyaml 0.2.6 refuses nesting past a limit of its own (1,000 levels) while its
        # scanner runs ahead of the parser, looking for simple keys, so it can fail before it
        # has emitted the events that cross our far lower bound. The text before the error
        # scans without that failure: each event the parser can reach is emitted there, and
        # a breach of our bound shows. If none does, the first error stands.
        end = exc.problem_mark.index if exc.problem_mark is not None else 0
        if 0 < end < len(front):
            with contextlib.suppress(yaml.YAMLError):
                _count_shape(front[:end], loader_class)
        raise


def _count_shape(front: str, loader_class: Any) -> None:
    import yaml

    depth = aliases = 0
    for event in yaml.parse(front, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ArticleError("file", f"expected YAML nested at most {MAX_DEPTH} levels deep, got deeper")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ArticleError("file", f"expected at most {MAX_ALIASES} YAML aliases, got more")


def _yaml_reason(exc: yaml.YAMLError) -> str:
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        return f"{exc.problem or exc.context}{where}"
    if isinstance(exc, yaml.reader.ReaderError):
        return f"the character #x{exc.character:04x}, which YAML does not allow"
    return str(exc).split("\n")[0]


def _load_yaml(front: str, ctx: _Context) -> dict[str, Any]:
    import yaml

    try:
        try:
            value, duplicates = _parse_yaml(front)
        except yaml.reader.ReaderError:  # rare: libyaml refuses a whole file for one control character
            first = _NOT_YAML.search(front)
            line = front.count("\n", 0, first.start() if first else 0) + 2
            front, count = _NOT_YAML.subn("", front)
            got = f"{count} control character(s), first on line {line}"
            ctx.warn("file", f"expected printable text, got {got}; removed")
            value, duplicates = _parse_yaml(front)
    except yaml.YAMLError as exc:
        raise ArticleError("file", f"expected valid YAML, got {_yaml_reason(exc)}") from exc
    except ArticleError:
        raise
    except Exception as exc:  # constructors of explicit tags (`!!bool x`, `!!int ''`) raise anything
        reason = type(exc).__name__
        raise ArticleError("file", f"expected valid YAML, got a value its tag cannot hold ({reason})") from exc
    for duplicate in duplicates:
        ctx.warn("file", f"expected each key once in a mapping, got {duplicate} again; the last one is used")
    if value is None:
        raise ArticleError("file", "expected YAML front matter with fields, got nothing between the '---' lines")
    if not isinstance(value, dict):
        raise ArticleError("file", f"expected a YAML mapping of fields, got {_kind(value)}")
    return value


def _parse_yaml(front: str) -> tuple[object, list[str]]:
    """Shape check, then parse: with yaml_rs when the text is plain (see _quick_parse), else with
    libyaml; with the pure parser if libyaml refuses an escape of a lone surrogate ("\\ud800"),
    which the text rules then remove."""
    if _plainly_shallow(front):
        quick = _quick_parse(front)
        if quick is not None:
            return quick, []
    return _parse_with_libyaml(front)


def _parse_with_libyaml(front: str) -> tuple[object, list[str]]:
    import yaml

    loader, pure = _loaders()
    try:
        _check_shape(front, loader)
        return _construct(front, loader)
    except yaml.MarkedYAMLError as exc:
        if exc.problem != _SURROGATE_ESCAPE or len(front) > MAX_SLOW_PARSE:
            raise  # the pure parser takes ~3 ms per KiB: not for a whole MiB
    _check_shape(front, pure)
    return _construct(front, pure)


# Where yaml_rs (YAML 1.2, Rust) and our libyaml loader could read the same text differently,
# or where only libyaml's path has our limits and messages: tags, anchors and aliases, complex
# and empty keys, directives, merge keys, block scalars, the 1.1 `=` value, number forms the
# two schemas type apart (017, 0o17, 09, _1, 1e3, -.5, very long digit runs), escaped
# surrogates, tabs that indent, characters libyaml refuses, and line breaks only YAML 1.1
# knows (NEL, LS, PS). A match anywhere, even inside a quoted string, only sends the file down
# the libyaml path; tests/test_quick_yaml.py checks that both paths agree on everything else.
# Scanned as UTF-8 bytes (faster in `re` than str; every character that matters is ASCII, and
# no byte of a multi-byte character is). A token starts after a space, tab, newline or flow
# indicator (no other character separates tokens in YAML).
_TOKEN = re.compile(rb"[ \t\n\[\]{},][-+._0-9!&*?%@`=<|>:]")  # a token that may be one of these starts
_JSON_KEY_TOKEN = re.compile(rb"[\"']:[-+._0-9!&*?%@`=<|>:]")  # so does one right after `"key":`
_RISKY_TOKEN = re.compile(
    rb"[!&*?%@`=|>]|<<|:(?:[ \t\n]|$)|[-+]?(?:0[0-9_oObBxX]|_|\.?[0-9][0-9_]*(?:\.[0-9_]*)?[eE])|[-+]\.[0-9]|[0-9]{16}"
)
# Escaped surrogates; a tab among the indentation and block indicators (`- \t` is refused by
# libyaml, read by yaml_rs); document markers (only a test can put them in a front)
_RISKY_TEXT = re.compile(rb"\\[uU]0{0,4}[dD][89a-fA-F]|\n[ ?:-]*\t|\n(?:---|\.\.\.)")
_YAML_11_BREAKS = ("\x85", "\u2028", "\u2029", "\ufeff")
_ASCII_ALLOWED = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _risky(front: str) -> bool:
    """True when the text may hold one of the forms above. Token by token in two steps, because
    in `re` one pattern that starts with a character class costs several times a scan plus a
    match a hit."""
    data = b"\n" + front.encode("utf-8", "surrogatepass")  # (a lone surrogate: bytes >= 0x80 too)
    for hit in _TOKEN.finditer(data):
        if _RISKY_TOKEN.match(data, hit.start() + 1):
            return True
    if b'":' in data or b"':" in data:
        for hit in _JSON_KEY_TOKEN.finditer(data):
            if _RISKY_TOKEN.match(data, hit.start() + 2):
                return True
    if (b"\\" in data or b"\t" in data or b"\n--" in data or b"\n.." in data) and _RISKY_TEXT.search(data):
        return True
    if front.isascii():  # characters libyaml refuses: for ASCII, one C pass
        return bool(data.translate(None, _ASCII_ALLOWED))
    return _NOT_YAML.search(front) is not None or any(ch in front for ch in _YAML_11_BREAKS)


def _quick_parse(front: str) -> dict[str, Any] | None:
    """The front matter as yaml_rs reads it (about ten times faster than libyaml's nodes
    walked in Python), or None to let libyaml read it: when the text is _risky,
    yaml_rs refuses it (libyaml then gives the message), finds a duplicate key (libyaml's path
    warns and goes on), or gives anything but a mapping, or a list or mapping as a key."""
    if _risky(front):
        return None
    try:
        value = yaml_rs.loads(front, parse_datetime=False, duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error)
    except Exception:
        return None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return None
    if type(value) is not dict:
        return None
    # Keys that are not text: a number, true or null reads the same in both (their forms are
    # screened above); a list or mapping as a key (libyaml refuses it) needs a bracket.
    if ("[" in front or "{" in front) and not _text_keys(value):
        return None
    return value


def _text_keys(value: dict[Any, Any] | list[Any]) -> bool:
    """True when every mapping key inside is text (nesting is bounded by _plainly_shallow)."""
    for key, item in value.items() if type(value) is dict else enumerate(value):
        if type(value) is dict and type(key) is not str:
            return False
        if (type(item) is dict or type(item) is list) and not _text_keys(item):
            return False
    return True


def _construct(front: str, loader_class: Any) -> tuple[object, list[str]]:
    loader = loader_class(front)
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: str, limit: int = 60) -> str:
    shown = clean_line(value)
    return repr(shown if len(shown) <= limit else shown[: limit - 1] + "…")


# --- fields ------------------------------------------------------------------------------


def _parse_article(data: bytes, ctx: _Context) -> Article | None:
    front, body = _split_front_matter(_decode(data))
    if "secured" in body and _SECURED_LINE.search(body):
        # A stray '---' line cut the front matter short: what follows, the payload included,
        # would be shown as the body. Refused, so `secured` never leaves even then.
        raise ArticleError(
            "secured", "expected it in the front matter, got a 'secured:' line in the body (a stray '---' above it?)"
        )
    fm = _load_yaml(front, ctx)
    if "<<" in fm:
        ctx.warn("<<", "expected fields, got a YAML merge key '<<', which is not supported; ignored")
    published = _published_flag(fm.get("published"), ctx)

    title = _text(fm.get("title"), "title", ctx, required=True, line=True)
    url = _article_url(fm, ctx)
    when = parse_date(fm.get("publishedDateTime"), "publishedDateTime")
    # Every part is checked, published or not: an editor hears of a broken draft before it
    # goes out. Nothing of a draft is kept in memory.
    excerpt = _text(fm.get("excerpt"), "excerpt", ctx)
    provider = _provider(fm.get("provider"), "provider", ctx)
    topics = _topics(fm.get("topics"), ctx)
    images = _images(fm.get("images"), "images", ctx)
    related = _related(fm.get("related"), ctx)
    quality = _number(fm.get("quality"), "quality", ctx)
    heat = _number(fm.get("heat"), "heat", ctx)
    if not published:
        return None
    return make_article(
        id=url,
        path=ctx.path,
        title=title,
        published=when,
        excerpt=excerpt,
        body=clean_text(body[:MAX_TEXT]),
        provider=provider,
        topics=topics,
        images=images,
        related=related,
        quality=quality,
        heat=heat,
        digest=int.from_bytes(hashlib.blake2b(data, digest_size=8).digest()),
    )


def _published_flag(value: object, ctx: _Context) -> bool:
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "y", "1"):
        ctx.warn("published", f"expected the boolean true to publish, got the text {_show(value)}; not published")
    elif isinstance(value, int | float) and not isinstance(value, bool) and value == 1:
        ctx.warn("published", f"expected the boolean true to publish, got the number {value!r}; not published")
    return False


def _text(value: object, name: str, ctx: _Context, *, required: bool = False, line: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise ArticleError(name, "expected text, got nothing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        if required:
            raise ArticleError(name, f"expected text, got {_kind(value)}")
        ctx.warn(name, f"expected text, got {_kind(value)}; dropped")
        return ""
    raw = str(value)[:MAX_TEXT]
    text = clean_line(raw) if line else clean_text(raw).strip()
    if required and not text:
        raise ArticleError(name, f"expected text, got {_show(raw)}")
    return text


def _url(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(name, f"expected an http(s) URL, got {_kind(value)}")
    url = value.strip()
    if not is_http_url(url):
        raise ArticleError(name, f"expected an absolute http(s) URL, got {_show(url)}")
    return url


def _article_url(fm: Mapping[str, Any], ctx: _Context) -> str:
    web = fm.get("webUrl")
    try:
        return _url(web, "webUrl")
    except ArticleError as web_error:
        if fm.get("originalUrl") is None:
            raise
        try:
            url = _url(fm.get("originalUrl"), "originalUrl")
        except ArticleError:
            raise ArticleError("webUrl", f"{web_error.message}, and originalUrl is no better") from None
        if web is not None:
            ctx.warn("webUrl", f"{web_error.message}; originalUrl used instead")
        return url


def parse_date(value: object, name: str) -> datetime:
    """ISO 8601 (no zone means UTC) or RFC 822 -> an aware UTC datetime; ArticleError otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        parsed = _parse_date_text(value.strip(), name)
    else:
        raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_kind(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ArticleError(name, f"expected a date within years 1-9999, got {_show(str(value))}") from exc


def _parse_date_text(text: str, name: str) -> datetime:
    if len(text) > 64:
        raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_show(text)}")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    from dateutil import parser as dateparser  # (only here, and rarely: 0.07 s off every start)

    try:
        return dateparser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_show(text)}")


def _number(value: object, name: str, ctx: _Context) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        ctx.warn(name, f"expected a finite number, got {_kind(value)}; dropped")
        return None
    return float(value)


def _dimension(value: object, name: str, ctx: _Context) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100_000:
        ctx.warn(name, f"expected a whole number of pixels from 1 to 100000, got {_kind(value)}; dropped")
        return None
    return value


def _provider(value: object, name: str, ctx: _Context) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        ctx.warn(name, f"expected a mapping with name and domain, got {_kind(value)}; dropped")
        return None
    raw_domain = value.get("domain")
    domain = normalize_domain(raw_domain) if isinstance(raw_domain, str) else None
    if domain is None:
        ctx.warn(f"{name}.domain", f"expected a domain like example.com, got {_kind(raw_domain)}; provider dropped")
        return None
    label = _text(value.get("name"), f"{name}.name", ctx, line=True) or domain
    return shared_provider(label, domain)


def _topics(value: object, ctx: _Context) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn("topics", f"expected a list of topic names, got {_kind(value)}; dropped")
        return ()
    names: list[str] = []
    for i, item in enumerate(value[:MAX_TOPICS]):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            ctx.warn(f"topics[{i}]", f"expected a topic name, got {_kind(item)}; dropped")
            continue
        name = clean_line(str(item))[:200].rstrip()  # cut to 200, then no trailing space
        if not slugify(name):
            ctx.warn(f"topics[{i}]", f"expected a topic name with letters or digits, got {_show(str(item))}; dropped")
            continue
        if name not in names:
            names.append(intern(name))
    if len(value) > MAX_TOPICS:
        ctx.warn("topics", f"expected at most {MAX_TOPICS} topics, got {len(value)}; the rest dropped")
    return tuple(names)


def _images(value: object, name: str, ctx: _Context) -> tuple[Image, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn(name, f"expected a list of images, got {_kind(value)}; dropped")
        return ()
    images: list[Image] = []
    for i, item in enumerate(value[:MAX_IMAGES]):
        image = _image(item, f"{name}[{i}]", ctx)
        if image is not None:
            images.append(image)
    return tuple(images)


def _image(item: object, name: str, ctx: _Context) -> Image | None:
    if not isinstance(item, dict):
        ctx.warn(name, f"expected a mapping with url, width and height, got {_kind(item)}; dropped")
        return None
    try:
        url = _url(item.get("url"), f"{name}.url")
    except ArticleError as exc:
        ctx.warn(exc.field, f"{exc.message}; image dropped")
        return None
    width = _dimension(item.get("width"), f"{name}.width", ctx)
    height = _dimension(item.get("height"), f"{name}.height", ctx)
    if width is None or height is None:
        width = height = None
    return Image(url, width, height)


def _related(value: object, ctx: _Context) -> tuple[Related, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn("related", f"expected a list of articles, got {_kind(value)}; dropped")
        return ()
    out: list[Related] = []
    for i, item in enumerate(value[:MAX_RELATED]):
        name = f"related[{i}]"
        if not isinstance(item, dict):
            ctx.warn(name, f"expected a mapping with title and webUrl, got {_kind(item)}; dropped")
            continue
        try:
            url = _url(item.get("webUrl", item.get("originalUrl")), f"{name}.webUrl")
            title = _text(item.get("title"), f"{name}.title", ctx, required=True, line=True)
        except ArticleError as exc:
            ctx.warn(exc.field, f"{exc.message}; related article dropped")
            continue
        when: datetime | None = None
        if item.get("publishedDateTime") is not None:
            try:
                when = parse_date(item["publishedDateTime"], f"{name}.publishedDateTime")
            except ArticleError as exc:
                ctx.warn(exc.field, f"{exc.message}; date dropped")
        images = _images(item.get("images"), f"{name}.images", ctx)
        out.append(
            Related(
                title=title,
                url=url,
                excerpt=_text(item.get("excerpt"), f"{name}.excerpt", ctx),
                published=when,
                provider=_provider(item.get("provider"), f"{name}.provider", ctx),
                image=images[0] if images else None,
            )
        )
    return tuple(out)
