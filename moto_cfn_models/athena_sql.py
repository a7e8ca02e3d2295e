"""Athena's SQL (Trino) translated to DuckDB, each expression typed as Trino types it.

sqlglot parses the statement as Trino, with its function table emptied so that every function
call keeps the name and arguments the query wrote. The translator then walks the tree: it resolves
each column against the query's tables (the Glue columns), subqueries, CTEs and VALUES, gives every
expression its Trino type (``moto_cfn_models.athena_types``), and writes the DuckDB expression
that computes Trino's answer: decimal literals keep their precision and scale, integer division
truncates, ``date + interval`` stays a date, ``day_of_week`` is ISO's, a missing map key and an
array index out of bounds fail, ``array_position`` gives 0 when not found, and so on.

Only what is listed here is translated. Any other function, operator, type or clause is refused
before the query runs, with a QueryFailedError whose ``construct`` names it: the engine answers as
Athena does, or refuses; it never gives another answer knowingly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, SqlglotError

from moto_cfn_models import athena_types as ty
from moto_cfn_models.athena_types import T

_NOT_SUPPORTED = "NOT_SUPPORTED"
#: DuckDB's error() text for a failure Trino raises at run time, and for a refusal that only the
#: data can decide (the engine turns both into QueryFailedError).
RUNTIME_ERROR = "TRINO_ERROR:"
RUNTIME_REFUSAL = "TRINO_REFUSED:"
#: What Trino's trim() removes (Java's whitespace).
_WHITESPACE = (
    " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
)


class SqlError(Exception):
    """Raised by the translator; the engine turns it into QueryFailedError."""

    def __init__(self, reason: str, construct: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.construct = construct


def refuse(construct: str, why: str) -> SqlError:
    """The local engine cannot run ``construct`` as Athena does."""
    return SqlError(f"{_NOT_SUPPORTED}: {construct}: {why}", construct=construct)


def user_error(code: str, message: str) -> SqlError:
    """A query Athena rejects too (a type mismatch, an unknown column...)."""
    return SqlError(f"{code}: {message}")


# --- dialects -----------------------------------------------------------------------------------


class _Trino(Trino):
    # Array subscripts stay as written (1-based, as DuckDB's lists are).
    INDEX_OFFSET = 0

    class Parser(Trino.Parser):
        # Every call keeps its name and arguments (exp.Anonymous): the translator knows each.
        FUNCTIONS: dict = {}  # noqa: RUF012 - sqlglot's class attribute


class _Duck(DuckDB):
    class Generator(DuckDB.Generator):
        def lambda_sql(
            self, expression: exp.Lambda, arrow_sep: str = "->", wrap: bool = True
        ) -> str:
            params = ", ".join(self.sql(e) for e in expression.expressions)
            return f"lambda {params}: {self.sql(expression, 'this')}"


_TRINO = _Trino()
_DUCK = _Duck()


_OPERATORS = (exp.Binary, exp.Not, exp.Neg, exp.Between, exp.In)


def _parenthesize(tree: exp.Expression) -> exp.Expression:
    """Parentheses around every operator inside another: the translator builds trees, not text,
    and sqlglot writes operators without regard to precedence."""
    for node in list(tree.walk()):
        if not isinstance(node, _OPERATORS) or isinstance(
            node, exp.Paren | exp.Escape | exp.PropertyEQ
        ):
            continue
        for key, child in list(node.args.items()):
            if isinstance(child, _OPERATORS) and not isinstance(child, exp.Paren | exp.PropertyEQ):
                node.set(key, exp.Paren(this=child))
    return tree


def duck_sql(tree: exp.Expression) -> str:
    try:
        return _DUCK.generate(_parenthesize(tree))
    except SqlglotError as error:
        raise refuse(type(tree).__name__, str(error).splitlines()[0]) from error


# --- numbers as Trino writes them ----------------------------------------------------------------

_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+"
    r"|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?"
)


_DECIMAL_LITERAL = re.compile(r"DECIMAL\s*('[^']*')", re.IGNORECASE)


def normalize_numbers(sql: str) -> str:
    """Trino's numeric literals (``0x0A``, ``0b101``, ``0o17``, ``1_000``) as plain decimals, which
    sqlglot reads; strings, quoted identifiers and comments are left alone."""
    out, index, length = [], 0, len(sql)
    while index < length:
        char = sql[index]
        if char in "'\"":
            end = index + 1
            while end < length:
                if sql[end] == char:
                    if end + 1 < length and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[index : end + 1])
            index = end + 1
            continue
        if sql.startswith("--", index):
            end = sql.find("\n", index)
            end = length if end < 0 else end
            out.append(sql[index:end])
            index = end
            continue
        if sql.startswith("/*", index):
            end = sql.find("*/", index + 2)
            end = length if end < 0 else end + 2
            out.append(sql[index:end])
            index = end
            continue
        previous = sql[index - 1] if index else " "
        decimal = (
            _DECIMAL_LITERAL.match(sql, index)
            if not (previous.isalnum() or previous in '_.$"')
            else None
        )
        if decimal:
            # DECIMAL '1.20' (a literal of its own precision), not CAST('1.20' AS DECIMAL).
            out.append(f"__decimal_literal({decimal[1]})")
            index = decimal.end()
            continue
        match = _NUMBER.match(sql, index) if not (previous.isalnum() or previous in "_.$") else None
        if match and match.group():
            text = match.group()
            following = sql[match.end()] if match.end() < length else " "
            if following.isalnum() or following == "_":
                # An identifier such as 1abc, or x'..' handled as a string: leave it.
                out.append(char)
                index += 1
                continue
            out.append(_plain_number(text))
            index = match.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _plain_number(text: str) -> str:
    if "_" in text:
        if re.search(
            r"(^|[^0-9a-fA-F])_|_($|[^0-9a-fA-F])|__",
            text[2:] if text[:2].lower() in ("0x", "0b", "0o") else text,
        ):
            raise user_error("SYNTAX_ERROR", f"invalid numeric literal {text!r}")
        text = text.replace("_", "")
    prefix = text[:2].lower()
    base = {"0x": 16, "0b": 2, "0o": 8}.get(prefix)
    return str(int(text[2:], base)) if base else text


def parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in _TRINO.parse(normalize_numbers(sql)) if s is not None]
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        near = " ".join(
            part for part in (details.get("start_context"), details.get("highlight")) if part
        ).split()[-3:]
        construct = "SQL near " + " ".join(near) if near else "this SQL"
        raise refuse(
            construct,
            "the local engine's parser (sqlglot) does not read this: "
            + str(error).strip().splitlines()[0],
        ) from error
    if len(statements) != 1:
        raise user_error("SYNTAX_ERROR", f"expected one statement, got {len(statements)}")
    return statements[0]


# --- building DuckDB expressions ------------------------------------------------------------------


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def at(node: exp.Expression, position: exp.Expression) -> exp.Expression:
    """``node[position]`` for a DuckDB list or map, 1-based as written."""
    return exp.Bracket(this=node, expressions=[position], offset=1)


def lit(value: object) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(str(value))
    return exp.Literal.string(str(value))


def cast(node: exp.Expression, duck_type: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(duck_type, dialect="duckdb"))


def paren(node: exp.Expression) -> exp.Expression:
    return exp.Paren(this=node)


def case(
    *whens: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None
) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=cond, true=value) for cond, value in whens], default=default)


_IN_TRY: list[bool] = [False]


def runtime_error(message: exp.Expression | str) -> exp.Expression:
    """A DuckDB expression that fails the query with Trino's message (inside try(): NULL)."""
    if _IN_TRY[0]:
        return exp.Null()
    text = lit(message) if isinstance(message, str) else message
    return fn("error", exp.DPipe(this=lit(RUNTIME_ERROR), expression=text))


