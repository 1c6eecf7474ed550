"""An immutable snapshot of the articles: the site, each topic and each provider as a group,
newest first, so that a request picks its items by slicing, never by scanning or sorting.

IndexBuilder keeps what it takes to update the index in place of rebuilding it: a change to a
few files touches only the groups those articles belong to.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, gt, neg, truediv
from typing import Any, Literal

from .loading import LoadResult
from .model import Article, Problem, slugify

GroupKind = Literal["site", "topic", "provider"]
_MOD = 1 << 80


@dataclass(frozen=True, slots=True)
class Group:
    """The articles of one feed (site, topic or provider), newest first then by id."""

    kind: GroupKind
    slug: str
    name: str
    articles: tuple[Article, ...]
    keys: array[float]  # -timestamp of each article, ascending, for bisect
    total: int  # order-free sum of the articles' digests: the content's fingerprint
    names: str  # fingerprint of the topic names shown in items

    @property
    def digest(self) -> str:
        """Changes exactly when what this group's feeds show changes."""
        return f"{self.total:020x}{self.names}"

    def first_visible(self, now: float) -> int:
        """Index of the newest article published at or before `now` (held-back ones skipped)."""
        return bisect_left(self.keys, -now)

    def window(self, start: int) -> tuple[float, float]:
        """(since, until): first_visible(now) == start exactly while since <= now < until, the
        same comparisons as its bisect. From the publication of the newest article shown (a
        clock set back before it hides it again) to that of the next one held back."""
        keys = self.keys
        since = -keys[start] if start < len(keys) else -math.inf
        until = -keys[start - 1] if start > 0 else math.inf
        return since, until

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
        seen: list[str] = []  # one to four topics: a list beats a set
        for spelling in article.topics:
            slug = self.topic_slugs.get(spelling)
            if slug and slug not in seen:
                seen.append(slug)
                out.append((slug, self.topic_names[slug]))
        return out


_ID = attrgetter("id")
_DIGEST = attrgetter("digest")  # sum(map(_DIGEST, ...)) adds in C: a start sums 350,000 of them
_PUBLISHED = attrgetter("published_us")


def date_keys(articles: Iterable[Article]) -> array[float]:
    """Each article's -timestamp (-a.published_us / 1_000_000, the same float), in C loops: a
    Group's keys (a snapshot's restore makes them with this too, so they are the same)."""
    return array("d", map(truediv, map(neg, map(_PUBLISHED, articles)), repeat(1_000_000)))


def _sort_key(article: Article) -> tuple[int, str]:
    return (-article.published_us, article.id)


def _fold(spelling: str) -> str:
    """A spelling with only case, spaces and punctuation removed (no Unicode folding)."""
    return "".join(ch for ch in spelling.lower() if ch.isalnum())


def _most_common(counts: dict[str, int]) -> str:
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _bump(table: dict[str, dict[str, int]], key: str, spelling: str, step: int) -> None:
    counts = table.get(key)
    if counts is None:
        counts = table[key] = {}
    count = counts.get(spelling, 0) + step
    if count > 0:
        counts[spelling] = count
    else:
        counts.pop(spelling, None)


