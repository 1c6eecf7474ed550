"""A seeded corpus of article files with the real ones' shape, for the benchmarks.

About 200 topics and 2,000 providers with skewed (Zipf-like) popularity, 1-4 topics an article,
0-3 images, 0-3 related, about 80% published, two years of dates, some non-ASCII text and a
`secured` blob like the real ones. Same seed, same files.

    python -m bench.corpus OUTDIR [--count 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = [
    "chip",
    "market",
    "china",
    "export",
    "ban",
    "nvidia",
    "huawei",
    "model",
    "training",
    "data",
    "center",
    "cloud",
    "startup",
    "funding",
    "robot",
    "vision",
    "language",
    "open",
    "source",
    "regulation",
    "europe",
    "privacy",
    "security",
    "breach",
    "quantum",
    "battery",
    "electric",
    "vehicle",
    "semiconductor",
    "supply",
    "chain",
    "factory",
    "smartphone",
    "launch",
    "review",
    "partnership",
    "research",
    "paper",
    "benchmark",
    "inference",
    "edge",
    "device",
    "network",
    "satellite",
    "climate",
    "energy",
    "grid",
]
NON_ASCII = ["Künstliche", "Intelligenz", "中国", "日本語", "Économie", "café", "naïve", "Россия", "São Paulo", "ñandú"]
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), rng.choice(NON_ASCII))
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


class Corpus:
    def __init__(self, seed: int = 1, topics: int = 200, providers: int = 2000) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.topics = []
        for i in range(topics):
            name = " ".join(w.capitalize() for w in rng.sample(WORDS, rng.randint(1, 2)))
            if i % 25 == 0:
                name = rng.choice(NON_ASCII) + " " + name
            self.topics.append(f"{name} {i}" if i >= 60 else name)
        self.topics = list(dict.fromkeys(self.topics))
        self.providers = [
            (f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()} News", f"news{i}.example.com")
            for i in range(providers)
        ]
        self.topic_weights = _zipf_weights(len(self.topics))
        self.provider_weights = _zipf_weights(len(self.providers), 1.0)

    def _images(self, count: int, key: str) -> list[str]:
        rng = self.rng
        lines = ["images:"] if count else []
        for j in range(count):
            w = rng.choice((640, 800, 1024, 1200, 1280))
            lines += [
                f'  - url: "https://img.example.com/{key}/{j}.{rng.choice(("jpg", "jpg", "png", "webp"))}"',
                f"    width: {w}",
                f"    height: {w * 2 // 3}",
                "    isCached: true",
            ]
        return lines

    def article(self, i: int) -> tuple[str, str]:
        """(file name, text) of article number i."""
        rng = self.rng
        key = f"{rng.getrandbits(64):016x}"
        name, domain = rng.choices(self.providers, self.provider_weights)[0]
        topics = list(dict.fromkeys(rng.choices(self.topics, self.topic_weights, k=rng.randint(1, 4))))
        when = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        url = f"https://{domain}/news/{i}-{key}.html"
        lines = [
            "---",
            "category: news",
            f"title: {_q(_sentence(rng, 6, 14))}",
            f"excerpt: {_q(_sentence(rng, 20, 40) + '.')}",
            f"publishedDateTime: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            f'originalUrl: "{url}"',
            f'webUrl: "{url}"',
            "type: article",
            f"quality: {rng.randint(10, 90)}",
            f"heat: {rng.randint(0, 100)}",
            f"published: {'true' if rng.random() < 0.8 else 'false'}",
            "",
            "provider:",
            f"  name: {_q(name)}",
            f"  domain: {domain}",
            "",
            "topics:",
            *(f"  - {_q(t)}" for t in topics),
            "",
            *self._images(rng.choices((0, 1, 2, 3), (15, 60, 15, 10))[0], key),
        ]
        related = rng.choices((0, 1, 2, 3), (30, 30, 25, 15))[0]
        if related:
            lines += ["", "related:"]
        for j in range(related):
            rname, rdomain = rng.choices(self.providers, self.provider_weights)[0]
            rwhen = when + timedelta(hours=rng.randint(-48, 48))
            lines += [
                f"  - title: {_q(_sentence(rng, 6, 12))}",
                f"    excerpt: {_q(_sentence(rng, 12, 30) + '.')}",
                f"    publishedDateTime: {rwhen.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                f'    webUrl: "https://{rdomain}/story/{key}-{j}.html"',
                "    type: article",
                "    provider:",
                f"      name: {_q(rname)}",
                f"      domain: {rdomain}",
                f"    quality: {rng.randint(10, 90)}",
            ]
            if rng.random() < 0.7:
                w = rng.choice((640, 720, 1024, 1200))
                lines += [
                    "    images:",
                    f'      - url: "https://img.example.com/{key}/r{j}.jpg"',
                    f"        width: {w}",
                    f"        height: {w // 2}",
                    "        isCached: true",
                ]
        secret = base64.b64encode(rng.randbytes(rng.randint(380, 460))).decode()
        lines += ["", f'secured: "{secret};{base64.b64encode(rng.randbytes(16)).decode()}"', "---", ""]
        return f"{i:06d}_{key}.txt", "\n".join(lines)


def write_corpus(out: Path, count: int, seed: int = 1) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(seed)
    for i in range(count):
        name, text = corpus.article(i)
        (out / name).write_text(text, encoding="utf-8")
    return out


def cached_corpus(folder: Path, count: int) -> Path:
    """The corpus of `count` articles kept in folder/<count> (bench/corpus/<count>), written
    once and again only when its file count is off; the benchmarks share it."""
    corpus = folder / str(count)
    if not corpus.is_dir() or len(os.listdir(corpus)) != count:
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"writing {count} articles to {corpus} ...", flush=True)
        write_corpus(corpus, count)
    return corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_corpus(args.out, args.count, args.seed)
    print(f"wrote {args.count} article files to {args.out}")


if __name__ == "__main__":
    main()