def runtime_refusal(construct: str, why: str) -> exp.Expression:
    return fn("error", lit(f"{RUNTIME_REFUSAL}{construct}:{why}"))


def is_null(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=node, expression=exp.Null())


def any_null(*nodes: exp.Expression) -> exp.Expression:
    condition: exp.Expression = is_null(nodes[0])
    for node in nodes[1:]:
        condition = exp.Or(this=condition, expression=is_null(node))
    return condition


_NOT_A_LITERAL = object()


@dataclass
class Typed:
    """A translated expression: the DuckDB tree and its Trino type."""

    node: exp.Expression
    type: T
    #: The Python value when the expression is a literal (numbers, strings, booleans, NULL).
    literal: Any = _NOT_A_LITERAL
    #: The name Trino gives a result column computed by this expression.
    name: str | None = None

    @property
    def is_literal(self) -> bool:
        return self.literal is not _NOT_A_LITERAL


# --- scopes -----------------------------------------------------------------------------------


@dataclass
class Source:
    """A relation in a FROM clause: its alias, its columns and how DuckDB names it."""

    alias: str | None
    columns: list[tuple[str, T]]
    duck_alias: str | None
    database: str | None = None


@dataclass
class Scope:
    sources: list[Source] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, list[tuple[str, T]]] = field(default_factory=dict)
    lambdas: dict[str, tuple[str, T]] = field(default_factory=dict)

    def child(self) -> Scope:
        return Scope(parent=self, ctes=dict(self.ctes), lambdas=dict(self.lambdas))

    def with_lambdas(self, params: Mapping[str, tuple[str, T]]) -> Scope:
        scope = Scope(self.sources, self.parent, self.ctes, {**self.lambdas, **params})
        return scope


TableColumns = Callable[[str | None, str], tuple[str, str, list[tuple[str, T]]]]
"""(database or None, table) -> (database, DuckDB view name, columns with their types)."""


@dataclass
class Clock:
    """The query's start time, UTC: what current_date and now() return."""

    started_at: datetime