class IndexBuilder:
    """Turns LoadResults into Index snapshots; apply() takes only what changed."""

    def __init__(self, site_title: str = "feeds") -> None:
        self.site_title = site_title
        # Only what is needed per article, in as few containers as possible: this is most of
        # the memory an index costs beyond the articles themselves.
        self._articles: dict[str, Article] = {}  # path -> its published article
        self._file_problems: dict[str, tuple[Problem, ...]] = {}
        self._candidates: dict[str, Article | list[Article]] = {}  # id -> its article(s): a list on duplicates
        self._duplicated: set[str] = set()  # ids whose candidates are a list
        self._topic_slugs: dict[str, str] = {}
        self._spellings: dict[str, dict[str, int]] = {}  # slug -> spelling -> articles
        self._provider_names: dict[str, dict[str, int]] = {}  # domain -> name -> articles
        self.index: Index | None = None

    def apply(self, changes: Mapping[str, LoadResult | Article | None]) -> Index:
        """Files replaced (a LoadResult, or an Article alone for a file with no problems) or
        removed (None) -> the new index."""
        if self.index is None:
            return self._first(changes)
        touched: set[str] = set()
        for path, result in changes.items():
            old = self._articles.get(path)
            if old is not None:
                touched.add(old.id)
            article = result.article if isinstance(result, LoadResult) else result
            if article is not None:
                touched.add(article.id)
        before = {article_id: self._winner(article_id) for article_id in touched}
        for path, result in changes.items():
            old = self._articles.pop(path, None)
            self._file_problems.pop(path, None)
            if old is not None:
                self._drop_candidate(old)
            if result is None:
                continue
            if isinstance(result, LoadResult):
                if result.problems:
                    self._file_problems[path] = result.problems
                article = result.article
            else:
                article = result
            if article is not None:
                self._articles[path] = article
                self._add_candidate(article)
        removed: list[Article] = []
        added: list[Article] = []
        for article_id in touched:
            was, now = before[article_id], self._winner(article_id)
            if was is not now:
                if was is not None:
                    removed.append(was)
                if now is not None:
                    added.append(now)
        self.index = self._rebuild(removed, added)
        return self.index

    def results(self) -> Iterator[tuple[str, Article | None, tuple[Problem, ...]]]:
        """Every file the builder holds: (path, its article or None, its problems), the
        articles first (a snapshot is written from these)."""
        problems = self._file_problems
        for path, article in self._articles.items():
            yield path, article, problems.get(path, ())
        for path, found in problems.items():
            if path not in self._articles:
                yield path, None, found

    # a snapshot of the index ------------------------------------------------------------------
    #
    # A warm start whose files are all unchanged gets back the very index the snapshot's writer
    # had, group by group, instead of building it again (most of a warm start's CPU at 100k).

    def export(self) -> dict[str, Any] | None:
        """What restore() needs besides the articles, or None when there is no index yet or
        there are duplicate URLs (rare, and then the index is built again)."""
        if self.index is None or self._duplicated:
            return None
        index = self.index
        groups = [index.site, *index.topics.values(), *index.providers.values()]
        return {
            "groups": groups,  # the writer stores their articles as rows
            "topic_slugs": self._topic_slugs,
            "spellings": self._spellings,
            "provider_names": self._provider_names,
            "version": index.version,
            "topic_names": index.topic_names,
        }

    def restore(
        self,
        articles: dict[str, Article],
        problems: dict[str, tuple[Problem, ...]],
        state: dict[str, Any],
        groups: list[tuple[GroupKind, str, str, tuple[Article, ...], array[float], int, str]],
    ) -> Index:
        """An empty builder takes the state export() gave and the groups (kind, slug, name,
        articles, keys, total, names) read back with it. Groups out of date order (by their keys,
        which the caller computes again from the articles' dates) are refused: ValueError, and
        the index is built instead. Totals are taken as written, like the order of articles of
        the same second (a snapshot's CRC guards them against damage)."""
        if self.index is not None:
            raise ValueError("restore() is for an empty builder")
        site, *rest = (
            Group(kind, slug, name, members, keys, total, names)
            for kind, slug, name, members, keys, total, names in groups
        )
        if site.kind != "site" or len(site.articles) != len(articles):
            raise ValueError("the site group is not every article")
        for group in (site, *rest):
            if (
                len(group.keys) != len(group.articles)
                or any(map(gt, group.keys, group.keys[1:]))
                or type(group.total) is not int
                or not 0 <= group.total < _MOD
            ):
                raise ValueError("a group out of order")
        topics = {g.slug: g for g in rest if g.kind == "topic"}
        providers = {g.slug: g for g in rest if g.kind == "provider"}
        if (
            len(topics) + len(providers) != len(rest)
            or list(topics) != sorted(topics)
            or list(providers) != sorted(providers)
        ):
            raise ValueError("groups")
        self._articles = articles
        self._file_problems = problems
        self._candidates = dict(zip(map(_ID, articles.values()), articles.values(), strict=True))
        if len(self._candidates) != len(articles):
            raise ValueError("duplicate URLs")
        self._topic_slugs = _str_map(state["topic_slugs"])
        self._spellings = {slug: _count_map(counts) for slug, counts in state["spellings"].items()}
        self._provider_names = {domain: _count_map(names) for domain, names in state["provider_names"].items()}
        self.index = self._index(site, topics, providers, _str_map(state["topic_names"]))
        if self.index.version != state["version"]:
            raise ValueError("another version of the index")
        return self.index

    def _first(self, changes: Mapping[str, LoadResult | Article | None]) -> Index:
        """apply() on an empty builder (a start): every article is new, no winner was shown before."""
        for path, result in changes.items():
            if isinstance(result, LoadResult):
                if result.problems:
                    self._file_problems[path] = result.problems
                result = result.article
            if result is not None:
                self._articles[path] = result
                self._add_candidate(result)
        winners = [found for found in self._candidates.values() if not isinstance(found, list)]
        winners.extend(winner for article_id in self._duplicated if (winner := self._winner(article_id)) is not None)
        self.index = self._rebuild([], winners)
        return self.index

    def _add_candidate(self, article: Article) -> None:
        found = self._candidates.get(article.id)
        if found is None:
            self._candidates[article.id] = article
        elif isinstance(found, list):
            found.append(article)
        else:
            self._candidates[article.id] = [found, article]
            self._duplicated.add(article.id)

    def _drop_candidate(self, article: Article) -> None:
        found = self._candidates[article.id]
        if isinstance(found, list):
            found.remove(article)
            if len(found) == 1:
                self._candidates[article.id] = found[0]
                self._duplicated.discard(article.id)
        else:
            del self._candidates[article.id]

    def _winner(self, article_id: str) -> Article | None:
        """The newer date wins, then the path that sorts first."""
        found = self._candidates.get(article_id)
        if isinstance(found, list):
            return min(found, key=lambda a: (-a.published_us, a.path))
        return found

    # groups --------------------------------------------------------------------------------

    def _topic_slug(self, spelling: str) -> str:
        slug = self._topic_slugs.get(spelling)
        if slug is None:
            slug = self._topic_slugs[spelling] = slugify(spelling)
        return slug

    def _collect(
        self,
        articles: list[Article],
        step: int,
        pending: dict[tuple[GroupKind, str], tuple[list[Article], list[Article]]],
    ) -> None:
        """For articles that leave (step -1) or join (+1) the index: count their topic spellings
        and provider names, and put each in the pending list (gone or new) of every group it
        belongs to: the site, each of its topics once, its provider. One loop for both ways,
        with the topic counting inline: a start runs it for 80,000 articles."""
        if not articles:  # (no pending site entry: the site group stays the same object)
            return
        slot = 0 if step < 0 else 1
        slugs, spellings, provider_names = self._topic_slugs, self._spellings, self._provider_names
        site = pending.setdefault(("site", ""), ([], []))[slot]
        for article in articles:
            site.append(article)
            seen: list[str] = []
            for spelling in article.topics:
                slug = slugs.get(spelling)
                if slug is None:
                    slug = self._topic_slug(spelling)
                counts = spellings.get(slug)  # _bump(spellings, slug, spelling, step), inline: 270,000 a start
                if counts is None:
                    counts = spellings[slug] = {}
                count = counts.get(spelling, 0) + step
                if count > 0:
                    counts[spelling] = count
                else:
                    counts.pop(spelling, None)
                if slug not in seen:
                    seen.append(slug)
                    pending.setdefault(("topic", slug), ([], []))[slot].append(article)
            provider = article.provider
            if provider is not None:
                _bump(provider_names, provider.domain, provider.name, step)
                pending.setdefault(("provider", provider.domain), ([], []))[slot].append(article)

    def _rebuild(self, removed: list[Article], added: list[Article]) -> Index:
        old = self.index
        pending: dict[tuple[GroupKind, str], tuple[list[Article], list[Article]]] = {}
        self._collect(removed, -1, pending)
        added.sort(key=_sort_key)  # once: each group then receives its new articles in order
        self._collect(added, +1, pending)
        for slug in [s for s, c in self._spellings.items() if not c]:
            del self._spellings[slug]
        topic_names = {slug: _most_common(counts) for slug, counts in self._spellings.items()}
        names = hashlib.blake2b(repr(sorted(topic_names.items())).encode(), digest_size=6).hexdigest()

        site = old.site if old else None
        topics = dict(old.topics) if old else {}
        providers = dict(old.providers) if old else {}
        names_changed = old is None or (old.site.names != names)
        for (kind, slug), (gone, new) in pending.items():
            if kind == "site":
                site = self._update(site, kind, slug, gone, new, names)
                continue
            groups = topics if kind == "topic" else providers
            group = self._update(groups.get(slug), kind, slug, gone, new, names)
            if group is None:
                groups.pop(slug, None)
            else:
                groups[slug] = group
        if names_changed:  # item categories show topic names: every feed's bytes change
            site = _renamed(site, names) if site else None
            topics = {s: _renamed(g, names) for s, g in topics.items()}
            providers = {s: _renamed(g, names) for s, g in providers.items()}
        if site is None:
            site = Group("site", "", self.site_title, (), array("d"), 0, names)
        topics = {s: topics[s] for s in sorted(topics)}
        providers = {s: providers[s] for s in sorted(providers)}
        return self._index(site, topics, providers, topic_names)

    def _index(
        self, site: Group, topics: dict[str, Group], providers: dict[str, Group], topic_names: dict[str, str]
    ) -> Index:
        """The Index of these groups and the builder's tables (a build's, or a restored one)."""
        return Index(
            site=site,
            topics=topics,
            providers=providers,
            problems=self._problems(topic_names),
            version=site.digest,
            topic_slugs=dict(self._topic_slugs),
            topic_names=topic_names,
        )

    def _update(
        self,
        group: Group | None,
        kind: GroupKind,
        slug: str,
        gone: list[Article],
        new: list[Article],
        names: str,
    ) -> Group | None:
        articles = list(group.articles) if group else []
        keys = array("d", group.keys) if group else array("d")
        total = group.total if group else 0
        for article in gone:
            at = bisect_left(articles, _sort_key(article), key=_sort_key)
            if at < len(articles) and articles[at] is article:
                del articles[at]
                del keys[at]
                total -= article.digest
        if not articles:  # `new` arrives sorted (see _rebuild)
            articles = new
            keys = date_keys(new)
            total += sum(map(_DIGEST, new))
        elif len(new) > 64 and len(new) * 4 > len(articles):  # a big batch: sort once
            articles.extend(new)
            articles.sort(key=_sort_key)
            keys = date_keys(articles)
            total += sum(map(_DIGEST, new))
        else:
            for article in new:
                at = bisect_left(articles, _sort_key(article), key=_sort_key)
                articles.insert(at, article)
                keys.insert(at, -article.timestamp)
                total += article.digest
        if not articles and kind != "site":
            return None
        if kind == "site":
            name = self.site_title
        elif kind == "topic":
            name = _most_common(self._spellings[slug])
        else:
            name = _most_common(self._provider_names[slug])
        return Group(kind, slug, name, tuple(articles), keys, total % _MOD, names)

    def _problems(self, topic_names: Mapping[str, str]) -> tuple[Problem, ...]:
        problems = [p for ps in self._file_problems.values() for p in ps]
        for article_id in self._duplicated:
            candidates = self._candidates[article_id]
            assert isinstance(candidates, list)
            winner = self._winner(article_id)
            assert winner is not None
            for loser in candidates:
                if loser is not winner:
                    problems.append(
                        Problem(
                            loser.path,
                            "webUrl",
                            f"duplicate of {winner.path}, which has the same webUrl and wins; not shown",
                        )
                    )
        for slug, counts in self._spellings.items():
            if len({_fold(s) for s in counts}) > 1:
                spelled = ", ".join(repr(s) for s in sorted(counts))
                problems.append(
                    Problem(
                        "",
                        "topics",
                        f"topic names {spelled} differ in more than case, spaces or punctuation but share the "
                        f"slug {slug!r}; they are shown as one topic, {topic_names[slug]!r}",
                        "warning",
                    )
                )
        problems.sort(key=lambda p: (p.path, p.field, p.message))
        return tuple(problems)


def _str_map(value: Any) -> dict[str, str]:
    if type(value) is not dict or not all(type(v) is str for v in value.values()):
        raise ValueError("a table of names")
    return value


def _count_map(value: Any) -> dict[str, int]:
    if type(value) is not dict or not all(type(v) is int and v > 0 for v in value.values()):
        raise ValueError("a table of counts")
    return value


def _renamed(group: Group, names: str) -> Group:
    if group.names == names:
        return group
    return Group(group.kind, group.slug, group.name, group.articles, group.keys, group.total, names)


def build_index(results: Iterable[LoadResult], site_title: str = "feeds") -> Index:
    """Every file's LoadResult -> the index, resolving duplicate URLs and topic spellings."""
    builder = IndexBuilder(site_title)
    return builder.apply({r.path: r for r in results})
