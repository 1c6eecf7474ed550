"""An immutable snapshot of the articles: the site, each topic and each provider as a group,
newest first, so that a request picks its items by slicing, never by scanning or sorting."""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .loading import LoadResult
from .model import Article, Problem, slugify

GroupKind = Literal["site", "topic", "provider"]


@dataclass(frozen=True, slots=True)
class Group:
    """The articles of one feed (site, topic or provider), newest first then by id."""

    kind: GroupKind
    slug: str
    name: str
    articles: tuple[Article, ...]
    keys: tuple[float, ...]  # -timestamp of each article, ascending, for bisect
    digest: str  # changes exactly when an article of this group changes

    def first_visible(self, now: float) -> int:
        """Index of the newest article published at or before `now` (held-back ones skipped)."""
        return bisect_left(self.keys, -now)

    def visible(self, now: float, limit: int | None = None) -> tuple[Article, ...]:
        start = self.first_visible(now)
        return self.articles[start : None if limit is None else start + limit]

    def count(self, now: float) -> int:
        return len(self.articles) - self.first_visible(now)


@dataclass(frozen=True, slots=True)
class Index:
    site: Group
    topics: Mapping[str, Group]
    providers: Mapping[str, Group]
    problems: tuple[Problem, ...]
    version: str
    topic_slugs: Mapping[str, str]  # spelling -> slug
    topic_names: Mapping[str, str]  # slug -> display name

    def group(self, kind: GroupKind, slug: str = "") -> Group | None:
        if kind == "site":
            return self.site
        groups = self.topics if kind == "topic" else self.providers
        return groups.get(slug)

    def topics_of(self, article: Article) -> list[tuple[str, str]]:
        """(slug, display name) of each topic of an article, in the article's order."""
        out: list[tuple[str, str]] = []
        for spelling in article.topics:
            slug = self.topic_slugs.get(spelling)
            if slug and all(slug != s for s, _ in out):
                out.append((slug, self.topic_names[slug]))
        return out


def _sort_key(article: Article) -> tuple[float, str]:
    return (-article.timestamp, article.id)


def _group(kind: GroupKind, slug: str, name: str, articles: Iterable[Article]) -> Group:
    ordered = tuple(sorted(articles, key=_sort_key))
    digest = hashlib.blake2b(digest_size=12)
    for article in ordered:
        digest.update(article.digest.encode())
    return Group(kind, slug, name, ordered, tuple(-a.timestamp for a in ordered), digest.hexdigest())


def build_index(results: Iterable[LoadResult], site_title: str = "feeds") -> Index:
    """Every file's LoadResult -> the index, resolving duplicate URLs and topic spellings."""
    problems: list[Problem] = []
    by_id: dict[str, Article] = {}
    for result in sorted(results, key=lambda r: r.path):
        problems.extend(result.problems)
        article = result.article
        if article is None:
            continue
        kept = by_id.get(article.id)
        if kept is None:
            by_id[article.id] = article
            continue
        # The newer date wins, then the path that sorts first (results arrive sorted by path).
        winner, loser = (article, kept) if article.published > kept.published else (kept, article)
        by_id[article.id] = winner
        problems.append(
            Problem(loser.path, "webUrl", f"duplicate of {winner.path}, which has the same webUrl and wins; not shown")
        )
    articles = list(by_id.values())

    spellings: dict[str, Counter[str]] = {}
    topic_slugs: dict[str, str] = {}
    for article in articles:
        for spelling in article.topics:
            slug = topic_slugs.get(spelling)
            if slug is None:
                slug = topic_slugs[spelling] = slugify(spelling)
            spellings.setdefault(slug, Counter())[spelling] += 1
    topic_names = {slug: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] for slug, counts in spellings.items()}
    for slug, counts in spellings.items():
        folded = {_fold(s) for s in counts}
        if len(folded) > 1:
            names = ", ".join(repr(s) for s in sorted(counts))
            problems.append(
                Problem(
                    "",
                    "topics",
                    f"topic names {names} differ in more than case, spaces or punctuation but share the slug "
                    f"{slug!r}; they are shown as one topic, {topic_names[slug]!r}",
                    "warning",
                )
            )

    by_topic: dict[str, list[Article]] = {}
    by_provider: dict[str, list[Article]] = {}
    provider_names: dict[str, Counter[str]] = {}
    for article in articles:
        for slug in {topic_slugs[s] for s in article.topics}:
            by_topic.setdefault(slug, []).append(article)
        if article.provider is not None:
            domain = article.provider.domain
            by_provider.setdefault(domain, []).append(article)
            provider_names.setdefault(domain, Counter())[article.provider.name] += 1

    site = _group("site", "", site_title, articles)
    topics = {slug: _group("topic", slug, topic_names[slug], items) for slug, items in sorted(by_topic.items())}
    providers = {
        domain: _group(
            "provider", domain, min(provider_names[domain].items(), key=lambda kv: (-kv[1], kv[0]))[0], items
        )
        for domain, items in sorted(by_provider.items())
    }
    problems.sort(key=lambda p: (p.path, p.field, p.message))
    return Index(
        site=site,
        topics=topics,
        providers=providers,
        problems=tuple(problems),
        version=site.digest,
        topic_slugs=topic_slugs,
        topic_names=topic_names,
    )


def _fold(spelling: str) -> str:
    """A spelling with only case, spaces and punctuation removed (no Unicode folding)."""
    return "".join(ch for ch in spelling.lower() if ch.isalnum())


def newest(group: Group, now: float) -> datetime | None:
    """Date of the newest visible article: the feed's updated date, taken from the data."""
    items = group.visible(now, 1)
    return items[0].published if items else None