@dataclass
class Translation:
    tree: exp.Expression
    columns: list[tuple[str, T]]


# --- the translator -----------------------------------------------------------------------------


def _name(node: exp.Expression | None) -> str:
    return "" if node is None else node.name.lower()


def construct_name(node: exp.Expression) -> str:
    """A node's name as a refusal gives it: a function's name, else its first words of SQL."""
    text = _sql(node)
    head = text.split("(")[0].strip()
    return head.lower() if head and " " not in head else text[:40]


def _sql(node: exp.Expression) -> str:
    try:
        return node.sql(dialect="trino")
    except SqlglotError:
        return type(node).__name__


class Translator:
    """Translates one statement; ``table_columns`` looks up (and registers) the lake's tables."""

    def __init__(self, table_columns: TableColumns, clock: Clock) -> None:
        self._table_columns = table_columns
        self._clock = clock
        self._counter = 0
        #: A runtime refusal was written inside try(): try() would hide it.
        self.has_runtime_checks = False

    def fresh(self, prefix: str = "v") -> str:
        self._counter += 1
        return f"__{prefix}{self._counter}"

    # --- statements ---------------------------------------------------------------------------

    def statement(self, tree: exp.Expression) -> Translation:
        if isinstance(tree, exp.Command):
            raise refuse(tree.name.upper(), "the local engine runs SELECT queries and UNLOAD only")
        if not isinstance(tree, exp.Query):
            raise refuse(tree.key.upper(), "the local engine runs SELECT queries and UNLOAD only")
        node, columns = self.query(tree, Scope())
        return Translation(node, columns)

    def query(
        self, node: exp.Expression, scope: Scope
    ) -> tuple[exp.Expression, list[tuple[str, T]]]:
        if isinstance(node, exp.Subquery):
            inner, columns = self.query(node.this, scope)
            result = exp.Subquery(this=inner)
            self._order_limit(node, result, columns, None, scope)
            return result, columns
        if isinstance(node, exp.Select):
            return self.select(node, scope)
        if isinstance(node, exp.SetOperation):
            return self.set_operation(node, scope)
        if isinstance(node, exp.Values):
            return self.values(node, scope)
        raise refuse(node.key.upper(), "the local engine cannot run this query form")

    def _with(self, node: exp.Expression, scope: Scope) -> exp.With | None:
        with_ = node.args.get("with_") or node.args.get("with")
        if not with_:
            return None
        if with_.args.get("recursive"):
            raise refuse("WITH RECURSIVE", "the local engine does not run recursive queries")
        ctes = []
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            inner, columns = self.query(cte.this, scope)
            names = [c.name.lower() for c in (cte.args["alias"].columns or [])]
            if names:
                if len(names) != len(columns):
                    raise user_error(
                        "MISMATCHED_COLUMN_ALIASES",
                        f"WITH query {name} has {len(columns)} columns, {len(names)} aliases",
                    )
                columns = [(n, t) for n, (_, t) in zip(names, columns, strict=True)]
                inner = self._renamed(inner, [c[0] for c in columns])
            scope.ctes[name] = columns
            ctes.append(
                exp.CTE(this=inner, alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
            )
        return exp.With(expressions=ctes)

    def _renamed(self, query: exp.Expression, names: list[str]) -> exp.Expression:
        alias = exp.TableAlias(
            this=exp.to_identifier("__renamed", quoted=True),
            columns=[exp.to_identifier(n, quoted=True) for n in names],
        )
        return exp.select("*").from_(exp.Subquery(this=query, alias=alias))

    def select(  # noqa: PLR0912
        self, node: exp.Select, outer: Scope
    ) -> tuple[exp.Expression, list[tuple[str, T]]]:
        self._refuse_args(
            node,
            {"expressions", "from_", "from", "joins", "where", "group", "having", "order",
             "limit", "offset", "distinct", "with_", "with", "windows"},
        )  # fmt: skip
        scope = outer.child()
        with_ = self._with(node, scope)
        result = exp.Select()
        if with_ is not None:
            result.set("with_", with_)
        from_ = node.args.get("from_") or node.args.get("from")
        if from_ is not None:
            result.set("from_", exp.From(this=self.relation(from_.this, scope)))
        joins = []
        for join in node.args.get("joins") or []:
            joins.append(self.join(join, scope))
        if joins:
            result.set("joins", joins)
        if node.args.get("windows"):
            raise refuse("WINDOW", "the local engine does not run named windows")
        if where := node.args.get("where"):
            condition = self.boolean(where.this, scope, "WHERE")
            result.set("where", exp.Where(this=condition.node))
        if group := node.args.get("group"):
            for key in ("grouping_sets", "cube", "rollup", "totals"):
                if group.args.get(key):
                    raise refuse(
                        f"GROUP BY {key.upper().replace('_', ' ')}",
                        "the local engine groups by plain expressions only",
                    )
            keys = []
            for expression in group.expressions:
                if isinstance(expression, exp.Literal) and not expression.is_string:
                    keys.append(expression.copy())
                else:
                    keys.append(self.expr(expression, scope).node)
            result.set("group", exp.Group(expressions=keys))
        projections: list[exp.Expression] = []
        columns: list[tuple[str, T]] = []
        shadowing: set[str] = set()
        for index, item in enumerate(self._expand_stars(node.expressions, scope)):
            if isinstance(item, tuple):
                name, typed = item
            else:
                alias = item.alias if isinstance(item, exp.Alias) else None
                expression = item.this if isinstance(item, exp.Alias) else item
                typed = self.expr(expression, scope)
                name = (alias.lower() if alias else None) or typed.name or f"_col{index}"
                if not (isinstance(expression, exp.Column) and expression.name.lower() == name):
                    shadowing.add(name)
            projections.append(
                exp.Alias(this=typed.node, alias=exp.to_identifier(name, quoted=True))
            )
            columns.append((name, typed.type))
        result.set("expressions", projections)
        if distinct := node.args.get("distinct"):
            if distinct.args.get("on"):
                raise refuse("DISTINCT ON", "Trino has no DISTINCT ON")
            result.set("distinct", exp.Distinct())
        if having := node.args.get("having"):
            result.set("having", exp.Having(this=self.boolean(having.this, scope, "HAVING").node))
        self._order_limit(node, result, columns, scope, outer, frozenset(shadowing))
        return result, columns

    def _refuse_args(self, node: exp.Expression, allowed: set[str]) -> None:
        for key, value in node.args.items():
            if value and key not in allowed:
                raise refuse(key.upper(), "the local engine does not run this clause")

    def _expand_stars(self, items: Sequence[exp.Expression], scope: Scope) -> list[Any]:
        expanded: list[Any] = []
        for item in items:
            star_table = None
            if isinstance(item, exp.Star):
                sources = scope.sources
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                star_table = item.table.lower()
                sources = [s for s in scope.sources if s.alias == star_table]
                if not sources:
                    raise user_error(
                        "COLUMN_NOT_FOUND", f"Table '{star_table}' does not exist in the query"
                    )
            else:
                expanded.append(item)
                continue
            if not sources:
                raise user_error("SYNTAX_ERROR", "SELECT * with no FROM clause")
            for source in sources:
                for name, t in source.columns:
                    reference = exp.Column(
                        this=exp.to_identifier(name, quoted=True),
                        table=exp.to_identifier(source.duck_alias, quoted=True)
                        if source.duck_alias
                        else None,
                    )
                    expanded.append((name, Typed(reference, t, name=name)))
        return expanded

    def _order_limit(  # noqa: PLR0912, PLR0917
        self,
        node: exp.Expression,
        result: exp.Expression,
        columns: list[tuple[str, T]],
        scope: Scope | None,
        outer: Scope,
        shadowing: frozenset[str] = frozenset(),
    ) -> None:
        if order := node.args.get("order"):
            items = []
            names = [name for name, _ in columns]
            for ordered in order.expressions:
                key = ordered.this
                if isinstance(key, exp.Literal) and not key.is_string:
                    position = int(key.name)
                    if not 1 <= position <= len(columns):
                        raise user_error(
                            "INVALID_COLUMN_REFERENCE",
                            f"ORDER BY position {position} is not in select list",
                        )
                    target: exp.Expression = exp.Column(
                        this=exp.to_identifier(names[position - 1], quoted=True)
                    )
                elif (
                    isinstance(key, exp.Column)
                    and not key.table
                    and key.name.lower() in names
                    and names.count(key.name.lower()) == 1
                ):
                    target = exp.Column(this=exp.to_identifier(key.name.lower(), quoted=True))
                elif scope is not None:
                    # Trino reads a select alias in an ORDER BY expression before the input column
                    # of that name; the translation reads the input column.
                    for column in key.find_all(exp.Column):
                        if not column.table and column.name.lower() in shadowing:
                            raise refuse(
                                f"ORDER BY an expression of the select alias {column.name}",
                                "the local engine orders by an alias itself, or input columns",
                            )
                    target = self.expr(key, scope).node
                else:
                    raise refuse(
                        "ORDER BY", "the local engine orders a set operation by its columns only"
                    )
                desc = bool(ordered.args.get("desc"))
                nulls_first = (
                    bool(ordered.args.get("nulls_first"))
                    if ordered.args.get("nulls_first") is not None
                    else False
                )
                items.append(exp.Ordered(this=target, desc=desc, nulls_first=nulls_first))
            result.set("order", exp.Order(expressions=items))
        for key in ("limit", "offset"):
            if clause := node.args.get(key):
                value = clause.expression
                if value is None:
                    value = clause.this
                if not (isinstance(value, exp.Literal) and not value.is_string):
                    raise refuse(key.upper(), "the local engine takes a number here")
                result.set(
                    key,
                    exp.Limit(expression=value.copy())
                    if key == "limit"
                    else exp.Offset(expression=value.copy()),
                )

    def set_operation(
        self, node: exp.SetOperation, scope: Scope
    ) -> tuple[exp.Expression, list[tuple[str, T]]]:
        inner = scope.child()
        with_ = self._with(node, inner)
        left, left_columns = self.query(node.this, inner)
        right, right_columns = self.query(node.expression, inner)
        if len(left_columns) != len(right_columns):
            raise user_error(
                "TYPE_MISMATCH",
                f"{node.key.upper()} query has different number of fields: "
                f"{len(left_columns)}, {len(right_columns)}",
            )
        columns = []
        for (name, a), (_, b) in zip(left_columns, right_columns, strict=True):
            common = ty.common_type(a, b)
            if common is None:
                raise user_error(
                    "TYPE_MISMATCH",
                    f"column {name!r} types {a.trino()} and {b.trino()} are not compatible",
                )
            columns.append((name, common))
        left = self._cast_columns(left, left_columns, columns)
        right = self._cast_columns(right, right_columns, columns)
        kind = type(node)
        result = kind(this=left, expression=right, distinct=node.args.get("distinct", True))
        if with_ is not None:
            result.set("with_", with_)
        self._order_limit(node, result, columns, None, scope)
        return result, columns

    def _cast_columns(
        self, query: exp.Expression, have: list[tuple[str, T]], want: list[tuple[str, T]]
    ) -> exp.Expression:
        if [t for _, t in have] == [t for _, t in want]:
            return query
        alias = self.fresh("u")
        projections = []
        for index, ((_, source), (_, target)) in enumerate(zip(have, want, strict=True)):
            column = exp.Column(
                this=exp.to_identifier(f"c{index}", quoted=True),
                table=exp.to_identifier(alias, quoted=True),
            )
            projections.append(
                exp.Alias(
                    this=self.coerce(Typed(column, source), target).node,
                    alias=exp.to_identifier(want[index][0], quoted=True),
                )
            )
        subquery = exp.Subquery(
            this=query,
            alias=exp.TableAlias(
                this=exp.to_identifier(alias, quoted=True),
                columns=[exp.to_identifier(f"c{i}", quoted=True) for i in range(len(have))],
            ),
        )
        return exp.Select(expressions=projections).from_(subquery)

    def values(
        self, node: exp.Values, scope: Scope, names: list[str] | None = None
    ) -> tuple[exp.Expression, list[tuple[str, T]]]:
        rows: list[list[Typed]] = []
        for tuple_ in node.expressions:
            items = tuple_.expressions if isinstance(tuple_, exp.Tuple) else [tuple_]
            rows.append([self.expr(item, scope) for item in items])
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise user_error("SYNTAX_ERROR", "VALUES rows have different numbers of columns")
        types = []
        for index in range(width):
            common = rows[0][index].type
            for r in rows[1:]:
                found = ty.common_type(common, r[index].type)
                if found is None:
                    raise user_error(
                        "TYPE_MISMATCH",
                        f"VALUES column {index + 1} mixes {common.trino()} and "
                        f"{r[index].type.trino()}",
                    )
                common = found
            types.append(common)
        names = names or [f"_col{i}" for i in range(width)]
        tuples = [
            exp.Tuple(expressions=[self.coerce(v, t).node for v, t in zip(r, types, strict=True)])
            for r in rows
        ]
        return exp.Values(expressions=tuples), list(zip(names, types, strict=True))

    # --- relations ----------------------------------------------------------------------------

    def relation(self, node: exp.Expression, scope: Scope) -> exp.Expression:  # noqa: PLR0912
        alias_node = node.args.get("alias")
        alias = alias_node.name.lower() if alias_node and alias_node.name else None
        column_names = [c.name.lower() for c in (alias_node.columns if alias_node else [])]
        if isinstance(node, exp.Table):
            if node.args.get("joins") or node.args.get("pivots") or node.args.get("sample"):
                raise refuse("TABLESAMPLE", "the local engine reads whole tables")
            name = node.name.lower()
            if not isinstance(node.this, exp.Identifier):
                raise refuse(_sql(node), "the local engine reads tables by name only")
            if node.args.get("catalog") and node.catalog.lower() != "awsdatacatalog":
                raise refuse(
                    f"catalog {node.catalog!r}",
                    "the local engine reads the AWS Glue Data Catalog only",
                )
            if not node.db and name in scope.ctes:
                columns = scope.ctes[name]
                duck_alias = alias or name
                table = exp.Table(
                    this=exp.to_identifier(name, quoted=True),
                    alias=exp.TableAlias(this=exp.to_identifier(duck_alias, quoted=True)),
                )
                database = None
            else:
                database, view, columns = self._table_columns(node.db.lower() or None, name)
                duck_alias = alias or name
                table = exp.Table(
                    this=exp.to_identifier(view, quoted=True),
                    alias=exp.TableAlias(this=exp.to_identifier(duck_alias, quoted=True)),
                )
            if column_names:
                columns = self._rename(columns, column_names, duck_alias)
                table.set(
                    "alias",
                    exp.TableAlias(
                        this=exp.to_identifier(duck_alias, quoted=True),
                        columns=[exp.to_identifier(n, quoted=True) for n in column_names],
                    ),
                )
            scope.sources.append(Source(duck_alias, columns, duck_alias, database))
            return table
        if isinstance(node, exp.Subquery):
            if not alias:
                alias = self.fresh("q")
            if isinstance(node.this, exp.Values):
                inner, columns = self.values(
                    node.this, scope.parent or Scope(), column_names or None
                )
            else:
                inner, columns = self.query(node.this, Scope(parent=scope.parent, ctes=scope.ctes))
                if column_names:
                    columns = self._rename(columns, column_names, alias)
            scope.sources.append(Source(alias, columns, alias))
            return exp.Subquery(
                this=inner,
                alias=exp.TableAlias(
                    this=exp.to_identifier(alias, quoted=True),
                    columns=[exp.to_identifier(n, quoted=True) for n, _ in columns],
                ),
            )
        if isinstance(node, exp.Values):
            alias = alias or self.fresh("q")
            inner, columns = self.values(node, scope.parent or Scope(), column_names or None)
            scope.sources.append(Source(alias, columns, alias))
            return exp.Subquery(
                this=inner,
                alias=exp.TableAlias(
                    this=exp.to_identifier(alias, quoted=True),
                    columns=[exp.to_identifier(n, quoted=True) for n, _ in columns],
                ),
            )
        if isinstance(node, exp.Unnest):
            return self.unnest(node, scope, alias, column_names)
        raise refuse(node.key.upper(), "the local engine cannot read this relation")

    def _rename(
        self, columns: list[tuple[str, T]], names: list[str], alias: str
    ) -> list[tuple[str, T]]:
        if len(names) != len(columns):
            raise user_error(
                "MISMATCHED_COLUMN_ALIASES",
                f"{alias} has {len(columns)} columns, {len(names)} aliases",
            )
        return [(n, t) for n, (_, t) in zip(names, columns, strict=True)]

    def unnest(
        self, node: exp.Unnest, scope: Scope, alias: str | None, names: list[str]
    ) -> exp.Expression:
        if node.args.get("offset"):
            raise refuse("UNNEST WITH ORDINALITY", "the local engine unnests without ordinality")
        if len(node.expressions) != 1:
            raise refuse("UNNEST", "the local engine unnests one array at a time")
        typed = self.expr(node.expressions[0], scope)
        if typed.type.kind != "array":
            raise refuse(f"UNNEST of {typed.type.trino()}", "the local engine unnests arrays only")
        element = typed.type.element
        if element.kind == "row":
            raise refuse(
                "UNNEST of an array of rows", "the local engine does not expand rows into columns"
            )
        alias = alias or self.fresh("n")
        column = (names or ["_col0"])[0]
        scope.sources.append(Source(alias, [(column, element)], alias))
        return exp.Unnest(
            expressions=[typed.node],
            alias=exp.TableAlias(
                this=exp.to_identifier(alias, quoted=True),
                columns=[exp.to_identifier(column, quoted=True)],
            ),
        )

    def join(self, join: exp.Join, scope: Scope) -> exp.Expression:
        kind = (join.args.get("kind") or "").upper()
        side = (join.args.get("side") or "").upper()
        if join.args.get("method") or kind not in ("", "INNER", "OUTER", "CROSS"):
            raise refuse(
                f"{kind or join.args.get('method')} JOIN",
                "the local engine runs inner, outer and cross joins",
            )
        if join.args.get("using"):
            raise refuse("JOIN USING", "the local engine joins with ON conditions")
        relation = self.relation(join.this, scope)
        result = exp.Join(this=relation)
        if kind:
            result.set("kind", kind)
        if side:
            result.set("side", side)
        if on := join.args.get("on"):
            result.set("on", self.boolean(on, scope, "ON").node)
        return result

    # --- expressions --------------------------------------------------------------------------

    def boolean(self, node: exp.Expression, scope: Scope, where: str) -> Typed:
        typed = self.expr(node, scope)
        if typed.type.kind not in ("boolean", "unknown"):
            raise user_error(
                "TYPE_MISMATCH",
                f"{where} clause must evaluate to a boolean: actual type {typed.type.trino()}",
            )
        return typed

    def expr(self, node: exp.Expression, scope: Scope) -> Typed:
        # athena_functions registers the operators and functions; it imports this module.
        from moto_cfn_models import athena_functions as functions  # noqa: PLC0415

        handler = _EXPRESSIONS.get(type(node))
        if handler is not None:
            return handler(self, node, scope)
        if isinstance(node, exp.Anonymous):
            return functions.call(self, node.name.lower(), node.expressions, scope, node)
        if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous):
            return functions.special(self, node, scope)
        raise refuse(construct_name(node), "the local engine cannot run this expression")

    # -- coercion --

    def coerce(self, typed: Typed, target: T) -> Typed:
        """``typed`` as ``target``, as Trino coerces it implicitly."""
        if typed.type == target:
            return typed
        if typed.type.kind == "unknown":
            return Typed(cast(exp.Null(), target.duck()), target, None)
        source = typed.type
        if source.kind == "array" and target.kind == "array":
            return self._map_list(typed, lambda e: self.coerce(e, target.element), target)
        if source.kind == "row" and target.kind == "row":
            return self.row_cast(typed, target, coercion=True)
        if source.kind == "map" and target.kind == "map":
            return self._map_map(
                typed,
                lambda k: self.coerce(k, target.key),
                lambda v: self.coerce(v, target.value),
                target,
            )
        return Typed(cast(typed.node, target.duck()), target, typed.literal, typed.name)

    def _map_list(self, typed: Typed, element: Callable[[Typed], Typed], target: T) -> Typed:
        param = self.fresh("e")
        body = element(Typed(exp.Column(this=exp.to_identifier(param)), typed.type.element))
        lambda_ = exp.Lambda(this=body.node, expressions=[exp.to_identifier(param)])
        return Typed(
            cast(fn("list_transform", typed.node, lambda_), target.duck()), target, name=typed.name
        )

    def _map_map(
        self,
        typed: Typed,
        key: Callable[[Typed], Typed],
        value: Callable[[Typed], Typed],
        target: T,
    ) -> Typed:
        param = self.fresh("e")
        entry = exp.Column(this=exp.to_identifier(param))
        k = key(Typed(fn("struct_extract", entry, lit("key")), typed.type.key))
        v = value(Typed(fn("struct_extract", entry, lit("value")), typed.type.value))
        pair = fn(
            "struct_pack",
            exp.PropertyEQ(this=exp.to_identifier("key"), expression=k.node),
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=v.node),
        )
        lambda_ = exp.Lambda(this=pair, expressions=[exp.to_identifier(param)])
        node = fn("map_from_entries", fn("list_transform", fn("map_entries", typed.node), lambda_))
        return Typed(cast(node, target.duck()), target, name=typed.name)

    def row_cast(self, typed: Typed, target: T, coercion: bool = False) -> Typed:
        source = typed.type
        if len(source.fields) != len(target.fields):
            raise user_error(
                "INVALID_CAST_ARGUMENT", f"Cannot cast {source.trino()} to {target.trino()}"
            )
        items = []
        for index, ((_, field_type), (name, target_type)) in enumerate(
            zip(source.fields, target.fields, strict=True)
        ):
            value = Typed(fn("struct_extract_at", typed.node, lit(index + 1)), field_type)
            converted = (
                self.coerce(value, target_type) if coercion else self.cast_value(value, target_type)
            )
            items.append(
                exp.PropertyEQ(
                    this=exp.to_identifier(name or f"field{index}", quoted=True),
                    expression=converted.node,
                )
            )
        node = case(
            (is_null(typed.node), cast(exp.Null(), target.duck())),
            default=fn("struct_pack", *items),
        )
        return Typed(node, target, name=typed.name)

    def unify(self, items: list[Typed], what: str) -> tuple[list[Typed], T]:
        common = ty.UNKNOWN
        for item in items:
            found = ty.common_type(common, item.type)
            if found is None:
                raise user_error(
                    "TYPE_MISMATCH",
                    f"{what}: {common.trino()} and {item.type.trino()} have no common type",
                )
            common = found
        return [self.coerce(item, common) for item in items], common

    def cast_value(self, typed: Typed, target: T, try_: bool = False) -> Typed:
        from moto_cfn_models import athena_functions as functions  # noqa: PLC0415

        return functions.cast_value(self, typed, target, try_)


