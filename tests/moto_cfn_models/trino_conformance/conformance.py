"""Trino's documented examples, run through the local Athena engine (moto_cfn_models.athena_engine).

The cases (``cases/*.yaml``, one file per page of trinodb/trino's docs) are the pages' examples with
their stated results, written as Athena prints them in GetQueryResults, and ``described`` cases that
apply a rule a page states in words. Each case comes out one of:

* ``right``: the engine's rows are the expected rows (or, for a case that must fail, it failed);
* ``refused``: the engine refused it before running, with a QueryFailedError naming the construct;
* ``wrong``: anything else: another answer, a failure that is not a refusal, another exception.

``python -m tests.moto_cfn_models.trino_conformance.conformance`` prints the counts and each wrong
case; ``--readme`` prints the README's generated block instead, and ``--write-readme`` writes it
into README.md between its markers (test_readme_sql.py checks that it is current).
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from moto_cfn_models.athena_engine import LocalAthenaEngine, QueryFailedError, QueryRequest

CASES_DIR = Path(__file__).parent / "cases"
README = Path(__file__).parents[3] / "README.md"
README_BEGIN, README_END = "<!-- sql-conformance:begin -->\n", "\n<!-- sql-conformance:end -->"
DOCS_URL = "https://github.com/trinodb/trino/blob/{commit}/{source}"
#: The query clock: no documented case reads it, but the engine needs one.
STARTED_AT = datetime(2026, 11, 20, 12, 0)
_CASE_KEYS = {"id", "sql", "result", "rows", "error", "unordered", "kind", "note", "documented"}

Row = list[str | None]


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    commit: str
    sql: str
    #: The rows Athena returns, each value as GetQueryResults writes it (None for NULL); None
    #: where the documented outcome is a failure.
    rows: tuple[tuple[str | None, ...], ...] | None
    #: The row order (and a collection's element order) is not defined by the query.
    unordered: bool
    #: ``example`` (the page's own) or ``described`` (a rule the page states, applied).
    kind: str
    note: str

    @property
    def topic(self) -> str:
        return Path(self.source).stem


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str  # right, refused, wrong
    detail: str = ""
    #: For a refusal: the construct it names.
    construct: str = ""


def _value(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{where}: write every value as a quoted string (or null), not {value!r}")


def _case(raw: dict, source: str, commit: str) -> Case:
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{source} {raw.get('id')}: unknown keys {sorted(unknown)}")
    where = f"{source} {raw['id']}"
    if raw.get("error"):
        rows = None
    elif "rows" in raw:
        rows = tuple(tuple(_value(v, where) for v in row) for row in raw["rows"])
    elif "result" in raw:
        rows = ((_value(raw["result"], where),),)
    else:
        raise ValueError(f"{where}: needs result, rows or error")
    return Case(
        id=raw["id"],
        source=source,
        commit=commit,
        sql=raw["sql"].strip(),
        rows=rows,
        unordered=bool(raw.get("unordered")),
        kind=raw.get("kind", "example"),
        note=str(raw.get("note", "")),
    )


@cache
def load_cases() -> tuple[Case, ...]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.extend(
            _case(raw, document["source"], document["commit"]) for raw in document["cases"]
        )
    ids = Counter(case.id for case in cases)
    duplicates = [case_id for case_id, count in ids.items() if count > 1]
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return tuple(cases)


class _EmptyStore:
    """No lake: the documented examples read no table."""

    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        return []

    def get_object(self, bucket: str, key: str) -> bytes:
        raise KeyError(key)

    def put_object(self, bucket: str, key: str, body: bytes, encryption: object) -> None:
        raise AssertionError("a documented example writes nothing")


def engine() -> LocalAthenaEngine:
    return LocalAthenaEngine(lambda database, table: None, _EmptyStore())


def _top_level_items(text: str) -> list[str] | None:
    """``[a, [b, c]]`` or ``{k=v, ...}`` -> its items, split at the top-level ``, ``."""
    if len(text) < 2 or (text[0], text[-1]) not in (("[", "]"), ("{", "}")):
        return None
    items, depth, start, body = [], 0, 0, text[1:-1]
    for index, char in enumerate(body):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if depth == 0 and body.startswith(", ", index):
            items.append(body[start:index])
            start = index + 2
    if body:
        items.append(body[start:])
    return items


def _unordered_value(value: str | None) -> object:
    items = None if value is None else _top_level_items(value)
    return value if items is None else (value[0], tuple(sorted(items)))


def same_rows(case: Case, rows: list[Row]) -> bool:
    assert case.rows is not None
    expected = [list(row) for row in case.rows]
    if not case.unordered:
        return rows == expected

    def key(row: Row) -> tuple:
        return tuple(repr(_unordered_value(v)) for v in row)

    return sorted(map(key, rows)) == sorted(map(key, expected))


def _named_in_query(construct: str, sql: str) -> bool:
    """A refusal's construct is named in the query: one of its words (3 letters or more, a
    function or type name) occurs in the SQL."""
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", construct)
    lowered = sql.lower()
    return any(word.lower() in lowered for word in words)


def run_case(case: Case, athena: LocalAthenaEngine | None = None) -> Outcome:
    athena = athena or engine()
    try:
        outcome = athena.run(QueryRequest(case.sql, None, STARTED_AT, None))
    except QueryFailedError as error:
        construct = getattr(error, "construct", None) or ""
        if construct:
            if not _named_in_query(construct, case.sql):
                return Outcome(
                    case, "wrong", f"refused naming {construct!r}, not in the query", construct
                )
            return Outcome(case, "refused", error.reason, construct)
        if case.rows is None:
            return Outcome(case, "right", f"failed as documented: {error.reason}")
        return Outcome(case, "wrong", f"failed without a refusal: {error.reason}")
    except Exception as error:
        return Outcome(case, "wrong", f"{type(error).__name__}: {error}")
    if case.rows is None:
        return Outcome(case, "wrong", f"returned {outcome.rows}, but Trino fails")
    if same_rows(case, outcome.rows):
        return Outcome(case, "right")
    expected = [list(row) for row in case.rows]
    return Outcome(case, "wrong", f"returned {outcome.rows}, expected {expected}")


def run_all() -> list[Outcome]:
    athena = engine()
    return [run_case(case, athena) for case in load_cases()]


def counts(outcomes: list[Outcome]) -> Counter[str]:
    found = Counter(outcome.verdict for outcome in outcomes)
    return Counter({verdict: found[verdict] for verdict in ("right", "refused", "wrong")})


# --- the README's section ---------------------------------------------------------------------


_CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(", re.IGNORECASE)


def _functions_answered(outcomes: list[Outcome]) -> list[str]:
    """The functions the cases answered right call (as the query writes them)."""
    from moto_cfn_models.athena_functions import FUNCTIONS  # noqa: PLC0415

    names = set()
    for outcome in outcomes:
        if outcome.verdict == "right":
            names.update(n.lower() for n in _CALL.findall(outcome.case.sql))
    return sorted(n for n in names if n in FUNCTIONS and not n.startswith("_"))


def render_readme(outcomes: list[Outcome]) -> str:
    """The README table: per page of Trino's docs, the functions whose cases give Athena's answer
    and the constructs refused."""
    by_topic: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_topic[outcome.case.source].append(outcome)
    total = counts(outcomes)
    lines = [
        f"{len(outcomes)} examples from Trino's function documentation "
        "([tests/moto_cfn_models/trino_conformance](tests/moto_cfn_models/trino_conformance)): "
        f"{total['right']} give Athena's answer, {total['refused']} are refused by name, "
        f"{total['wrong']} give another answer.",
        "",
        "| Trino docs page | cases | Athena's answer | refused | functions answered | refused |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for source in sorted(by_topic):
        group = by_topic[source]
        found = counts(group)
        refused = sorted({o.construct for o in group if o.verdict == "refused"})
        commit = group[0].case.commit
        page = f"[{Path(source).name}]({DOCS_URL.format(commit=commit, source=source)})"
        answered = ", ".join(f"`{name}`" for name in _functions_answered(group)) or "operators"
        names = ", ".join(f"`{name}`" for name in refused) or "none"
        lines.append(
            f"| {page} | {len(group)} | {found['right']} | {found['refused']} | {answered} "
            f"| {names} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    outcomes = run_all()
    if "--readme" in argv:
        print(render_readme(outcomes))
        return 0
    if "--write-readme" in argv:
        text = README.read_text(encoding="utf-8")
        before, _, rest = text.partition(README_BEGIN)
        _, _, after = rest.partition(README_END)
        README.write_text(
            before + README_BEGIN + render_readme(outcomes) + README_END + after, encoding="utf-8"
        )
        return 0
    for outcome in outcomes:
        if outcome.verdict == "wrong":
            print(f"WRONG {outcome.case.id}: {outcome.detail}")
    found = counts(outcomes)
    print(f"right {found['right']}, refused {found['refused']}, wrong {found['wrong']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