def _literal(translator: Translator, node: exp.Literal, scope: Scope) -> Typed:
    text = node.name
    if node.is_string:
        return Typed(exp.Literal.string(text), ty.varchar(len(text)), text)
    if re.fullmatch(r"\d+", text):
        value = int(text)
        if value < 2**31:
            return Typed(exp.Literal.number(text), ty.INTEGER, value)
        if value < 2**63:
            return Typed(cast(exp.Literal.number(text), "BIGINT"), ty.BIGINT, value)
        raise user_error("NUMERIC_VALUE_OUT_OF_RANGE", f"Invalid numeric literal: {text}")
    if "e" in text.lower():
        return Typed(cast(exp.Literal.number(text), "DOUBLE"), ty.DOUBLE, float(text))
    return decimal_literal(text)


def decimal_literal(text: str, exact_digits: bool = False) -> Typed:
    """A decimal literal: precision its digits (leading zeros ignored unless ``exact_digits``, as in
    DECIMAL '...'), scale its fraction digits."""
    body = text.strip()
    sign = ""
    if body[:1] in "+-":
        sign, body = ("-" if body[0] == "-" else ""), body[1:]
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", body):
        raise user_error("INVALID_LITERAL", f"'{text}' is not a valid decimal literal")
    whole, _, fraction = body.partition(".")
    digits = whole + fraction if exact_digits else (whole.lstrip("0") + fraction)
    precision = max(len(digits), 1)
    scale = len(fraction)
    if precision > 38:
        raise user_error("INVALID_LITERAL", f"decimal literal {text} has more than 38 digits")
    value = Decimal(sign + (body if not body.startswith(".") else "0" + body))
    t = ty.decimal(precision, scale)
    return Typed(cast(exp.Literal.string(format(value, "f")), t.duck()), t, value)


def _boolean(translator: Translator, node: exp.Boolean, scope: Scope) -> Typed:
    return Typed(exp.Boolean(this=node.this), ty.BOOLEAN, bool(node.this))


def _null(translator: Translator, node: exp.Null, scope: Scope) -> Typed:
    return Typed(exp.Null(), ty.UNKNOWN, None)


def _paren(translator: Translator, node: exp.Paren, scope: Scope) -> Typed:
    inner = translator.expr(node.this, scope)
    return Typed(paren(inner.node), inner.type, inner.literal, inner.name)


def _column(translator: Translator, node: exp.Column, scope: Scope) -> Typed:
    parts = [p.name.lower() for p in node.parts]
    return resolve(translator, parts, scope, node)


def _identifier(translator: Translator, node: exp.Identifier, scope: Scope) -> Typed:
    return resolve(translator, [node.name.lower()], scope, node)


def resolve(translator: Translator, parts: list[str], scope: Scope, node: exp.Expression) -> Typed:
    """A column, a lambda variable or a row field, by its dotted name."""
    if parts[0] in scope.lambdas:
        duck_name, t = scope.lambdas[parts[0]]
        return _fields(
            Typed(exp.Column(this=exp.to_identifier(duck_name)), t, name=parts[0]), parts[1:], node
        )
    current: Scope | None = scope
    while current is not None:
        found = _in_sources(current.sources, parts)
        if found is not None:
            return _fields(found[0], found[1], node)
        current = current.parent
    raise user_error("COLUMN_NOT_FOUND", f"Column '{'.'.join(parts)}' cannot be resolved")


def _in_sources(sources: list[Source], parts: list[str]) -> tuple[Typed, list[str]] | None:
    def column(source: Source, name: str) -> Typed | None:
        matches = [t for n, t in source.columns if n == name]
        if not matches:
            return None
        reference = exp.Column(
            this=exp.to_identifier(name, quoted=True),
            table=exp.to_identifier(source.duck_alias, quoted=True) if source.duck_alias else None,
        )
        return Typed(reference, matches[0], name=name)

    # database.table.column, table.column, then column (row fields after any of them).
    if len(parts) >= 3:
        for source in sources:
            if (
                source.database == parts[0]
                and source.alias == parts[1]
                and (c := column(source, parts[2]))
            ):
                return c, parts[3:]
    if len(parts) >= 2:
        for source in sources:
            if source.alias == parts[0] and (c := column(source, parts[1])):
                return c, parts[2:]
    found = [c for source in sources if (c := column(source, parts[0])) is not None]
    if len(found) > 1:
        raise user_error("AMBIGUOUS_NAME", f"Column '{parts[0]}' is ambiguous")
    if found:
        return found[0], parts[1:]
    return None


def _fields(base: Typed, names: list[str], node: exp.Expression) -> Typed:
    for name in names:
        base = field_access(base, name)
    return base


def field_access(base: Typed, name: str) -> Typed:
    if base.type.kind != "row":
        raise user_error(
            "TYPE_MISMATCH",
            f"Expression {base.name or 'value'} is not of type ROW, cannot read field {name}",
        )
    for index, (field_name, field_type) in enumerate(base.type.fields):
        if field_name is not None and field_name.lower() == name:
            return Typed(fn("struct_extract_at", base.node, lit(index + 1)), field_type, name=name)
    raise user_error("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved")


def _dot(translator: Translator, node: exp.Dot, scope: Scope) -> Typed:
    base = translator.expr(node.this, scope)
    return field_access(base, node.expression.name.lower())


_EXPRESSIONS: dict[type, Callable[[Translator, Any, Scope], Typed]] = {
    exp.Literal: _literal,
    exp.Boolean: _boolean,
    exp.Null: _null,
    exp.Paren: _paren,
    exp.Column: _column,
    exp.Identifier: _identifier,
    exp.Dot: _dot,
}


def register(kind: type) -> Callable[[Callable[..., Typed]], Callable[..., Typed]]:
    def decorate(handler: Callable[..., Typed]) -> Callable[..., Typed]:
        _EXPRESSIONS[kind] = handler
        return handler

    return decorate


def try_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
