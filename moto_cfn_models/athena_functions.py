"""Trino's operators and functions, each translated to DuckDB with Trino's result type and answer.

``FUNCTIONS`` lists every function the local engine runs; a call to any other is refused by name.
Each handler receives the call's arguments untranslated (lambdas need their parameter types first)
and returns the DuckDB expression with its Trino type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlglot import exp

from moto_cfn_models import athena_sql
from moto_cfn_models import athena_types as ty
from moto_cfn_models.athena_sql import (
    _WHITESPACE,
    Scope,
    SqlError,
    Translator,
    Typed,
    any_null,
    at,
    case,
    cast,
    decimal_literal,
    fn,
    is_null,
    lit,
    refuse,
    register,
    runtime_error,
    runtime_refusal,
    user_error,
)
from moto_cfn_models.athena_types import T

Handler = Callable[[Translator, list[exp.Expression], Scope, exp.Expression], Typed]
FUNCTIONS: dict[str, Handler] = {}
#: Aggregate and window-only functions: allowed only where Trino allows them.
AGGREGATES: set[str] = set()
WINDOW_ONLY: set[str] = set()


def function(
    *names: str, aggregate: bool = False, window: bool = False
) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        for name in names:
            FUNCTIONS[name] = handler
            if aggregate:
                AGGREGATES.add(name)
            if window:
                WINDOW_ONLY.add(name)
        return handler

    return decorate


def call(
    tr: Translator, name: str, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    handler = FUNCTIONS.get(name)
    if handler is None:
        raise refuse(name, "the local engine does not run this function")
    if name in WINDOW_ONLY and not getattr(tr, "_in_window", False):
        raise user_error("MISSING_OVER", f"Window function {name} requires an OVER clause")
    return handler(tr, args, scope, node)


def special(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    """A function sqlglot parses into a node of its own (its special syntax or its name)."""
    name = _SPECIAL_NAMES.get(type(node))
    if name is None:
        raise refuse(athena_sql.construct_name(node), "the local engine does not run this function")
    args = [node.this] if node.this is not None else []
    for key in ("expression", "count", "decimals"):
        if node.args.get(key) is not None:
            args.append(node.args[key])
    args += list(node.expressions)
    return call(tr, name, args, scope, exp.Anonymous(this=name, expressions=args))


# --- argument helpers ---------------------------------------------------------------------------


def _bad_call(message: str) -> SqlError:
    """A call the engine does not take: Trino may reject it too, or run it; either way the
    local engine refuses it rather than guess."""
    return refuse(message, "the local engine does not take these arguments")


def _args(
    tr: Translator, args: Sequence[exp.Expression], scope: Scope, name: str, counts: Sequence[int]
) -> list[Typed]:
    if len(args) not in counts:
        raise _bad_call(
            f"Unexpected parameters for function {name}: {len(args)} arguments",
        )
    for arg in args:
        if isinstance(arg, exp.Lambda):
            raise _bad_call(f"Unexpected lambda argument for function {name}")
    return [tr.expr(arg, scope) for arg in args]


def _want(typed: Typed, name: str, *kinds: str) -> None:
    if typed.type.kind == "unknown":
        return
    if typed.type.kind not in kinds and not (("integer_any" in kinds) and typed.type.is_integer):
        raise _bad_call(
            f"Unexpected parameters ({typed.type.trino()}) for function {name}",
        )


def _string(tr: Translator, typed: Typed, name: str) -> Typed:
    _want(typed, name, "varchar", "char")
    return typed if typed.type.kind != "unknown" else tr.coerce(typed, ty.VARCHAR)


def _integer(tr: Translator, typed: Typed, name: str, target: T = ty.BIGINT) -> Typed:
    _want(typed, name, "integer_any")
    return tr.coerce(typed, target)


def _literal_string(typed: Typed, name: str, what: str) -> str:
    if not (typed.is_literal and isinstance(typed.literal, str)):
        raise refuse(name, f"the local engine takes a literal {what} here")
    return typed.literal


def _literal_int(typed: Typed, name: str, what: str) -> int:
    if not (
        typed.is_literal and isinstance(typed.literal, int) and not isinstance(typed.literal, bool)
    ):
        raise refuse(name, f"the local engine takes a literal {what} here")
    return typed.literal


def simple(
    duck: str,
    result: Callable[[list[Typed]], T],
    counts: Sequence[int],
    kinds: Sequence[Sequence[str]] | None = None,
    coerce: Sequence[T | None] | None = None,
) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower() if isinstance(node, exp.Anonymous) else duck
        values = _args(tr, args, scope, name, counts)
        if kinds:
            for value, allowed in zip(values, kinds, strict=False):
                _want(value, name, *allowed)
        if coerce:
            values = [
                tr.coerce(v, c) if c is not None else v
                for v, c in zip(values, coerce, strict=False)
            ] + values[len(coerce) :]
        return Typed(fn(duck, *(v.node for v in values)), result(values))

    return handler


def _lambda(
    tr: Translator, node: exp.Expression, types: Sequence[T], scope: Scope, name: str
) -> tuple[exp.Lambda, Typed, list[str]]:
    """A lambda argument with its parameters' types: (DuckDB lambda, typed body, DuckDB names)."""
    if not isinstance(node, exp.Lambda):
        raise _bad_call(f"{name} expects a lambda expression")
    params = [p.name.lower() for p in node.expressions]
    if len(params) != len(types):
        raise _bad_call(f"{name}: the lambda takes {len(types)} parameters")
    names = [tr.fresh("x") for _ in params]
    inner = scope.with_lambdas({p: (n, t) for p, n, t in zip(params, names, types, strict=True)})
    body = tr.expr(node.this, inner)
    return (
        exp.Lambda(this=body.node, expressions=[exp.to_identifier(n) for n in names]),
        body,
        names,
    )


def _inline(
    tr: Translator, node: exp.Expression, values: Sequence[Typed], scope: Scope, name: str
) -> Typed:
    """A lambda applied to ``values``: each parameter bound once, through list_transform."""
    if not isinstance(node, exp.Lambda):
        raise _bad_call(f"{name} expects a lambda expression")
    lambda_, body, _ = _lambda(tr, node, [v.type for v in values], scope, name)
    if not values:
        return body
    packed = (
        fn("list_value", fn("row", *(v.node for v in values)))
        if len(values) > 1
        else fn("list_value", values[0].node)
    )
    if len(values) > 1:
        param = tr.fresh("p")
        reference = exp.Column(this=exp.to_identifier(param))
        bound = lambda_.this.transform(
            lambda n: (
                fn("struct_extract_at", reference, lit(lambda_.expressions.index(n.this) + 1))
                if isinstance(n, exp.Column)
                and not n.table
                and isinstance(n.this, exp.Identifier)
                and n.this in lambda_.expressions
                else n
            )
        )
        lambda_ = exp.Lambda(this=bound, expressions=[exp.to_identifier(param)])
    return Typed(at(fn("list_transform", packed, lambda_), lit(1)), body.type)


def _let(tr: Translator, value: Typed, body: Callable[[Typed], Typed]) -> Typed:
    """``body`` with ``value`` computed once (DuckDB has no LET: a one-element list_transform)."""
    param = tr.fresh("l")
    inner = body(Typed(exp.Column(this=exp.to_identifier(param)), value.type))
    lambda_ = exp.Lambda(this=inner.node, expressions=[exp.to_identifier(param)])
    return Typed(
        at(fn("list_transform", fn("list_value", value.node), lambda_), lit(1)), inner.type
    )


def _element_lambda(
    tr: Translator, element: T, body: Callable[[Typed], exp.Expression]
) -> exp.Lambda:
    param = tr.fresh("e")
    return exp.Lambda(
        this=body(Typed(exp.Column(this=exp.to_identifier(param)), element)),
        expressions=[exp.to_identifier(param)],
    )


# --- operators -----------------------------------------------------------------------------------


def _comparable(tr: Translator, left: Typed, right: Typed, operator: str) -> tuple[Typed, Typed]:
    common = ty.common_type(left.type, right.type)
    if common is None:
        raise user_error(
            "TYPE_MISMATCH",
            f"Cannot apply operator: {left.type.trino()} {operator} {right.type.trino()}",
        )
    if common.kind in ("json",) and operator not in ("=", "<>"):
        raise user_error("TYPE_MISMATCH", f"Cannot apply operator: json {operator} json")
    return tr.coerce(left, common), tr.coerce(right, common)


_NAN_COMPARISON = {"=": False, "<>": True, "<": False, "<=": False, ">": False, ">=": False}


def _comparison(kind: type, operator: str) -> None:
    @register(kind)
    def handler(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
        right = node.expression
        if (
            isinstance(right, exp.Anonymous)
            and right.name.lower() in ("all", "any", "some")
            and len(right.expressions) == 1
        ):
            inner = right.expressions[0]
            query = inner if isinstance(inner, exp.Subquery) else exp.Subquery(this=inner)
            node = kind(
                this=node.this,
                expression=(exp.All if right.name.lower() == "all" else exp.Any)(this=query),
            )
        if isinstance(node.expression, exp.Any | exp.All):
            return _quantified(tr, node, scope, kind, operator)
        left, right = _comparable(
            tr, tr.expr(node.this, scope), tr.expr(node.expression, scope), operator
        )
        compared = kind(this=left.node, expression=right.node)
        if left.type.kind in ("double", "real") and operator in _NAN_COMPARISON:
            # Trino: NaN equals nothing and orders before nothing; DuckDB makes it the greatest.
            nan = exp.And(
                this=exp.Or(this=fn("isnan", left.node), expression=fn("isnan", right.node)),
                expression=exp.Not(this=any_null(left.node, right.node)),
            )
            return Typed(case((nan, lit(_NAN_COMPARISON[operator])), default=compared), ty.BOOLEAN)
        return Typed(compared, ty.BOOLEAN)


for _kind, _op in (
    (exp.EQ, "="),
    (exp.NEQ, "<>"),
    (exp.LT, "<"),
    (exp.LTE, "<="),
    (exp.GT, ">"),
    (exp.GTE, ">="),
    (exp.NullSafeEQ, "IS NOT DISTINCT FROM"),
    (exp.NullSafeNEQ, "IS DISTINCT FROM"),
):
    _comparison(_kind, _op)


def _quantified(
    tr: Translator, node: exp.Expression, scope: Scope, kind: type, operator: str
) -> Typed:
    quantifier = node.expression
    left = tr.expr(node.this, scope)
    subquery = quantifier.this
    if not isinstance(subquery, exp.Subquery | exp.Select | exp.SetOperation):
        raise refuse(
            f"{operator} {quantifier.key.upper()}",
            "the local engine quantifies over subqueries only",
        )
    query = subquery.this if isinstance(subquery, exp.Subquery) else subquery
    inner, columns = tr.query(query, scope)
    if len(columns) != 1:
        raise user_error("TYPE_MISMATCH", "a quantified subquery must return one column")
    _comparable(tr, left, Typed(exp.Null(), columns[0][1]), operator)
    common = ty.common_type(left.type, columns[0][1])
    assert common is not None
    if common != columns[0][1]:
        raise refuse(
            f"{operator} {quantifier.key.upper()}",
            "the local engine compares a subquery of the same type only",
        )
    return Typed(
        kind(
            this=tr.coerce(left, common).node,
            expression=type(quantifier)(this=exp.Subquery(this=inner)),
        ),
        ty.BOOLEAN,
    )


@register(exp.And)
def _and(tr: Translator, node: exp.And, scope: Scope) -> Typed:
    left, right = tr.boolean(node.this, scope, "AND"), tr.boolean(node.expression, scope, "AND")
    return Typed(exp.And(this=left.node, expression=right.node), ty.BOOLEAN)


@register(exp.Or)
def _or(tr: Translator, node: exp.Or, scope: Scope) -> Typed:
    left, right = tr.boolean(node.this, scope, "OR"), tr.boolean(node.expression, scope, "OR")
    return Typed(exp.Or(this=left.node, expression=right.node), ty.BOOLEAN)


@register(exp.Not)
def _not(tr: Translator, node: exp.Not, scope: Scope) -> Typed:
    inner = tr.boolean(node.this, scope, "NOT")
    return Typed(exp.Not(this=inner.node), ty.BOOLEAN)


@register(exp.Is)
def _is(tr: Translator, node: exp.Is, scope: Scope) -> Typed:
    if not isinstance(node.expression, exp.Null):
        raise refuse(f"IS {node.expression.sql()}", "the local engine tests IS NULL only")
    inner = tr.expr(node.this, scope)
    return Typed(is_null(inner.node), ty.BOOLEAN)


@register(exp.Between)
def _between(tr: Translator, node: exp.Between, scope: Scope) -> Typed:
    value, low, high = (tr.expr(node.args[k], scope) for k in ("this", "low", "high"))
    items, _ = tr.unify([value, low, high], "BETWEEN")
    between = exp.Between(this=items[0].node, low=items[1].node, high=items[2].node)
    if node.args.get("symmetric"):
        raise refuse("BETWEEN SYMMETRIC", "the local engine does not run symmetric ranges")
    return Typed(exp.Not(this=between) if node.args.get("negate") else between, ty.BOOLEAN)


@register(exp.In)
def _in(tr: Translator, node: exp.In, scope: Scope) -> Typed:
    value = tr.expr(node.this, scope)
    if query := node.args.get("query"):
        inner, columns = tr.query(query.this if isinstance(query, exp.Subquery) else query, scope)
        if len(columns) != 1:
            raise user_error("TYPE_MISMATCH", "IN subquery must return one column")
        common = ty.common_type(value.type, columns[0][1])
        if common is None:
            raise user_error(
                "TYPE_MISMATCH",
                f"IN types differ: {value.type.trino()}, {columns[0][1].trino()}",
            )
        if common != columns[0][1]:
            raise refuse(
                "IN (subquery)", "the local engine compares a subquery of the same type only"
            )
        return Typed(
            exp.In(this=tr.coerce(value, common).node, query=exp.Subquery(this=inner)), ty.BOOLEAN
        )
    if node.args.get("unnest") or node.args.get("field"):
        raise refuse("IN", "the local engine takes a list of values or a subquery")
    items, _ = tr.unify([value, *(tr.expr(e, scope) for e in node.expressions)], "IN")
    in_ = exp.In(this=items[0].node, expressions=[i.node for i in items[1:]])
    return Typed(exp.Not(this=in_) if node.args.get("negate") else in_, ty.BOOLEAN)


@register(exp.Like)
def _like(tr: Translator, node: exp.Like, scope: Scope, escape: Typed | None = None) -> Typed:
    value = _string(tr, tr.expr(node.this, scope), "LIKE")
    pattern = _string(tr, tr.expr(node.expression, scope), "LIKE")
    like: exp.Expression = exp.Like(this=value.node, expression=pattern.node)
    if escape is not None:
        like = exp.Escape(this=like, expression=escape.node)
    return Typed(exp.Not(this=like) if node.args.get("negate") else like, ty.BOOLEAN)


@register(exp.Escape)
def _escape(tr: Translator, node: exp.Escape, scope: Scope) -> Typed:
    if not isinstance(node.this, exp.Like):
        raise refuse("ESCAPE", "the local engine takes ESCAPE after LIKE only")
    escape = _string(tr, tr.expr(node.expression, scope), "ESCAPE")
    return _like(tr, node.this, scope, escape)


@register(exp.Neg)
def _neg(tr: Translator, node: exp.Neg, scope: Scope) -> Typed:
    inner = tr.expr(node.this, scope)
    if not inner.type.is_numeric and inner.type.kind not in ("interval_ds", "interval_ym"):
        raise user_error("TYPE_MISMATCH", f"Cannot negate {inner.type.trino()}")
    literal = (
        -inner.literal
        if inner.is_literal and isinstance(inner.literal, int | float | Decimal)
        else inner.literal
        if inner.is_literal and inner.literal is None
        else None
    )
    result = Typed(exp.Neg(this=exp.Paren(this=inner.node)), inner.type)
    if literal is not None:
        result.literal = literal
    return result


@register(exp.Paren)
def _paren(tr: Translator, node: exp.Paren, scope: Scope) -> Typed:
    inner = tr.expr(node.this, scope)
    return Typed(exp.Paren(this=inner.node), inner.type, inner.literal, inner.name)


def _decimal_result(tr: Translator, node: exp.Expression, t: T) -> Typed:
    return Typed(cast(node, t.duck()), t)


def _arithmetic(tr: Translator, kind: type, left: Typed, right: Typed, operator: str) -> Typed:  # noqa: PLR0911
    a, b = left.type, right.type
    if a.kind == "unknown" and b.kind == "unknown":
        return Typed(exp.Null(), ty.UNKNOWN, None)
    if a.kind == "unknown":
        left, a = tr.coerce(left, b), b
    if b.kind == "unknown":
        right, b = tr.coerce(right, a), a
    temporal = _temporal_arithmetic(tr, kind, left, right, operator)
    if temporal is not None:
        return temporal
    if not (a.is_numeric and b.is_numeric):
        raise user_error(
            "TYPE_MISMATCH", f"Cannot apply operator: {a.trino()} {operator} {b.trino()}"
        )
    if a.is_integer and b.is_integer:
        common = ty.common_type(a, b)
        assert common is not None
        x, y = tr.coerce(left, common), tr.coerce(right, common)
        if kind is exp.Div:
            return Typed(cast(exp.IntDiv(this=x.node, expression=y.node), common.duck()), common)
        node = kind(this=x.node, expression=y.node)
        return Typed(cast(node, common.duck()), common)
    if "double" in (a.kind, b.kind) or "real" in (a.kind, b.kind):
        common = ty.DOUBLE if "double" in (a.kind, b.kind) else ty.REAL
        x, y = tr.coerce(left, common), tr.coerce(right, common)
        node = kind(this=x.node, expression=y.node)
        return Typed(cast(node, common.duck()), common)
    x_t, y_t = ty.as_decimal(a), ty.as_decimal(b)
    x, y = tr.coerce(left, x_t), tr.coerce(right, y_t)
    p1, s1, p2, s2 = x_t.precision, x_t.scale, y_t.precision, y_t.scale
    if kind in (exp.Add, exp.Sub):
        scale = max(s1, s2)
        t = ty.decimal(min(38, 1 + scale + max(p1 - s1, p2 - s2)), scale)
        return _decimal_result(tr, kind(this=x.node, expression=y.node), t)
    if kind is exp.Mul:
        if s1 + s2 > 38:
            raise user_error(
                "NUMERIC_VALUE_OUT_OF_RANGE", "decimal multiplication scale exceeds 38"
            )
        t = ty.decimal(min(38, p1 + p2), s1 + s2)
        return _decimal_result(tr, kind(this=x.node, expression=y.node), t)
    if kind is exp.Div:
        scale = max(s1, s2)
        t = ty.decimal(min(38, p1 + s2 + max(0, s2 - s1)), scale)
        return decimal_divide(tr, x, y, t)
    scale = max(s1, s2)
    t = ty.decimal(min(p1 - s1, p2 - s2) + scale, scale)
    common = ty.decimal(38, scale)
    node = exp.Mod(this=cast(x.node, common.duck()), expression=cast(y.node, common.duck()))
    return _decimal_result(tr, node, t)


def _unscaled(node: exp.Expression, t: T) -> exp.Expression:
    """A decimal's unscaled integer (HUGEINT), exactly."""
    factor = cast(lit(10**t.scale), f"DECIMAL({t.scale + 1},0)")
    return cast(exp.Mul(this=cast(node, t.duck()), expression=factor), "HUGEINT")


def decimal_divide(tr: Translator, x: Typed, y: Typed, t: T) -> Typed:
    """x / y for decimals, rounded half up at the result's scale, as Trino divides them."""
    shift = t.scale - x.type.scale + y.type.scale
    numerator = exp.Mul(this=_unscaled(x.node, x.type), expression=cast(lit(10**shift), "HUGEINT"))
    denominator = _unscaled(y.node, y.type)

    def quotient(pair: Typed) -> Typed:
        n = fn("struct_extract_at", pair.node, lit(1))
        d = fn("struct_extract_at", pair.node, lit(2))
        rounded = exp.IntDiv(
            this=exp.Add(
                this=exp.Mul(this=lit(2), expression=fn("abs", n)), expression=fn("abs", d)
            ),
            expression=exp.Mul(this=lit(2), expression=fn("abs", d)),
        )
        signed = exp.Mul(
            this=exp.Paren(this=rounded),
            expression=exp.Mul(this=fn("sign", n), expression=fn("sign", d)),
        )
        return Typed(
            case(
                (exp.EQ(this=d, expression=lit(0)), runtime_error("Division by zero")),
                default=_decimal_from_unscaled(signed, t),
            ),
            t,
        )

    pair = Typed(fn("row", numerator, denominator), ty.row([(None, ty.BIGINT), (None, ty.BIGINT)]))
    result = _let(tr, pair, quotient)
    return Typed(
        case((any_null(x.node, y.node), cast(exp.Null(), t.duck())), default=result.node), t
    )


def _decimal_from_unscaled(unscaled: exp.Expression, t: T) -> exp.Expression:
    if t.scale == 0:
        return cast(unscaled, t.duck())
    digits = fn("lpad", cast(fn("abs", unscaled), "VARCHAR"), lit(t.scale + 1), lit("0"))
    sign = case((exp.LT(this=unscaled, expression=lit(0)), lit("-")), default=lit(""))
    text = exp.DPipe(
        this=exp.DPipe(
            this=exp.DPipe(
                this=sign,
                expression=fn(
                    "left", digits, exp.Sub(this=fn("length", digits), expression=lit(t.scale))
                ),
            ),
            expression=lit("."),
        ),
        expression=fn("right", digits, lit(t.scale)),
    )
    return cast(text, t.duck())


def _interval_literal(typed: Typed) -> tuple[str, int] | None:
    return getattr(typed, "interval", None)


def _temporal_arithmetic(
    tr: Translator, kind: type, left: Typed, right: Typed, operator: str
) -> Typed | None:
    a, b = left.type, right.type
    intervals = ("interval_ds", "interval_ym")
    if kind not in (exp.Add, exp.Sub):
        if a.kind in intervals or b.kind in intervals or a.is_temporal or b.is_temporal:
            raise user_error(
                "TYPE_MISMATCH", f"Cannot apply operator: {a.trino()} {operator} {b.trino()}"
            )
        return None
    if a.kind in intervals and b.kind in intervals:
        if a.kind != b.kind:
            raise user_error(
                "TYPE_MISMATCH", f"Cannot apply operator: {a.trino()} {operator} {b.trino()}"
            )
        return Typed(kind(this=left.node, expression=right.node), a)
    if kind is exp.Add and a.kind in intervals and (b.is_temporal or b.kind in ("time",)):
        left, right, a, b = right, left, b, a
    if b.kind not in intervals:
        if a.kind in ("timestamp", "timestamp_tz") and b.kind == a.kind and kind is exp.Sub:
            return Typed(exp.Sub(this=left.node, expression=right.node), ty.INTERVAL_DS)
        if a.is_temporal or b.is_temporal or a.kind == "time" or b.kind == "time":
            raise user_error(
                "TYPE_MISMATCH", f"Cannot apply operator: {a.trino()} {operator} {b.trino()}"
            )
        return None
    if a.kind == "time":
        raise refuse("time + interval", "the local engine does not add intervals to times")
    if a.kind == "date":
        literal = _interval_literal(right)
        if b.kind == "interval_ds" and (literal is None or literal[0] not in ("day", "week")):
            raise refuse(
                "date + interval", "the local engine adds literal DAY intervals to dates only"
            )
        return Typed(cast(kind(this=left.node, expression=right.node), "DATE"), ty.DATE)
    if a.kind in ("timestamp", "timestamp_tz"):
        precision = max(3, a.precision) if b.kind == "interval_ds" else a.precision
        t = ty.T(a.kind, (precision,))
        return Typed(cast(kind(this=left.node, expression=right.node), t.duck()), t)
    raise user_error("TYPE_MISMATCH", f"Cannot apply operator: {a.trino()} {operator} {b.trino()}")


def _binary(kind: type, operator: str) -> None:
    @register(kind)
    def handler(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
        return _arithmetic(
            tr, kind, tr.expr(node.this, scope), tr.expr(node.expression, scope), operator
        )


for _kind, _op in ((exp.Add, "+"), (exp.Sub, "-"), (exp.Mul, "*"), (exp.Div, "/"), (exp.Mod, "%")):
    _binary(_kind, _op)


@register(exp.DPipe)
def _dpipe(tr: Translator, node: exp.DPipe, scope: Scope) -> Typed:
    return concat(tr, [tr.expr(node.this, scope), tr.expr(node.expression, scope)], "||")


def concat(tr: Translator, values: list[Typed], name: str) -> Typed:
    if any(v.type.kind == "array" for v in values):
        arrays = [v for v in values if v.type.kind == "array"]
        _, array_type = tr.unify(arrays, name)
        element = array_type.element
        result: exp.Expression | None = None
        for value in values:
            if value.type.kind == "array":
                part = tr.coerce(value, array_type).node
            else:
                part = fn("list_value", tr.coerce(value, element).node)
                part = (
                    case((is_null(value.node), cast(exp.Null(), array_type.duck())), default=part)
                    if not value.is_literal
                    else part
                )
            result = part if result is None else fn("list_concat", result, part)
        assert result is not None
        return Typed(result, array_type)
    length: int | None = 0
    for value in values:
        _want(value, name, "varchar", "char")
        size = value.type.params[0] if value.type.kind in ("varchar", "char") else None
        length = None if length is None or size is None else length + size
    node: exp.Expression | None = None
    for value in values:
        part = tr.coerce(value, ty.VARCHAR).node if value.type.kind == "unknown" else value.node
        node = part if node is None else exp.DPipe(this=node, expression=part)
    assert node is not None
    return Typed(node, ty.varchar(length))


@register(exp.Case)
def _case(tr: Translator, node: exp.Case, scope: Scope) -> Typed:
    operand = tr.expr(node.this, scope) if node.this else None
    conditions, results = [], []
    for if_ in node.args.get("ifs") or []:
        if operand is not None:
            when = tr.expr(if_.this, scope)
            left, right = _comparable(tr, operand, when, "=")
            conditions.append(exp.EQ(this=left.node, expression=right.node))
        else:
            conditions.append(tr.boolean(if_.this, scope, "CASE").node)
        results.append(tr.expr(if_.args["true"], scope))
    default = tr.expr(node.args["default"], scope) if node.args.get("default") is not None else None
    values, t = tr.unify([*results, *([default] if default else [])], "CASE")
    whens = list(zip(conditions, (v.node for v in values[: len(results)]), strict=True))
    return Typed(case(*whens, default=values[-1].node if default else None), t)


@register(exp.If)
def _if(tr: Translator, node: exp.If, scope: Scope) -> Typed:
    condition = tr.boolean(node.this, scope, "IF")
    true = tr.expr(node.args["true"], scope)
    false = tr.expr(node.args["false"], scope) if node.args.get("false") is not None else None
    values, t = tr.unify([true, *([false] if false else [])], "IF")
    return Typed(
        case((condition.node, values[0].node), default=values[1].node if false else None), t
    )


@register(exp.Coalesce)
def _coalesce_node(tr: Translator, node: exp.Coalesce, scope: Scope) -> Typed:
    return _coalesce(tr, [node.this, *node.expressions], scope, node)


@function("coalesce")
def _coalesce(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values, t = tr.unify(_args(tr, args, scope, "coalesce", range(1, 100)), "COALESCE")
    return Typed(fn("coalesce", *(v.node for v in values)), t)


@function("nullif")
def _nullif(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    first, second = _args(tr, args, scope, "nullif", [2])
    left, right = _comparable(tr, first, second, "=")
    return Typed(
        case(
            (exp.EQ(this=left.node, expression=right.node), cast(exp.Null(), first.type.duck())),
            default=first.node,
        ),
        first.type if first.type.kind != "unknown" else ty.UNKNOWN,
    )


@function("if")
def _if_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) not in (2, 3):
        raise _bad_call("if takes 2 or 3 arguments")
    return _if(
        tr, exp.If(this=args[0], true=args[1], false=args[2] if len(args) == 3 else None), scope
    )


@function("greatest", "least")
def _greatest(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    values, t = tr.unify(_args(tr, args, scope, name, range(1, 100)), name)
    if t.kind in ("double", "real"):
        raise refuse(f"{name} of {t.trino()}", "the local engine does not order NaN as Trino does")
    if t.kind in ("array", "map", "row", "json", "varbinary"):
        raise _bad_call(f"{name} does not take {t.trino()}")
    # Trino: NULL if any argument is NULL; DuckDB skips NULLs.
    result = case(
        (any_null(*(v.node for v in values)), cast(exp.Null(), t.duck())),
        default=fn(name, *(v.node for v in values)),
    )
    return Typed(result, t)


@function("try")
def _try(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    if len(args) != 1:
        raise _bad_call("try takes one argument")
    # Inside try() a Trino failure makes the whole try() NULL. The translation's own checks
    # then give NULL instead of failing; that is the same answer unless something inside would
    # turn that NULL into a value, so try() around such expressions is refused.
    absorbing = (
        exp.Case,
        exp.If,
        exp.Coalesce,
        exp.Is,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.And,
        exp.Or,
        exp.Filter,
    )
    for inner_node in args[0].walk():
        if isinstance(inner_node, absorbing) or (
            isinstance(inner_node, exp.Anonymous)
            and inner_node.name.lower() in ("coalesce", "if", "nullif", "try")
        ):
            raise refuse(
                "try",
                "the local engine runs try() around expressions without CASE, IF, COALESCE, "
                "IS NULL, AND or OR",
            )
    before, before_checks = athena_sql._IN_TRY[0], tr.has_runtime_checks
    athena_sql._IN_TRY[0], tr.has_runtime_checks = True, False
    try:
        inner = tr.expr(args[0], scope)
    finally:
        athena_sql._IN_TRY[0] = before
    if tr.has_runtime_checks:
        raise refuse("try", "the local engine cannot run try() around this expression")
    tr.has_runtime_checks = before_checks
    return Typed(fn("try", inner.node), inner.type)


# --- literals and constructors --------------------------------------------------------------------


@register(exp.Interval)
def _interval(tr: Translator, node: exp.Interval, scope: Scope) -> Typed:
    unit = node.unit.name.upper() if node.unit else ""
    value = node.this
    if (
        isinstance(node.unit, exp.IntervalSpan)
        or " TO " in unit
        or not isinstance(value, exp.Literal)
    ):
        raise refuse(f"INTERVAL {unit}", "the local engine takes single-unit interval literals")
    text = value.name.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").strip()
    if not digits.isdigit():
        raise refuse(
            f"INTERVAL '{text}' {unit}", "the local engine takes whole-number interval literals"
        )
    amount = sign * int(digits)
    units = {
        "YEAR": ("year", "interval_ym", 12, "to_months"),
        "MONTH": ("month", "interval_ym", 1, "to_months"),
        "DAY": ("day", "interval_ds", 1, "to_days"),
        "HOUR": ("hour", "interval_ds", 1, "to_hours"),
        "MINUTE": ("minute", "interval_ds", 1, "to_minutes"),
        "SECOND": ("second", "interval_ds", 1, "to_seconds"),
    }
    if unit not in units:
        raise refuse(
            f"INTERVAL {unit}",
            "the local engine takes YEAR, MONTH, DAY, HOUR, MINUTE and SECOND intervals",
        )
    name, kind, factor, duck = units[unit]
    typed = Typed(exp.Paren(this=fn(duck, lit(amount * factor))), ty.T(kind))
    typed.interval = (name, amount)  # type: ignore[attr-defined]
    return typed


@register(exp.Array)
def _array(tr: Translator, node: exp.Array, scope: Scope) -> Typed:
    items = [tr.expr(e, scope) for e in node.expressions]
    if not items:
        return Typed(cast(fn("list_value"), "INTEGER[]"), ty.array(ty.UNKNOWN))
    values, element = tr.unify(items, "ARRAY")
    if element.kind == "unknown":
        return Typed(
            cast(fn("list_value", *(v.node for v in values)), "INTEGER[]"), ty.array(element)
        )
    return Typed(fn("list_value", *(v.node for v in values)), ty.array(element))


def _row(tr: Translator, values: list[Typed]) -> Typed:
    t = ty.row([(None, v.type if v.type.kind != "unknown" else ty.UNKNOWN) for v in values])
    items = [
        exp.PropertyEQ(
            this=exp.to_identifier(f"field{i}", quoted=True),
            expression=(v.node if v.type.kind != "unknown" else cast(exp.Null(), "INTEGER")),
        )
        for i, v in enumerate(values)
    ]
    return Typed(fn("struct_pack", *items), t)


@register(exp.Tuple)
def _tuple(tr: Translator, node: exp.Tuple, scope: Scope) -> Typed:
    return _row(tr, [tr.expr(e, scope) for e in node.expressions])


@function("row")
def _row_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    return _row(tr, _args(tr, args, scope, "row", range(1, 200)))


@register(exp.HexString)
def _hex(tr: Translator, node: exp.HexString, scope: Scope) -> Typed:
    return Typed(fn("from_hex", lit(node.name)), ty.VARBINARY)


@register(exp.UnicodeString)
def _unicode(tr: Translator, node: exp.UnicodeString, scope: Scope) -> Typed:
    escape = node.args.get("escape")
    marker = escape.name if isinstance(escape, exp.Expression) else "\\"
    text = node.name
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == marker:
            if text.startswith(marker, index + 1):
                out.append(marker)
                index += 2
                continue
            if text[index + 1 : index + 2] == "+":
                out.append(chr(int(text[index + 2 : index + 8], 16)))
                index += 8
                continue
            out.append(chr(int(text[index + 1 : index + 5], 16)))
            index += 5
            continue
        out.append(char)
        index += 1
    value = "".join(out)
    return Typed(lit(value), ty.varchar(len(value)), value)


@register(exp.ParseJSON)
def _json_literal(tr: Translator, node: exp.ParseJSON, scope: Scope) -> Typed:
    text = tr.expr(node.this, scope)
    return Typed(fn("json", text.node), ty.JSON)


# --- the clock -------------------------------------------------------------------------------


def _now(tr: Translator) -> str:
    return tr._clock.started_at.strftime("%Y-%m-%d %H:%M:%S.%f")


@register(exp.CurrentDate)
def _current_date(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    return Typed(cast(lit(tr._clock.started_at.date().isoformat()), "DATE"), ty.DATE)


@register(exp.CurrentTimestamp)
def _current_timestamp(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    if node.this is not None:
        raise refuse("current_timestamp(p)", "the local engine gives millisecond timestamps")
    return Typed(cast(lit(_now(tr)[:-3] + "+00"), "TIMESTAMPTZ"), ty.timestamp_tz(3))


@function("now")
def _now_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    _args(tr, args, scope, "now", [0])
    return _current_timestamp(tr, exp.CurrentTimestamp(), scope)


@register(exp.Localtimestamp)
def _localtimestamp(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    if node.this is not None:
        raise refuse("localtimestamp(p)", "the local engine gives millisecond timestamps")
    return Typed(cast(lit(_now(tr)[:-3]), "TIMESTAMP"), ty.timestamp(3))


@register(exp.CurrentTime)
def _current_time(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    return Typed(cast(lit(_now(tr)[11:-3]), "TIME"), ty.time_tz(3))


@register(exp.Localtime)
def _localtime(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    return Typed(cast(lit(_now(tr)[11:-3]), "TIME"), ty.time(3))


@function("current_timezone")
def _current_timezone(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    _args(tr, args, scope, "current_timezone", [0])
    return Typed(lit("UTC"), ty.varchar(3), "UTC")


@register(exp.CurrentTimezone)
def _current_timezone_node(tr: Translator, node: exp.Expression, scope: Scope) -> Typed:
    return Typed(lit("UTC"), ty.varchar(3), "UTC")


# --- subqueries ----------------------------------------------------------------------------------


@register(exp.Subquery)
def _scalar_subquery(tr: Translator, node: exp.Subquery, scope: Scope) -> Typed:
    inner, columns = tr.query(node.this, scope)
    if len(columns) != 1:
        raise user_error("TYPE_MISMATCH", "a scalar subquery must return one column")
    return Typed(exp.Subquery(this=inner), columns[0][1], name=None)


@register(exp.Exists)
def _exists(tr: Translator, node: exp.Exists, scope: Scope) -> Typed:
    query = node.this.this if isinstance(node.this, exp.Subquery) else node.this
    inner, _ = tr.query(query, scope)
    return Typed(exp.Exists(this=inner), ty.BOOLEAN)


# --- subscripts ----------------------------------------------------------------------------------


@register(exp.Bracket)
def _bracket(tr: Translator, node: exp.Bracket, scope: Scope) -> Typed:
    if len(node.expressions) != 1:
        raise user_error("SYNTAX_ERROR", "a subscript takes one index")
    base = tr.expr(node.this, scope)
    index = tr.expr(node.expressions[0], scope)
    kind = base.type.kind
    if kind == "array":
        position = _integer(tr, index, "[]")
        return Typed(
            case(
                (any_null(base.node, position.node), cast(exp.Null(), base.type.element.duck())),
                (
                    exp.And(
                        this=exp.GTE(this=position.node, expression=lit(1)),
                        expression=exp.LTE(this=position.node, expression=fn("len", base.node)),
                    ),
                    at(base.node, position.node),
                ),
                default=runtime_error(
                    exp.DPipe(
                        this=lit(
                            "INVALID_FUNCTION_ARGUMENT: Array subscript must be less than or "
                            "equal to array length and greater than zero: "
                        ),
                        expression=cast(position.node, "VARCHAR"),
                    )
                ),
            ),
            base.type.element,
        )
    if kind == "map":
        key = tr.coerce(index, base.type.key) if ty.can_coerce(index.type, base.type.key) else None
        if key is None:
            raise user_error(
                "TYPE_MISMATCH", f"map key is {base.type.key.trino()}, not {index.type.trino()}"
            )
        return Typed(
            case(
                (any_null(base.node, key.node), cast(exp.Null(), base.type.value.duck())),
                (
                    fn("map_contains", base.node, key.node),
                    fn("map_extract_value", base.node, key.node),
                ),
                default=runtime_error(
                    exp.DPipe(
                        this=lit("INVALID_FUNCTION_ARGUMENT: Key not present in map: "),
                        expression=cast(key.node, "VARCHAR"),
                    )
                ),
            ),
            base.type.value,
        )
    if kind == "row":
        position = _literal_int(index, "row subscript", "position")
        if not 1 <= position <= len(base.type.fields):
            raise user_error("INVALID_FUNCTION_ARGUMENT", f"Invalid row field index: {position}")
        return Typed(
            fn("struct_extract_at", base.node, lit(position)), base.type.fields[position - 1][1]
        )
    raise user_error("TYPE_MISMATCH", f"Cannot use subscript on {base.type.trino()}")


# --- casts -------------------------------------------------------------------------------------


def sql_type(node: exp.DataType) -> T:  # noqa: PLR0911, PLR0912
    """The Trino type a CAST names."""
    kind = node.this
    params = [p.this.name if isinstance(p, exp.DataTypeParam) else p for p in node.expressions]
    D = exp.DataType.Type  # noqa: N806
    simple = {
        D.BOOLEAN: ty.BOOLEAN,
        D.TINYINT: ty.TINYINT,
        D.SMALLINT: ty.SMALLINT,
        D.INT: ty.INTEGER,
        D.BIGINT: ty.BIGINT,
        D.FLOAT: ty.REAL,
        D.DOUBLE: ty.DOUBLE,
        D.DATE: ty.DATE,
        D.JSON: ty.JSON,
        D.VARBINARY: ty.VARBINARY,
    }
    if kind in simple and not params:
        return simple[kind]
    if kind == D.DECIMAL:
        precision = int(params[0]) if params else 38
        scale = int(params[1]) if len(params) > 1 else 0
        return ty.decimal(precision, scale)
    if kind in (D.VARCHAR, D.TEXT):
        return ty.varchar(int(params[0]) if params else None)
    if kind == D.CHAR:
        return ty.char(int(params[0]) if params else 1)
    if kind == D.TIMESTAMP:
        return ty.timestamp(int(params[0]) if params else 3)
    if kind in (D.TIMESTAMPTZ,):
        return ty.timestamp_tz(int(params[0]) if params else 3)
    if kind == D.TIME:
        return ty.time(int(params[0]) if params else 3)
    if kind == D.ARRAY and len(node.expressions) == 1:
        return ty.array(sql_type(node.expressions[0]))
    if kind == D.MAP and len(node.expressions) == 2:
        return ty.map_of(sql_type(node.expressions[0]), sql_type(node.expressions[1]))
    if kind == D.STRUCT:
        fields: list[tuple[str | None, T]] = []
        for item in node.expressions:
            if isinstance(item, exp.ColumnDef):
                fields.append((item.name.lower(), sql_type(item.args["kind"])))
            elif isinstance(item, exp.DataType):
                fields.append((None, sql_type(item)))
            else:
                raise refuse("ROW type", "the local engine reads ROW(name type, ...) only")
        return ty.row(fields)
    raise refuse(node.sql(dialect="trino"), "the local engine does not support this type")


@register(exp.Cast)
def _cast(tr: Translator, node: exp.Cast, scope: Scope) -> Typed:
    target = sql_type(node.args["to"])
    source = node.this
    # Typed literals: DECIMAL '1.2', TIMESTAMP '...', DATE '...', REAL '...' and so on.
    if isinstance(source, exp.Literal) and source.is_string:
        typed = literal_of_type(tr, source.name, target, node)
        if typed is not None:
            return typed
    return cast_value(tr, tr.expr(source, scope), target)


@register(exp.TryCast)
def _try_cast(tr: Translator, node: exp.TryCast, scope: Scope) -> Typed:
    target = sql_type(node.args["to"])
    return cast_value(tr, tr.expr(node.this, scope), target, try_=True)


_TIMESTAMP_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?)?\s*(.*)"
)
_UTC_ZONES = {"", "UTC", "Z", "GMT", "UT", "+00:00", "-00:00", "+0000", "+00", "ETC/UTC"}


def literal_of_type(  # noqa: PLR0911, PLR0912
    tr: Translator, text: str, target: T, node: exp.Expression
) -> Typed | None:
    kind = target.kind
    declared = [
        p.this.name for p in node.args["to"].expressions if isinstance(p, exp.DataTypeParam)
    ]
    if kind in ("timestamp", "timestamp_tz") and declared:
        # TIMESTAMP '...' (sqlglot gives the literal's precision); CAST('...' AS TIMESTAMP(p)) of
        # another precision is a cast, below.
        match = _TIMESTAMP_TEXT.fullmatch(text.strip())
        if match is None:
            raise user_error("INVALID_LITERAL", f"'{text}' is not a valid timestamp literal")
        fraction = match[5] or ""
        precision = len(fraction)
        if int(declared[0]) != precision:
            return None
        zone = match[6].strip()
        if zone and kind == "timestamp":
            kind = "timestamp_tz"
        if precision > 6:
            raise refuse(
                f"timestamp({precision})", "the local engine keeps timestamps to the microsecond"
            )
        if kind == "timestamp_tz" and zone.upper() not in _UTC_ZONES:
            raise refuse(
                "TIMESTAMP with a time zone other than UTC",
                f"the local engine keeps UTC only as a time zone, not {zone}",
            )
        hour, minute, second = (match[2] or "0"), (match[3] or "0"), (match[4] or "0")
        value = f"{match[1]} {int(hour):02d}:{minute}:{int(second):02d}" + (
            f".{fraction}" if fraction else ""
        )
        if kind == "timestamp_tz":
            return Typed(cast(lit(value + "+00"), "TIMESTAMPTZ"), ty.timestamp_tz(precision))
        return Typed(cast(lit(value), "TIMESTAMP"), ty.timestamp(precision))
    if kind == "time" and declared:
        match = re.fullmatch(
            r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?\s*(.*)", text.strip()
        )
        if match is None:
            raise user_error("INVALID_LITERAL", f"'{text}' is not a valid time literal")
        fraction = match[4] or ""
        if int(declared[0]) != len(fraction):
            return None
        if match[5].strip():
            raise refuse(
                "TIME WITH TIME ZONE", "the local engine does not keep time zones of times"
            )
        if len(fraction) > 6:
            raise refuse(
                f"time({len(fraction)})", "the local engine keeps times to the microsecond"
            )
        value = f"{int(match[1]):02d}:{match[2]}:{match[3] or '00'}" + (
            f".{fraction}" if fraction else ""
        )
        return Typed(cast(lit(value), "TIME"), ty.time(len(fraction)))
    if kind == "date":
        if not re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", text):
            raise user_error("INVALID_LITERAL", f"'{text}' is not a valid date literal")
        return Typed(cast(lit(text.strip()), "DATE"), ty.DATE)
    if kind in ("real", "double"):
        try:
            value = float(text)
        except ValueError:
            raise user_error("INVALID_LITERAL", f"'{text}' is not a valid {kind} literal") from None
        return Typed(cast(lit(text.strip()), target.duck()), target, value)
    if target.is_integer:
        if (
            not re.fullmatch(r"\s*[+-]?\d+\s*", text)
            or not -target.integer_range() <= int(text) < target.integer_range()
        ):
            raise user_error("INVALID_LITERAL", f"'{text}' is not a valid {kind} literal")
        return Typed(cast(lit(int(text)), target.duck()), target, int(text))
    if kind == "char":
        length = target.params[0] if node.args["to"].expressions else len(text)
        t = ty.char(length)
        return Typed(lit(text[:length].ljust(length)), t, text[:length].ljust(length))
    return None


def cast_value(  # noqa: PLR0911, PLR0912, PLR0915
    tr: Translator, typed: Typed, target: T, try_: bool = False
) -> Typed:
    """CAST(value AS target) with Trino's answer; ``try_``: TRY_CAST (NULL where CAST fails)."""
    source = typed.type
    name = f"CAST({source.trino()} AS {target.trino()})"
    if source == target:
        return typed
    if source.kind == "unknown":
        return Typed(cast(exp.Null(), target.duck()), target, None)

    def checked(valid: exp.Expression, value: exp.Expression, message: str) -> exp.Expression:
        failure: exp.Expression = (
            cast(exp.Null(), target.duck()) if try_ else runtime_error(message)
        )
        return case(
            (is_null(typed.node), cast(exp.Null(), target.duck())), (valid, value), default=failure
        )

    kind = target.kind
    if kind == "varchar":
        text = to_varchar(tr, typed, name)
        if target.params[0] is not None:
            text = fn("left", text, lit(target.params[0]))
        return Typed(text, target)
    if kind == "char":
        text = to_varchar(tr, typed, name)
        return Typed(
            fn("rpad", fn("left", text, lit(target.params[0])), lit(target.params[0]), lit(" ")),
            target,
        )
    if source.kind == "json":
        return _from_json(tr, typed, target, name, try_)
    if kind == "json":
        return Typed(_to_json(tr, typed, name), ty.JSON)
    if target.is_integer:
        if source.is_integer or source.kind in ("decimal", "boolean"):
            return Typed(_try_or_cast(typed.node, target, try_), target)
        if source.kind in ("double", "real"):
            return Typed(_try_or_cast(fn("round", typed.node), target, try_), target)
        if source.is_string:
            trimmed = fn("trim", typed.node)
            valid = fn("regexp_full_match", trimmed, lit(r"[+-]?\d+"))
            return Typed(
                checked(
                    valid,
                    _try_or_cast(trimmed, target, True),
                    f"INVALID_CAST_ARGUMENT: Cannot cast value to {kind}",
                ),
                target,
            )
    if kind == "decimal":
        if source.is_integer or source.kind in ("decimal", "boolean"):
            return Typed(_try_or_cast(typed.node, target, try_), target)
        if source.kind in ("double", "real"):
            # Trino rounds the double's shortest decimal text half up, as DuckDB rounds text.
            return Typed(_try_or_cast(cast(typed.node, "VARCHAR"), target, try_), target)
        if source.is_string:
            trimmed = fn("trim", typed.node)
            valid = fn("regexp_full_match", trimmed, lit(r"[+-]?(\d+(\.\d*)?|\.\d+)"))
            return Typed(
                checked(
                    valid,
                    _try_or_cast(trimmed, target, True),
                    "INVALID_CAST_ARGUMENT: Cannot cast value to decimal",
                ),
                target,
            )
    if kind in ("double", "real"):
        if source.is_numeric or source.kind == "boolean":
            return Typed(_try_or_cast(typed.node, target, try_), target)
        if source.is_string:
            trimmed = fn("trim", typed.node)
            valid = fn(
                "regexp_full_match",
                trimmed,
                lit(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|Infinity)"),
            )
            return Typed(
                checked(
                    valid,
                    _try_or_cast(trimmed, target, True),
                    f"INVALID_CAST_ARGUMENT: Cannot cast value to {kind}",
                ),
                target,
            )
    if kind == "boolean":
        if source.is_numeric:
            return Typed(exp.NEQ(this=typed.node, expression=lit(0)), target)
        if source.is_string:
            lowered = fn("lower", fn("trim", typed.node))
            value = case(
                (exp.In(this=lowered, expressions=[lit("true"), lit("t"), lit("1")]), lit(True)),
                default=lit(False),
            )
            valid = exp.In(
                this=lowered, expressions=[lit(v) for v in ("true", "t", "1", "false", "f", "0")]
            )
            return Typed(
                checked(valid, value, "INVALID_CAST_ARGUMENT: Cannot cast value to boolean"), target
            )
    if kind == "date":
        if source.kind in ("timestamp", "timestamp_tz"):
            return Typed(cast(typed.node, "DATE"), target)
        if source.is_string:
            trimmed = fn("trim", typed.node)
            valid = fn("regexp_full_match", trimmed, lit(r"\d{4}-\d{1,2}-\d{1,2}"))
            return Typed(
                checked(
                    valid,
                    _try_or_cast(trimmed, target, True),
                    "INVALID_CAST_ARGUMENT: Value cannot be cast to date",
                ),
                target,
            )
    if kind == "timestamp":
        if target.precision > 6:
            raise refuse(
                f"timestamp({target.precision})",
                "the local engine keeps timestamps to the microsecond",
            )
        if source.kind == "date":
            return Typed(cast(typed.node, "TIMESTAMP"), target)
        if source.kind in ("timestamp", "timestamp_tz"):
            return Typed(
                round_timestamp(cast(typed.node, "TIMESTAMP"), source.precision, target.precision),
                target,
            )
        if source.is_string:
            trimmed = fn("trim", typed.node)
            valid = fn(
                "regexp_full_match",
                trimmed,
                lit(r"\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"),
            )
            value = round_timestamp(
                _try_or_cast(trimmed, ty.timestamp(6), True), 6, target.precision
            )
            return Typed(
                checked(valid, value, "INVALID_CAST_ARGUMENT: Value cannot be cast to timestamp"),
                target,
            )
    if kind == "timestamp_tz":
        if target.precision > 6:
            raise refuse(
                f"timestamp({target.precision}) with time zone",
                "the local engine keeps timestamps to the microsecond",
            )
        if source.kind in ("date", "timestamp"):
            precision = source.precision if source.kind == "timestamp" else 0
            return Typed(
                cast(
                    round_timestamp(cast(typed.node, "TIMESTAMP"), precision, target.precision),
                    "TIMESTAMPTZ",
                ),
                target,
            )
    if kind == "time" and source.kind == "timestamp":
        return Typed(cast(typed.node, "TIME"), target)
    if kind == "array" and source.kind == "array":
        return tr._map_list(typed, lambda e: cast_value(tr, e, target.element, try_), target)
    if kind == "map" and source.kind == "map":
        return tr._map_map(
            typed,
            lambda k: cast_value(tr, k, target.key, try_),
            lambda v: cast_value(tr, v, target.value, try_),
            target,
        )
    if kind == "row" and source.kind == "row":
        return tr.row_cast(typed, target)
    raise refuse(name, "the local engine does not run this cast")


def _try_or_cast(node: exp.Expression, target: T, try_: bool) -> exp.Expression:
    if try_:
        return exp.TryCast(this=node, to=exp.DataType.build(target.duck(), dialect="duckdb"))
    return cast(node, target.duck())


def round_timestamp(node: exp.Expression, have: int, want: int) -> exp.Expression:
    """A timestamp of precision ``have`` at precision ``want``, rounded half up as Trino casts."""
    if want >= min(have, 6):
        return node
    factor = 10 ** (6 - want)
    micros = fn("epoch_us", node)
    rounded = exp.Mul(
        this=cast(
            fn(
                "floor",
                exp.Div(
                    this=cast(exp.Add(this=micros, expression=lit(factor // 2)), "DOUBLE"),
                    expression=lit(factor),
                ),
            ),
            "BIGINT",
        ),
        expression=lit(factor),
    )
    return fn("make_timestamp", rounded)


def to_varchar(tr: Translator, typed: Typed, name: str) -> exp.Expression:
    """CAST(x AS varchar) as Trino writes x."""
    t = typed.type
    if t.is_string:
        return typed.node
    if t.is_integer or t.kind in ("decimal", "date"):
        return cast(typed.node, "VARCHAR")
    if t.kind == "boolean":
        return case((typed.node, lit("true")), (exp.Not(this=typed.node), lit("false")))
    if t.kind in ("timestamp", "timestamp_tz"):
        if t.precision not in (0, 3, 6):
            raise refuse(name, "the local engine writes timestamps of precision 0, 3 or 6")
        fraction = {0: "", 3: ".%g", 6: ".%f"}[t.precision]
        text = fn("strftime", typed.node, lit("%Y-%m-%d %H:%M:%S" + fraction))
        return exp.DPipe(this=text, expression=lit(" UTC")) if t.kind == "timestamp_tz" else text
    if t.kind == "json":
        return _from_json(tr, typed, ty.VARCHAR, name, False).node
    raise refuse(name, "the local engine does not write this type as Trino does")


def _json_safe(t: T) -> bool:
    if t.kind in ("boolean", "varchar", "char", "json", "unknown", "decimal") or t.is_integer:
        return True
    if t.kind == "array":
        return _json_safe(t.element)
    if t.kind == "map":
        return t.key.is_string and _json_safe(t.value)
    if t.kind == "row":
        return all(name is not None and _json_safe(f) for name, f in t.fields)
    return False


def _to_json(tr: Translator, typed: Typed, name: str) -> exp.Expression:
    t = typed.type
    if not _json_safe(t):
        raise refuse(
            name,
            "the local engine writes JSON from booleans, integers, decimals, strings and their "
            "arrays, maps and named rows only",
        )
    if t.kind == "decimal":
        return cast(cast(typed.node, "VARCHAR"), "JSON")
    if t.kind in ("array", "map", "row") and _has_decimal(t):
        raise refuse(
            name, "the local engine does not write decimals inside JSON arrays, maps or rows"
        )
    return fn("to_json", typed.node)


def _has_decimal(t: T) -> bool:
    if t.kind == "decimal":
        return True
    if t.kind == "array":
        return _has_decimal(t.element)
    if t.kind == "map":
        return _has_decimal(t.value)
    if t.kind == "row":
        return any(_has_decimal(f) for _, f in t.fields)
    return False


def _from_json(tr: Translator, typed: Typed, target: T, name: str, try_: bool) -> Typed:
    kind = target.kind
    json_type = fn("json_type", typed.node)
    failure: exp.Expression = (
        cast(exp.Null(), target.duck())
        if try_
        else runtime_error(f"INVALID_CAST_ARGUMENT: Cannot cast JSON to {target.trino()}")
    )
    if kind in ("varchar",):
        value = case(
            (exp.EQ(this=json_type, expression=lit("NULL")), cast(exp.Null(), "VARCHAR")),
            (exp.In(this=json_type, expressions=[lit("ARRAY"), lit("OBJECT")]), failure),
            (
                exp.EQ(this=json_type, expression=lit("VARCHAR")),
                fn("json_extract_string", typed.node, lit("$")),
            ),
            default=cast(typed.node, "VARCHAR"),
        )
        return Typed(value, ty.VARCHAR)
    if kind in ("date", "time"):
        value = case(
            (exp.EQ(this=json_type, expression=lit("NULL")), cast(exp.Null(), target.duck())),
            (
                exp.EQ(this=json_type, expression=lit("VARCHAR")),
                cast(fn("json_extract_string", typed.node, lit("$")), target.duck()),
            ),
            default=failure,
        )
        return Typed(value, target)
    if kind in ("boolean", "double", "real") or target.is_integer:
        return Typed(_try_or_cast(typed.node, target, try_), target)
    if kind == "row" and not _contains_json(target):
        # A JSON array gives the fields by position, an object by name.
        fields = []
        for position, (field_name, field_type) in enumerate(target.fields):
            element = Typed(fn("json_extract", typed.node, lit(f"$[{position}]")), ty.JSON)
            value = _from_json(tr, element, field_type, name, try_)
            fields.append(
                exp.PropertyEQ(
                    this=exp.to_identifier(field_name or f"field{position}", quoted=True),
                    expression=value.node,
                )
            )
        positional = case(
            (
                exp.NEQ(
                    this=fn("json_array_length", typed.node), expression=lit(len(target.fields))
                ),
                failure.copy(),
            ),
            default=fn("struct_pack", *fields),
        )
        value = case(
            (exp.EQ(this=json_type, expression=lit("NULL")), cast(exp.Null(), target.duck())),
            (exp.EQ(this=json_type.copy(), expression=lit("ARRAY")), positional),
            default=_try_or_cast(typed.node, target, try_),
        )
        return Typed(value, target)
    if kind in ("array", "map") and not _contains_json(target):
        return Typed(_try_or_cast(typed.node, target, try_), target)
    raise refuse(name, "the local engine does not run this cast from JSON")


def _contains_json(t: T) -> bool:
    if t.kind == "json":
        return True
    if t.kind == "array":
        return _contains_json(t.element)
    if t.kind == "map":
        return _contains_json(t.value)
    if t.kind == "row":
        return any(_contains_json(f) for _, f in t.fields)
    return False


# --- windows and aggregates ---------------------------------------------------------------------


@register(exp.Window)
def _window(tr: Translator, node: exp.Window, scope: Scope) -> Typed:  # noqa: PLR0912
    if node.args.get("alias") or (node.this is None):
        raise refuse("WINDOW", "the local engine does not run named windows")
    inner = node.this
    ignore_nulls = False
    if isinstance(inner, exp.IgnoreNulls):
        ignore_nulls, inner = True, inner.this
    elif isinstance(inner, exp.RespectNulls):
        inner = inner.this
    previous = getattr(tr, "_in_window", False)
    tr._in_window = True  # type: ignore[attr-defined]
    try:
        function_ = tr.expr(inner, scope)
    finally:
        tr._in_window = previous  # type: ignore[attr-defined]
    call_node = function_.node
    outer_cast = None
    if isinstance(call_node, exp.Cast):
        outer_cast, call_node = call_node.args["to"], call_node.this
    if not isinstance(call_node, exp.Anonymous | exp.Filter):
        raise refuse("OVER", "the local engine runs plain window and aggregate calls over windows")
    if ignore_nulls:
        if not isinstance(call_node, exp.Anonymous) or call_node.name.lower() not in (
            "lag",
            "lead",
            "first_value",
            "last_value",
            "nth_value",
        ):
            raise refuse(
                "IGNORE NULLS", "the local engine ignores nulls in value window functions only"
            )
        first = exp.Var(this=f"{athena_sql.duck_sql(call_node.expressions[0])} IGNORE NULLS")
        call_node.set("expressions", [first, *call_node.expressions[1:]])
    partition = [tr.expr(e, scope).node for e in node.args.get("partition_by") or []]
    result = exp.Window(this=call_node, partition_by=partition or None)
    if order := node.args.get("order"):
        items = []
        for ordered in order.expressions:
            key = tr.expr(ordered.this, scope)
            items.append(
                exp.Ordered(
                    this=key.node,
                    desc=bool(ordered.args.get("desc")),
                    nulls_first=bool(ordered.args.get("nulls_first")),
                )
            )
        result.set("order", exp.Order(expressions=items))
    if spec := node.args.get("spec"):
        for key in ("start", "end"):
            bound = spec.args.get(key)
            if bound is not None and not (
                isinstance(bound, str) or (isinstance(bound, exp.Literal) and not bound.is_string)
            ):
                raise refuse("window frame", "the local engine takes numeric frame offsets")
        if spec.args.get("exclude"):
            raise refuse("EXCLUDE", "the local engine does not exclude rows from frames")
        result.set("spec", spec.copy())
    if outer_cast is not None:
        return Typed(exp.Cast(this=result, to=outer_cast), function_.type)
    return Typed(result, function_.type, name=None)


def _aggregate_args(
    tr: Translator, args: list[exp.Expression], scope: Scope, name: str
) -> tuple[list[Typed], bool, exp.Order | None]:
    distinct, order = False, None
    values: list[exp.Expression] = list(args)
    if len(values) == 1 and isinstance(values[0], exp.Distinct):
        distinct = True
        values = list(values[0].expressions)
    if values and isinstance(values[-1], exp.Order):
        order_node = values[-1]
        values = [*values[:-1], order_node.this] if order_node.this is not None else values[:-1]
        items = [
            exp.Ordered(
                this=tr.expr(o.this, scope).node,
                desc=bool(o.args.get("desc")),
                nulls_first=bool(o.args.get("nulls_first")),
            )
            for o in order_node.expressions
        ]
        order = exp.Order(expressions=items)
    typed = [tr.expr(v, scope) for v in values]
    return typed, distinct, order


def _aggregate_call(
    duck: str, args: list[exp.Expression], distinct: bool, order: exp.Order | None
) -> exp.Expression:
    if distinct:
        args = [exp.Distinct(expressions=args)]
    if order is not None:
        if len(args) != 1:
            last = exp.Order(this=args[-1], expressions=order.expressions)
            args = [*args[:-1], last]
        else:
            args = [exp.Order(this=args[0], expressions=order.expressions)]
    return exp.Anonymous(this=duck, expressions=args)


def aggregate(  # noqa: PLR0917
    duck: str,
    result: Callable[[list[Typed]], T],
    counts: Sequence[int],
    ordered: bool = False,
    check: Callable[[list[Typed], str], None] | None = None,
    convert: Callable[[Translator, list[Typed]], list[Typed]] | None = None,
) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower()
        values, distinct, order = _aggregate_args(tr, args, scope, name)
        if len(values) not in counts:
            raise _bad_call(f"Unexpected parameters for function {name}")
        if order is not None and not ordered:
            raise refuse(
                f"{name}(... ORDER BY ...)", "the local engine orders array_agg and listagg only"
            )
        if check:
            check(values, name)
        if convert:
            values = convert(tr, values)
        t = result(values)
        return Typed(
            cast(_aggregate_call(duck, [v.node for v in values], distinct, order), t.duck()), t
        )

    return handler


@register(exp.Filter)
def _filter(tr: Translator, node: exp.Filter, scope: Scope) -> Typed:
    inner = tr.expr(node.this, scope)
    condition = tr.boolean(node.expression.this, scope, "FILTER")
    call_node = inner.node.this if isinstance(inner.node, exp.Cast) else inner.node
    if not isinstance(call_node, exp.Anonymous):
        raise refuse("FILTER", "the local engine filters plain aggregate calls only")
    filtered = exp.Filter(this=call_node, expression=exp.Where(this=condition.node))
    node_out = cast(filtered, inner.type.duck()) if isinstance(inner.node, exp.Cast) else filtered
    return Typed(node_out, inner.type)


@register(exp.GroupConcat)
def _listagg(tr: Translator, node: exp.GroupConcat, scope: Scope) -> Typed:
    if node.args.get("on_overflow") and not isinstance(node.args.get("on_overflow"), exp.Var):
        raise refuse("listagg ON OVERFLOW TRUNCATE", "the local engine does not truncate listagg")
    inner = node.this
    order = None
    if isinstance(inner, exp.Order):
        items = [
            exp.Ordered(
                this=tr.expr(o.this, scope).node,
                desc=bool(o.args.get("desc")),
                nulls_first=bool(o.args.get("nulls_first")),
            )
            for o in inner.expressions
        ]
        order = exp.Order(expressions=items)
        inner = inner.this
    if isinstance(inner, exp.Distinct):
        raise refuse("listagg(DISTINCT ...)", "the local engine does not run listagg DISTINCT")
    value = _string(tr, tr.expr(inner, scope), "listagg")
    separator = (
        tr.expr(node.args["separator"], scope)
        if node.args.get("separator")
        else Typed(lit(""), ty.varchar(0), "")
    )
    call_node = _aggregate_call("string_agg", [value.node, separator.node], False, order)
    return Typed(call_node, ty.VARCHAR)


def _numeric_check(values: list[Typed], name: str) -> None:
    for value in values:
        if not (value.type.is_numeric or value.type.kind == "unknown"):
            raise _bad_call(
                f"Unexpected parameters ({value.type.trino()}) for function {name}",
            )


def _sum_type(values: list[Typed]) -> T:
    t = values[0].type
    if t.is_integer or t.kind == "unknown":
        return ty.BIGINT
    if t.kind == "decimal":
        return ty.decimal(38, t.scale)
    return t


def _avg_type(values: list[Typed]) -> T:
    t = values[0].type
    return t if t.kind in ("decimal", "real") else ty.DOUBLE


@function("count", aggregate=True)
def _count(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    if len(args) == 1 and isinstance(args[0], exp.Star):
        return Typed(cast(fn("count", exp.Star()), "BIGINT"), ty.BIGINT)
    values, distinct, order = _aggregate_args(tr, args, scope, "count")
    if len(values) != 1 or order is not None:
        raise _bad_call("count takes one argument")
    return Typed(
        cast(_aggregate_call("count", [values[0].node], distinct, None), "BIGINT"), ty.BIGINT
    )


FUNCTIONS["sum"] = aggregate("sum", _sum_type, [1], check=_numeric_check)
AGGREGATES.add("sum")


@function("avg", aggregate=True)
def _avg(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    values, distinct, order = _aggregate_args(tr, args, scope, "avg")
    if len(values) != 1 or order is not None:
        raise _bad_call("avg takes one argument")
    _numeric_check(values, "avg")
    value = values[0]
    if value.type.kind == "decimal":
        t = value.type
        total = Typed(
            cast(
                _aggregate_call("sum", [value.node], distinct, None), ty.decimal(38, t.scale).duck()
            ),
            ty.decimal(38, t.scale),
        )
        count = Typed(
            cast(_aggregate_call("count", [value.node], distinct, None), "DECIMAL(19,0)"),
            ty.decimal(19, 0),
        )
        return decimal_divide(tr, total, count, t)
    t = _avg_type(values)
    return Typed(cast(_aggregate_call("avg", [value.node], distinct, None), t.duck()), t)


def _same(values: list[Typed]) -> T:
    return values[0].type


@function("min", "max", aggregate=True)
def _min_max(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    values, distinct, order = _aggregate_args(tr, args, scope, name)
    if order is not None or len(values) not in (1, 2):
        raise _bad_call(f"Unexpected parameters for function {name}")
    value = values[0]
    if value.type.kind in ("map", "json", "varbinary"):
        raise _bad_call(f"{name} does not take {value.type.trino()}")
    if len(values) == 2:
        count = _integer(tr, values[1], name)
        t = ty.array(value.type)
        return Typed(cast(fn(name, value.node, count.node), t.duck()), t)
    return Typed(
        cast(_aggregate_call(name, [value.node], distinct, None), value.type.duck()), value.type
    )


@function("max_by", "min_by", aggregate=True)
def _max_by(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    values, distinct, order = _aggregate_args(tr, args, scope, name)
    if distinct or order is not None or len(values) not in (2, 3):
        raise _bad_call(f"Unexpected parameters for function {name}")
    if values[1].type.kind in ("map", "json"):
        raise _bad_call(f"{name} cannot order by {values[1].type.trino()}")
    duck = "arg_max" if name == "max_by" else "arg_min"
    if len(values) == 3:
        t = ty.array(values[0].type)
        return Typed(
            cast(
                fn(duck, values[0].node, values[1].node, _integer(tr, values[2], name).node),
                t.duck(),
            ),
            t,
        )
    return Typed(
        cast(fn(duck, values[0].node, values[1].node), values[0].type.duck()), values[0].type
    )


def _boolean_check(values: list[Typed], name: str) -> None:
    for value in values:
        _want(value, name, "boolean")


FUNCTIONS["count_if"] = aggregate("count_if", lambda v: ty.BIGINT, [1], check=_boolean_check)
FUNCTIONS["bool_and"] = aggregate("bool_and", lambda v: ty.BOOLEAN, [1], check=_boolean_check)
FUNCTIONS["every"] = FUNCTIONS["bool_and"]
FUNCTIONS["bool_or"] = aggregate("bool_or", lambda v: ty.BOOLEAN, [1], check=_boolean_check)
FUNCTIONS["arbitrary"] = aggregate("any_value", _same, [1])
FUNCTIONS["any_value"] = FUNCTIONS["arbitrary"]
FUNCTIONS["array_agg"] = aggregate("array_agg", lambda v: ty.array(v[0].type), [1], ordered=True)
FUNCTIONS["approx_distinct"] = aggregate("approx_count_distinct", lambda v: ty.BIGINT, [1])
FUNCTIONS["geometric_mean"] = aggregate("geomean", lambda v: ty.DOUBLE, [1], check=_numeric_check)
for _name in ("stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"):
    _duck = {"stddev": "stddev_samp", "variance": "var_samp"}.get(_name, _name)
    FUNCTIONS[_name] = aggregate(_duck, lambda v: ty.DOUBLE, [1], check=_numeric_check)
for _name in ("corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept"):
    FUNCTIONS[_name] = aggregate(_name, lambda v: ty.DOUBLE, [2], check=_numeric_check)
for _name, _duck in (
    ("bitwise_and_agg", "bit_and"),
    ("bitwise_or_agg", "bit_or"),
    ("bitwise_xor_agg", "bit_xor"),
):
    FUNCTIONS[_name] = aggregate(
        _duck, lambda v: ty.BIGINT, [1], check=lambda v, n: _want(v[0], n, "integer_any")
    )
AGGREGATES.update(
    {
        "count_if",
        "bool_and",
        "every",
        "bool_or",
        "arbitrary",
        "any_value",
        "array_agg",
        "approx_distinct",
        "geometric_mean",
        "stddev",
        "stddev_samp",
        "stddev_pop",
        "variance",
        "var_samp",
        "var_pop",
        "corr",
        "covar_pop",
        "covar_samp",
        "regr_slope",
        "regr_intercept",
        "bitwise_and_agg",
        "bitwise_or_agg",
        "bitwise_xor_agg",
    }
)


@function("approx_percentile", aggregate=True)
def _approx_percentile(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values, distinct, order = _aggregate_args(tr, args, scope, "approx_percentile")
    if distinct or order is not None or len(values) != 2:
        raise refuse("approx_percentile", "the local engine takes approx_percentile(x, percentage)")
    value, percentage = values
    _numeric_check([value], "approx_percentile")
    t = ty.array(value.type) if percentage.type.kind == "array" else value.type
    return Typed(cast(fn("approx_quantile", value.node, percentage.node), t.duck()), t)


@function("histogram", aggregate=True)
def _histogram(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values, distinct, order = _aggregate_args(tr, args, scope, "histogram")
    if distinct or order is not None or len(values) != 1:
        raise _bad_call("histogram takes one argument")
    t = ty.map_of(values[0].type, ty.BIGINT)
    return Typed(cast(fn("histogram", values[0].node), t.duck()), t)


@function("map_agg", aggregate=True)
def _map_agg(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values, distinct, order = _aggregate_args(tr, args, scope, "map_agg")
    if distinct or order is not None or len(values) != 2:
        raise _bad_call("map_agg takes two arguments")
    key, value = values
    t = ty.map_of(key.type, value.type)
    entries = fn(
        "list",
        fn(
            "struct_pack",
            exp.PropertyEQ(this=exp.to_identifier("key"), expression=key.node),
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=value.node),
        ),
    )
    # Trino keeps one value of a repeated key, and skips NULL keys.
    filtered = exp.Filter(this=entries, expression=exp.Where(this=exp.Not(this=is_null(key.node))))
    return Typed(
        cast(fn("map_from_entries", _distinct_keys(tr, filtered, key.type, value.type)), t.duck()),
        t,
    )


def _distinct_keys(tr: Translator, entries: exp.Expression, key: T, value: T) -> exp.Expression:
    param, index = tr.fresh("e"), tr.fresh("i")
    keys = fn(
        "list_transform",
        entries,
        exp.Lambda(
            this=fn("struct_extract", exp.Column(this=exp.to_identifier(param)), lit("key")),
            expressions=[exp.to_identifier(param)],
        ),
    )
    first = exp.EQ(
        this=fn(
            "list_position",
            keys,
            fn("struct_extract", exp.Column(this=exp.to_identifier(param)), lit("key")),
        ),
        expression=exp.Column(this=exp.to_identifier(index)),
    )
    return fn(
        "list_filter",
        entries,
        exp.Lambda(this=first, expressions=[exp.to_identifier(param), exp.to_identifier(index)]),
    )


@function("multimap_agg", aggregate=True)
def _multimap_agg(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    raise refuse("multimap_agg", "the local engine does not run this function")


for _name in (
    "rank",
    "dense_rank",
    "row_number",
    "ntile",
    "percent_rank",
    "cume_dist",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
):
    WINDOW_ONLY.add(_name)


def _window_function(
    duck: str, result: Callable[[list[Typed]], T], counts: Sequence[int]
) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower()
        values = _args(tr, args, scope, name, counts)
        if name in ("lag", "lead") and len(values) == 3:
            values[2] = tr.coerce(values[2], values[0].type)
        if name in ("lag", "lead", "ntile", "nth_value") and len(values) >= 2:
            values[1] = _integer(tr, values[1], name)
        return Typed(fn(duck, *(v.node for v in values)), result(values))

    return handler


FUNCTIONS["rank"] = _window_function("rank", lambda v: ty.BIGINT, [0])
FUNCTIONS["dense_rank"] = _window_function("dense_rank", lambda v: ty.BIGINT, [0])
FUNCTIONS["row_number"] = _window_function("row_number", lambda v: ty.BIGINT, [0])
FUNCTIONS["ntile"] = _window_function("ntile", lambda v: ty.BIGINT, [1])
FUNCTIONS["percent_rank"] = _window_function("percent_rank", lambda v: ty.DOUBLE, [0])
FUNCTIONS["cume_dist"] = _window_function("cume_dist", lambda v: ty.DOUBLE, [0])
FUNCTIONS["lag"] = _window_function("lag", _same, [1, 2, 3])
FUNCTIONS["lead"] = _window_function("lead", _same, [1, 2, 3])
FUNCTIONS["first_value"] = _window_function("first_value", _same, [1])
FUNCTIONS["last_value"] = _window_function("last_value", _same, [1])
FUNCTIONS["nth_value"] = _window_function("nth_value", _same, [2])


# --- strings --------------------------------------------------------------------------------------


def _length_of(t: T) -> int | None:
    return t.params[0] if t.kind in ("varchar", "char") and t.params else None


@function("length")
def _length(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "length", [1])
    _want(value, "length", "varchar", "char")
    return Typed(cast(fn("length", value.node), "BIGINT"), ty.BIGINT)


@function("lower", "upper")
def _case_mapping(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    (value,) = _args(tr, args, scope, name, [1])
    value = _string(tr, value, name)
    return Typed(fn(name, value.node), value.type)


@function("concat")
def _concat(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "concat", range(1, 255))
    return concat(tr, values, "concat")


@function("substr", "substring")
def _substr(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "substr", [2, 3])
    return _substring(tr, values)


def _substring(tr: Translator, values: list[Typed]) -> Typed:
    text = _string(tr, values[0], "substr")
    if text.type.kind == "char":
        raise refuse("substr of char", "the local engine does not cut char values")
    start = _integer(tr, values[1], "substr")
    parts = [text.node, start.node] + (
        [_integer(tr, values[2], "substr").node] if len(values) == 3 else []
    )
    # Trino: a start of 0 (or beyond either end) gives the empty string.
    node = case(
        (exp.EQ(this=start.node, expression=lit(0)), lit("")), default=fn("substring", *parts)
    )
    return Typed(node, ty.varchar(_length_of(text.type)))


@register(exp.Substring)
def _substring_node(tr: Translator, node: exp.Substring, scope: Scope) -> Typed:
    values = [tr.expr(node.this, scope), tr.expr(node.args["start"], scope)]
    if node.args.get("length") is not None:
        values.append(tr.expr(node.args["length"], scope))
    return _substring(tr, values)


@function("replace")
def _replace(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = [_string(tr, v, "replace") for v in _args(tr, args, scope, "replace", [2, 3])]
    replacement = values[2].node if len(values) == 3 else lit("")
    search = values[1]
    if search.is_literal and search.literal == "":
        raise refuse(
            "replace with an empty search string",
            "the local engine does not insert between characters",
        )
    if not search.is_literal:
        tr.has_runtime_checks = True
        guarded = case(
            (
                exp.EQ(this=search.node, expression=lit("")),
                runtime_refusal("replace", "an empty search string"),
            ),
            default=fn("replace", values[0].node, search.node, replacement),
        )
        return Typed(guarded, ty.VARCHAR)
    return Typed(fn("replace", values[0].node, search.node, replacement), ty.VARCHAR)


@function("reverse")
def _reverse(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "reverse", [1])
    if value.type.kind == "array":
        return Typed(fn("list_reverse", value.node), value.type)
    value = _string(tr, value, "reverse")
    return Typed(fn("reverse", value.node), value.type)


@function("strpos")
def _strpos(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "strpos", [2, 3])
    if len(values) == 3:
        raise refuse("strpos with an instance", "the local engine finds the first instance only")
    text, search = (_string(tr, v, "strpos") for v in values)
    return Typed(cast(fn("strpos", text.node, search.node), "BIGINT"), ty.BIGINT)


@register(exp.StrPosition)
def _position(tr: Translator, node: exp.StrPosition, scope: Scope) -> Typed:
    if node.args.get("position") or node.args.get("occurrence"):
        raise refuse("position", "the local engine finds the first instance only")
    text = _string(tr, tr.expr(node.this, scope), "position")
    search = _string(tr, tr.expr(node.args["substr"], scope), "position")
    return Typed(cast(fn("strpos", text.node, search.node), "BIGINT"), ty.BIGINT)


FUNCTIONS["starts_with"] = simple(
    "starts_with", lambda v: ty.BOOLEAN, [2], [("varchar", "char"), ("varchar", "char")]
)
FUNCTIONS["ends_with"] = simple(
    "suffix", lambda v: ty.BOOLEAN, [2], [("varchar", "char"), ("varchar", "char")]
)


@register(exp.Trim)
def _trim(tr: Translator, node: exp.Trim, scope: Scope) -> Typed:
    value = _string(tr, tr.expr(node.this, scope), "trim")
    characters = (
        tr.expr(node.expression, scope)
        if node.expression is not None
        else Typed(lit(_WHITESPACE), ty.VARCHAR, _WHITESPACE)
    )
    position = (node.args.get("position") or "BOTH").upper()
    duck = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[position]
    return Typed(
        fn(duck, value.node, _string(tr, characters, "trim").node),
        ty.varchar(_length_of(value.type)),
    )


@function("trim", "ltrim", "rtrim")
def _trim_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    values = _args(tr, args, scope, name, [1, 2])
    value = _string(tr, values[0], name)
    characters = _string(tr, values[1], name).node if len(values) == 2 else lit(_WHITESPACE)
    return Typed(fn(name, value.node, characters), ty.varchar(_length_of(value.type)))


@function("lpad", "rpad")
def _pad(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    name = node.name.lower()
    text, size, padding = _args(tr, args, scope, name, [3])
    text, padding = _string(tr, text, name), _string(tr, padding, name)
    size = _integer(tr, size, name)
    guarded = case(
        (
            exp.LT(this=size.node, expression=lit(0)),
            runtime_error(
                "INVALID_FUNCTION_ARGUMENT: Target length must be in the range [0..2147483647]"
            ),
        ),
        (
            exp.EQ(this=fn("length", padding.node), expression=lit(0)),
            runtime_error("INVALID_FUNCTION_ARGUMENT: Padding string must not be empty"),
        ),
        default=fn(name, text.node, cast(size.node, "INTEGER"), padding.node),
    )
    return Typed(guarded, ty.VARCHAR)


@function("split_part")
def _split_part(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, delimiter, index = _args(tr, args, scope, "split_part", [3])
    text, delimiter = _string(tr, text, "split_part"), _string(tr, delimiter, "split_part")
    index = _integer(tr, index, "split_part")
    parts = _split(text, delimiter)
    node_out = case(
        (
            exp.LTE(this=index.node, expression=lit(0)),
            runtime_error("INVALID_FUNCTION_ARGUMENT: Index must be greater than zero"),
        ),
        # Past the last field: NULL (list indexing past the end gives NULL).
        default=at(parts, index.node),
    )
    return Typed(node_out, ty.varchar(_length_of(text.type)))


def _split(text: Typed, delimiter: Typed) -> exp.Expression:
    return case(
        (
            exp.EQ(this=delimiter.node, expression=lit("")),
            runtime_error("INVALID_FUNCTION_ARGUMENT: The delimiter may not be the empty string"),
        ),
        default=fn("string_split", text.node, delimiter.node),
    )


@function("split")
def _split_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "split", [2, 3])
    if len(values) == 3:
        raise refuse("split with a limit", "the local engine splits without a limit only")
    text, delimiter = _string(tr, values[0], "split"), _string(tr, values[1], "split")
    return Typed(_split(text, delimiter), ty.array(ty.varchar(_length_of(text.type))))


@function("chr")
def _chr(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    (value,) = _args(tr, args, scope, "chr", [1])
    return Typed(fn("chr", _integer(tr, value, "chr", ty.INTEGER).node), ty.varchar(1))


@function("codepoint")
def _codepoint(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "codepoint", [1])
    value = _string(tr, value, "codepoint")
    guarded = case(
        (
            exp.NEQ(this=fn("length", value.node), expression=lit(1)),
            runtime_error(
                "INVALID_FUNCTION_ARGUMENT: Input string must be a single character string"
            ),
        ),
        default=cast(fn("unicode", value.node), "INTEGER"),
    )
    return Typed(guarded, ty.INTEGER)


@function("concat_ws")
def _concat_ws(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "concat_ws", range(2, 255))
    separator = _string(tr, values[0], "concat_ws")
    if len(values) == 2 and values[1].type.kind == "array":
        _want(Typed(exp.Null(), values[1].type.element), "concat_ws", "varchar", "char")
        joined = fn("array_to_string", values[1].node, separator.node)
        return Typed(
            case((is_null(separator.node), cast(exp.Null(), "VARCHAR")), default=joined), ty.VARCHAR
        )
    rest = [_string(tr, v, "concat_ws").node for v in values[1:]]
    return Typed(fn("concat_ws", separator.node, *rest), ty.VARCHAR)


FUNCTIONS["hamming_distance"] = simple(
    "hamming", lambda v: ty.BIGINT, [2], [("varchar", "char"), ("varchar", "char")]
)
FUNCTIONS["levenshtein_distance"] = simple(
    "levenshtein", lambda v: ty.BIGINT, [2], [("varchar", "char"), ("varchar", "char")]
)
FUNCTIONS["translate"] = simple("translate", lambda v: ty.VARCHAR, [3], [("varchar", "char")] * 3)
FUNCTIONS["to_utf8"] = simple("encode", lambda v: ty.VARBINARY, [1], [("varchar", "char")])


@function("from_utf8")
def _from_utf8(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "from_utf8", [1, 2])
    if len(values) == 2:
        raise refuse(
            "from_utf8 with a replacement", "the local engine decodes without a replacement only"
        )
    _want(values[0], "from_utf8", "varbinary")
    return Typed(fn("decode", values[0].node), ty.VARCHAR)


@register(exp.Overlay)
def _overlay(tr: Translator, node: exp.Overlay, scope: Scope) -> Typed:
    text = _string(tr, tr.expr(node.this, scope), "overlay")
    replacement = _string(tr, tr.expr(node.expression, scope), "overlay")
    start = _integer(
        tr,
        tr.expr(node.args["from_"] if "from_" in node.args else node.args["from"], scope),
        "overlay",
    )
    length = (
        _integer(tr, tr.expr(node.args["for_"], scope), "overlay").node
        if node.args.get("for_") is not None
        else cast(fn("length", replacement.node), "BIGINT")
    )
    removed = fn("greatest", length, lit(0))
    result = exp.DPipe(
        this=exp.DPipe(
            this=fn("substring", text.node, lit(1), exp.Sub(this=start.node, expression=lit(1))),
            expression=replacement.node,
        ),
        expression=fn("substring", text.node, exp.Add(this=start.node, expression=removed)),
    )
    guarded = case(
        (
            exp.LTE(this=start.node, expression=lit(0)),
            runtime_error("INVALID_FUNCTION_ARGUMENT: start must be greater than 0"),
        ),
        default=result,
    )
    return Typed(guarded, ty.VARCHAR)


# --- regular expressions ---------------------------------------------------------------------


_UNPORTABLE_PATTERN = re.compile(r"\[\[:|\\[pPhHRXZG]|\\Q|\(\?[<]?[=!]|\(\?[a-z]*[dux]|\\[1-9]")


def _pattern(typed: Typed, name: str) -> str:
    pattern = _literal_string(typed, name, "pattern")
    if _UNPORTABLE_PATTERN.search(pattern):
        raise refuse(
            f"{name} pattern {pattern!r}",
            "the local engine runs patterns that read the same in Java and RE2 only",
        )
    # Java's named groups, as RE2 writes them.
    return re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", pattern)


def _regexp_args(
    tr: Translator, args: list[exp.Expression], scope: Scope, name: str, counts: Sequence[int]
) -> tuple[Typed, str, list[Typed]]:
    values = _args(tr, args, scope, name, counts)
    text = _string(tr, values[0], name)
    return text, _pattern(values[1], name), values[2:]


@function("regexp_like")
def _regexp_like(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, pattern, _ = _regexp_args(tr, args, scope, "regexp_like", [2])
    return Typed(fn("regexp_matches", text.node, lit(pattern)), ty.BOOLEAN)


@function("regexp_extract")
def _regexp_extract(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, pattern, rest = _regexp_args(tr, args, scope, "regexp_extract", [2, 3])
    group = _literal_int(rest[0], "regexp_extract", "group") if rest else 0
    extracted = fn("regexp_extract", text.node, lit(pattern), lit(group))
    return Typed(
        case((fn("regexp_matches", text.node, lit(pattern)), extracted)),
        ty.varchar(_length_of(text.type)),
    )


@function("regexp_extract_all")
def _regexp_extract_all(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, pattern, rest = _regexp_args(tr, args, scope, "regexp_extract_all", [2, 3])
    group = _literal_int(rest[0], "regexp_extract_all", "group") if rest else 0
    return Typed(
        fn("regexp_extract_all", text.node, lit(pattern), lit(group)),
        ty.array(ty.varchar(_length_of(text.type))),
    )


@function("regexp_replace")
def _regexp_replace(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) == 3 and isinstance(args[2], exp.Lambda):
        raise refuse("regexp_replace with a lambda", "the local engine replaces with a string only")
    text, pattern, rest = _regexp_args(tr, args, scope, "regexp_replace", [2, 3])
    replacement = _replacement(
        _literal_string(rest[0], "regexp_replace", "replacement") if rest else "", pattern
    )
    return Typed(
        fn("regexp_replace", text.node, lit(pattern), lit(replacement), lit("g")), ty.VARCHAR
    )


def _replacement(text: str, pattern: str) -> str:
    """Java's replacement syntax ($1, ${name}, \\$) as RE2's (\\1)."""
    groups = list(re.finditer(r"\((?!\?)|\(\?P?<[A-Za-z]", pattern))
    named_index = {}
    for position, match in enumerate(groups, start=1):
        found = re.match(r"\(\?P?<([A-Za-z][A-Za-z0-9]*)", pattern[match.start() :])
        if found:
            named_index[found[1]] = position
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append("\\\\" if following == "\\" else following)
            index += 2
            continue
        if char == "$":
            if text[index + 1 : index + 2] == "{":
                end = text.index("}", index)
                name = text[index + 2 : end]
                if name not in named_index:
                    raise user_error("INVALID_FUNCTION_ARGUMENT", f"No group with name {{{name}}}")
                out.append(f"\\{named_index[name]}")
                index = end + 1
                continue
            digits = re.match(r"\d+", text[index + 1 :])
            if not digits:
                raise user_error("INVALID_FUNCTION_ARGUMENT", "Illegal group reference")
            out.append(f"\\{digits.group()}")
            index += 1 + len(digits.group())
            continue
        out.append(char)
        index += 1
    return "".join(out)


@function("regexp_split")
def _regexp_split(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, pattern, _ = _regexp_args(tr, args, scope, "regexp_split", [2])
    return Typed(fn("regexp_split_to_array", text.node, lit(pattern)), ty.array(ty.VARCHAR))


@function("regexp_count")
def _regexp_count(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    text, pattern, _ = _regexp_args(tr, args, scope, "regexp_count", [2])
    return Typed(
        cast(fn("len", fn("regexp_extract_all", text.node, lit(pattern))), "BIGINT"), ty.BIGINT
    )


# --- numbers ------------------------------------------------------------------------------------


def _numeric(
    tr: Translator,
    args: list[exp.Expression],
    scope: Scope,
    name: str,
    counts: Sequence[int] = (1,),
) -> list[Typed]:
    values = _args(tr, args, scope, name, counts)
    for value in values:
        if not (value.type.is_numeric or value.type.kind == "unknown"):
            raise _bad_call(
                f"Unexpected parameters ({value.type.trino()}) for function {name}",
            )
    return values


def _double_function(duck: str, arity: int = 1) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        values = [
            tr.coerce(v, ty.DOUBLE) for v in _numeric(tr, args, scope, node.name.lower(), [arity])
        ]
        return Typed(fn(duck, *(v.node for v in values)), ty.DOUBLE)

    return handler


for _name in (
    "sqrt",
    "exp",
    "ln",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "degrees",
    "radians",
):
    FUNCTIONS[_name] = _double_function(_name)
FUNCTIONS["atan2"] = _double_function("atan2", 2)
FUNCTIONS["power"] = _double_function("power", 2)
FUNCTIONS["pow"] = FUNCTIONS["power"]


@function("log")
def _log(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    base, value = (tr.coerce(v, ty.DOUBLE) for v in _numeric(tr, args, scope, "log", [2]))
    return Typed(exp.Div(this=fn("ln", value.node), expression=fn("ln", base.node)), ty.DOUBLE)


def _constant(value: exp.Expression) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        _args(tr, args, scope, node.name.lower(), [0])
        return Typed(value.copy(), ty.DOUBLE)

    return handler


FUNCTIONS["pi"] = _constant(fn("pi"))
FUNCTIONS["e"] = _constant(fn("exp", lit(1)))
FUNCTIONS["infinity"] = _constant(cast(lit("Infinity"), "DOUBLE"))
FUNCTIONS["nan"] = _constant(cast(lit("NaN"), "DOUBLE"))


@function("random", "rand")
def _random(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if args:
        raise refuse(node.name.lower(), "the local engine draws random() without bounds only")
    return Typed(fn("random"), ty.DOUBLE)


@function("is_nan", "is_finite", "is_infinite")
def _float_test(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    (value,) = (tr.coerce(v, ty.DOUBLE) for v in _numeric(tr, args, scope, name))
    duck = {"is_nan": "isnan", "is_finite": "isfinite", "is_infinite": "isinf"}[name]
    return Typed(fn(duck, value.node), ty.BOOLEAN)


@function("abs")
def _abs(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    (value,) = _numeric(tr, args, scope, "abs")
    return Typed(cast(fn("abs", value.node), value.type.duck()), value.type)


@function("sign")
def _sign(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    (value,) = _numeric(tr, args, scope, "sign")
    t = value.type
    if t.kind == "decimal":
        t = ty.decimal(1, 0)
    if t.kind in ("double", "real"):
        return Typed(
            case(
                (fn("isnan", value.node), value.node),
                (exp.EQ(this=value.node, expression=lit(0)), value.node),
                default=cast(fn("sign", value.node), t.duck()),
            ),
            t,
        )
    return Typed(cast(fn("sign", value.node), t.duck()), t)


def _rounding(duck: str) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower()
        (value,) = _numeric(tr, args, scope, name)
        t = value.type
        if t.kind == "decimal":
            result = ty.decimal(max(1, t.precision - t.scale + min(t.scale, 1)), 0)
            return Typed(cast(fn(duck, value.node), result.duck()), result)
        return Typed(cast(fn(duck, value.node), t.duck()), t)

    return handler


FUNCTIONS["ceil"] = FUNCTIONS["ceiling"] = _rounding("ceil")
FUNCTIONS["floor"] = _rounding("floor")


@function("round")
def _round(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    values = _numeric(tr, args, scope, "round", [1, 2])
    value = values[0]
    t = value.type
    if len(values) == 1:
        if t.kind == "decimal":
            result = ty.decimal(max(1, t.precision - t.scale + min(t.scale, 1)), 0)
            return Typed(cast(fn("round", value.node), result.duck()), result)
        return Typed(cast(fn("round", value.node), t.duck()), t)
    digits = _integer(tr, values[1], "round", ty.INTEGER)
    if t.kind in ("double", "real"):
        return Typed(cast(fn("round", value.node, digits.node), t.duck()), t)
    raise refuse("round(x, d)", "the local engine rounds doubles to digits only")


@function("truncate")
def _truncate(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _numeric(tr, args, scope, "truncate", [1, 2])
    if len(values) == 2:
        raise refuse("truncate(x, d)", "the local engine truncates to an integer only")
    value = values[0]
    if value.type.kind not in ("double", "real"):
        raise refuse(f"truncate of {value.type.trino()}", "the local engine truncates doubles only")
    return Typed(fn("trunc", value.node), ty.DOUBLE)


@function("mod")
def _mod(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    left, right = _numeric(tr, args, scope, "mod", [2])
    return _arithmetic(tr, exp.Mod, left, right, "%")


def _bitwise(duck: Callable[[exp.Expression, exp.Expression], exp.Expression]) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        left, right = (
            _integer(tr, v, node.name.lower())
            for v in _args(tr, args, scope, node.name.lower(), [2])
        )
        return Typed(cast(duck(left.node, right.node), "BIGINT"), ty.BIGINT)

    return handler


FUNCTIONS["bitwise_and"] = _bitwise(lambda a, b: exp.BitwiseAnd(this=a, expression=b))
FUNCTIONS["bitwise_or"] = _bitwise(lambda a, b: exp.BitwiseOr(this=a, expression=b))
FUNCTIONS["bitwise_xor"] = _bitwise(lambda a, b: fn("xor", a, b))


@function("bitwise_not")
def _bitwise_not(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "bitwise_not", [1])
    return Typed(
        cast(exp.BitwiseNot(this=_integer(tr, value, "bitwise_not").node), "BIGINT"), ty.BIGINT
    )


# --- dates and times ----------------------------------------------------------------------------


_UNITS = {
    "millisecond": "to_milliseconds",
    "second": "to_seconds",
    "minute": "to_minutes",
    "hour": "to_hours",
    "day": "to_days",
    "week": "to_weeks",
    "month": "to_months",
    "quarter": "to_months",
    "year": "to_years",
}
_DATE_UNITS = ("day", "week", "month", "quarter", "year")


def _unit(typed: Typed, name: str) -> str:
    unit = _literal_string(typed, name, "unit").lower()
    if unit not in _UNITS:
        raise user_error("INVALID_FUNCTION_ARGUMENT", f"'{unit}' is not a valid time unit")
    return unit


@function("date_add")
def _date_add(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    unit_value, amount, value = _args(tr, args, scope, "date_add", [3])
    unit = _unit(unit_value, "date_add")
    amount = _integer(tr, amount, "date_add")
    t = value.type
    if t.kind not in ("date", "timestamp", "timestamp_tz"):
        raise _bad_call(f"date_add does not take {t.trino()}")
    if t.kind == "date" and unit not in _DATE_UNITS:
        raise user_error("INVALID_FUNCTION_ARGUMENT", f"'{unit}' is not a valid DATE field")
    count: exp.Expression = (
        cast(amount.node, "INTEGER")
        if unit != "quarter"
        else exp.Mul(this=cast(amount.node, "INTEGER"), expression=lit(3))
    )
    added = exp.Add(this=value.node, expression=fn(_UNITS[unit], count))
    return Typed(cast(added, t.duck()), t)


@function("date_diff")
def _date_diff(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    unit_value, first, second = _args(tr, args, scope, "date_diff", [3])
    unit = _unit(unit_value, "date_diff")
    first, second = _comparable(tr, first, second, "date_diff")
    if first.type.kind not in ("date", "timestamp", "timestamp_tz"):
        raise _bad_call(f"date_diff does not take {first.type.trino()}")
    # Trino: whole units elapsed (DuckDB's date_sub), where DuckDB's date_diff counts boundaries.
    return Typed(cast(fn("date_sub", lit(unit), first.node, second.node), "BIGINT"), ty.BIGINT)


@function("date_trunc")
def _date_trunc(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    unit_value, value = _args(tr, args, scope, "date_trunc", [2])
    unit = _unit(unit_value, "date_trunc")
    t = value.type
    if t.kind not in ("date", "timestamp", "timestamp_tz"):
        raise _bad_call(f"date_trunc does not take {t.trino()}")
    if t.kind == "date" and unit not in _DATE_UNITS:
        raise user_error("INVALID_FUNCTION_ARGUMENT", f"'{unit}' is not a valid DATE field")
    return Typed(cast(fn("date_trunc", lit(unit), value.node), t.duck()), t)


_FIELDS = {
    "year": "year",
    "quarter": "quarter",
    "month": "month",
    "week": "week",
    "week_of_year": "week",
    "day": "day",
    "day_of_month": "day",
    "day_of_week": "isodow",
    "dow": "isodow",
    "day_of_year": "dayofyear",
    "doy": "dayofyear",
    "year_of_week": "isoyear",
    "yow": "isoyear",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
}
_TIME_FIELDS = ("hour", "minute", "second", "millisecond")


def _field(tr: Translator, name: str, value: Typed) -> Typed:
    t = value.type
    if t.kind not in ("date", "timestamp", "timestamp_tz", "time"):
        raise _bad_call(f"{name} does not take {t.trino()}")
    if t.kind == "date" and name in _TIME_FIELDS:
        raise _bad_call(f"{name} does not take date")
    if t.kind == "time" and name not in _TIME_FIELDS:
        raise _bad_call(f"{name} does not take time")
    if name == "millisecond":
        return Typed(
            cast(exp.Mod(this=fn("millisecond", value.node), expression=lit(1000)), "BIGINT"),
            ty.BIGINT,
        )
    return Typed(cast(fn(_FIELDS[name], value.node), "BIGINT"), ty.BIGINT)


def _field_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    (value,) = _args(tr, args, scope, name, [1])
    return _field(tr, name, value)


for _name in (*_FIELDS, "millisecond"):
    FUNCTIONS[_name] = _field_function


@register(exp.Extract)
def _extract(tr: Translator, node: exp.Extract, scope: Scope) -> Typed:
    field_name = node.this.name.lower()
    aliases = {
        "dow": "day_of_week",
        "doy": "day_of_year",
        "yow": "year_of_week",
        "day_of_month": "day",
    }
    name = aliases.get(field_name, field_name)
    if name not in _FIELDS:
        raise refuse(
            f"extract({field_name.upper()})", "the local engine extracts date and time fields only"
        )
    return _field(tr, name, tr.expr(node.expression, scope))


@function("last_day_of_month")
def _last_day(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "last_day_of_month", [1])
    _want(value, "last_day_of_month", "date", "timestamp", "timestamp_tz")
    return Typed(fn("last_day", value.node), ty.DATE)


@function("date")
def _date(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    (value,) = _args(tr, args, scope, "date", [1])
    return cast_value(tr, value, ty.DATE)


@function("from_unixtime")
def _from_unixtime(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "from_unixtime", [1, 2, 3])
    if len(values) > 1:
        raise refuse("from_unixtime with a time zone", "the local engine keeps UTC only")
    (value,) = _numeric(tr, args, scope, "from_unixtime")
    millis = cast(
        fn("round", exp.Mul(this=cast(value.node, "DOUBLE"), expression=lit(1000))), "BIGINT"
    )
    return Typed(cast(fn("epoch_ms", millis), "TIMESTAMPTZ"), ty.timestamp_tz(3))


@function("to_unixtime")
def _to_unixtime(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "to_unixtime", [1])
    _want(value, "to_unixtime", "timestamp", "timestamp_tz")
    return Typed(cast(fn("epoch", value.node), "DOUBLE"), ty.DOUBLE)


@function("to_iso8601")
def _to_iso8601(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "to_iso8601", [1])
    t = value.type
    if t.kind == "date":
        return Typed(cast(value.node, "VARCHAR"), ty.VARCHAR)
    if t.kind in ("timestamp", "timestamp_tz") and t.precision == 3:
        text = fn("strftime", value.node, lit("%Y-%m-%dT%H:%M:%S.%g"))
        return Typed(
            exp.DPipe(this=text, expression=lit("Z")) if t.kind == "timestamp_tz" else text,
            ty.VARCHAR,
        )
    raise refuse(
        f"to_iso8601 of {t.trino()}",
        "the local engine writes dates and millisecond timestamps only",
    )


_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,3})?)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
)


@function("from_iso8601_timestamp")
def _from_iso8601_timestamp(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "from_iso8601_timestamp", [1])
    value = _string(tr, value, "from_iso8601_timestamp")
    if value.is_literal:
        text = value.literal
        match = _ISO_TIMESTAMP.fullmatch(text)
        if match is None:
            raise user_error("INVALID_FUNCTION_ARGUMENT", f'Invalid format: "{text}"')
        zone = match[5]
        if zone and not re.fullmatch(r"Z|[+-]00(:?00)?", zone):
            raise refuse(
                "from_iso8601_timestamp",
                f"the local engine keeps UTC only as a time zone, not {zone}",
            )
    tr.has_runtime_checks = True
    text = value.node
    utc = fn(
        "regexp_full_match",
        text,
        lit(r"\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,3})?)?)?)?(Z|[+-]00(:?00)?)?"),
    )
    plain = fn("regexp_replace", text, lit(r"(Z|[+-]00(:?00)?)$"), lit(""))
    parsed = cast(cast(fn("replace", plain, lit("T"), lit(" ")), "TIMESTAMP"), "TIMESTAMPTZ")
    result = case(
        (is_null(text), cast(exp.Null(), "TIMESTAMPTZ")),
        (utc, parsed),
        (
            fn("regexp_full_match", text, lit(_ISO_TIMESTAMP.pattern)),
            runtime_refusal("from_iso8601_timestamp", "a time zone other than UTC"),
        ),
        default=runtime_error(
            exp.DPipe(
                this=lit('INVALID_FUNCTION_ARGUMENT: Invalid format: "'),
                expression=exp.DPipe(this=text, expression=lit('"')),
            )
        ),
    )
    return Typed(result, ty.timestamp_tz(3))


@function("from_iso8601_date")
def _from_iso8601_date(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "from_iso8601_date", [1])
    value = _string(tr, value, "from_iso8601_date")
    if value.is_literal and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.literal):
        raise refuse(
            "from_iso8601_date of a week or ordinal date",
            "the local engine reads calendar dates (YYYY-MM-DD) only",
        )
    tr.has_runtime_checks = True
    result = case(
        (fn("regexp_full_match", value.node, lit(r"\d{4}-\d{2}-\d{2}")), cast(value.node, "DATE")),
        default=runtime_refusal("from_iso8601_date", "a week or ordinal date"),
    )
    return Typed(case((is_null(value.node), cast(exp.Null(), "DATE")), default=result), ty.DATE)


# MySQL format letters (date_format, date_parse) as DuckDB's strftime/strptime letters.
_MYSQL_FORMAT = {
    "a": "%a", "b": "%b", "c": "%-m", "d": "%d", "e": "%-d", "f": "%f", "H": "%H", "h": "%I",
    "I": "%I", "i": "%M", "j": "%j", "k": "%-H", "l": "%-I", "M": "%B", "m": "%m", "p": "%p",
    "r": "%I:%M:%S %p", "S": "%S", "s": "%S", "T": "%H:%M:%S", "W": "%A", "Y": "%Y", "y": "%y",
    "%": "%%",
}  # fmt: skip
_MYSQL_PARSE = {
    **_MYSQL_FORMAT,
    "c": "%m",
    "e": "%d",
    "k": "%H",
    "l": "%I",
    "f": None,
    "W": None,
    "a": None,
    "M": "%B",
    "b": "%b",
}
_UNSUPPORTED_FORMAT = "DUuVwXx"


def _mysql_format(text: str, table: dict[str, str | None], name: str) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "%" and index + 1 < len(text):
            letter = text[index + 1]
            if letter in _UNSUPPORTED_FORMAT:
                raise user_error(
                    "INVALID_FUNCTION_ARGUMENT", f"%{letter} not supported in date format string"
                )
            mapped = table.get(letter, letter if letter not in table else None)
            if mapped is None:
                raise refuse(f"{name} %{letter}", "the local engine does not read this specifier")
            out.append(mapped)
            index += 2
            continue
        out.append("%%" if char == "%" else char)
        index += 1
    return "".join(out)


@function("date_format")
def _date_format(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, pattern = _args(tr, args, scope, "date_format", [2])
    _want(value, "date_format", "timestamp", "timestamp_tz", "date")
    duck = _mysql_format(
        _literal_string(pattern, "date_format", "format"), _MYSQL_FORMAT, "date_format"
    )
    source = value.node if value.type.kind != "date" else cast(value.node, "TIMESTAMP")
    return Typed(fn("strftime", source, lit(duck)), ty.VARCHAR)


@function("date_parse")
def _date_parse(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, pattern = _args(tr, args, scope, "date_parse", [2])
    value = _string(tr, value, "date_parse")
    duck = _mysql_format(
        _literal_string(pattern, "date_parse", "format"), _MYSQL_PARSE, "date_parse"
    )
    return Typed(round_timestamp(fn("strptime", value.node, lit(duck)), 6, 3), ty.timestamp(3))


_JODA = [
    ("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
    ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%g"), ("EEEE", "%A"),
    ("EEE", "%a"), ("a", "%p"),
]  # fmt: skip


@function("format_datetime")
def _format_datetime(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, pattern = _args(tr, args, scope, "format_datetime", [2])
    _want(value, "format_datetime", "timestamp", "timestamp_tz")
    text = _literal_string(pattern, "format_datetime", "format")
    out, index = [], 0
    while index < len(text):
        for joda, duck in _JODA:
            if text.startswith(joda, index):
                out.append(duck)
                index += len(joda)
                break
        else:
            char = text[index]
            if char.isalpha() or char == "'":
                raise refuse(
                    f"format_datetime {char!r}",
                    "the local engine reads yyyy, yy, MMMM, MMM, MM, dd, HH, hh, mm, ss, SSS, "
                    "EEEE, EEE and a only",
                )
            out.append("%%" if char == "%" else char)
            index += 1
    return Typed(fn("strftime", value.node, lit("".join(out))), ty.VARCHAR)


@register(exp.AtTimeZone)
def _at_time_zone(tr: Translator, node: exp.AtTimeZone, scope: Scope) -> Typed:
    zone = tr.expr(node.args["zone"], scope)
    value = tr.expr(node.this, scope)
    if (
        zone.is_literal
        and isinstance(zone.literal, str)
        and zone.literal.upper() in ("UTC", "Z", "+00:00")
    ):
        return (
            cast_value(
                tr, value, ty.timestamp_tz(value.type.precision if value.type.kind != "date" else 0)
            )
            if value.type.kind != "timestamp_tz"
            else value
        )
    raise refuse("AT TIME ZONE", "the local engine keeps UTC only as a time zone")


@function("at_timezone", "with_timezone")
def _with_timezone(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    raise refuse(node.name.lower(), "the local engine keeps UTC only as a time zone")


# --- arrays -------------------------------------------------------------------------------------


def _array_arg(tr: Translator, typed: Typed, name: str) -> Typed:
    if typed.type.kind == "unknown":
        return tr.coerce(typed, ty.array(ty.UNKNOWN))
    if typed.type.kind != "array":
        raise _bad_call(
            f"Unexpected parameters ({typed.type.trino()}) for function {name}",
        )
    return typed


def _has_null(tr: Translator, array_node: exp.Expression, element: T) -> exp.Expression:
    lambda_ = _element_lambda(tr, element, lambda e: is_null(e.node))
    return exp.GT(this=fn("len", fn("list_filter", array_node, lambda_)), expression=lit(0))


@function("cardinality")
def _cardinality(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "cardinality", [1])
    if value.type.kind == "map":
        return Typed(cast(fn("cardinality", value.node), "BIGINT"), ty.BIGINT)
    value = _array_arg(tr, value, "cardinality")
    return Typed(cast(fn("len", value.node), "BIGINT"), ty.BIGINT)


@function("element_at")
def _element_at(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    base, index = _args(tr, args, scope, "element_at", [2])
    if base.type.kind == "map":
        if not ty.can_coerce(index.type, base.type.key):
            raise _bad_call(
                f"element_at key is {base.type.key.trino()}, not {index.type.trino()}",
            )
        return Typed(
            fn("map_extract_value", base.node, tr.coerce(index, base.type.key).node),
            base.type.value,
        )
    base = _array_arg(tr, base, "element_at")
    position = _integer(tr, index, "element_at")
    result = case(
        (
            exp.EQ(this=position.node, expression=lit(0)),
            runtime_error("INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1"),
        ),
        default=at(base.node, position.node),
    )
    return Typed(result, base.type.element)


@function("contains")
def _contains(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    array_value, element = _args(tr, args, scope, "contains", [2])
    array_value = _array_arg(tr, array_value, "contains")
    common = ty.common_type(array_value.type.element, element.type)
    if common is None:
        raise _bad_call("contains: element type does not match")
    array_value, element = tr.coerce(array_value, ty.array(common)), tr.coerce(element, common)
    result = case(
        (is_null(element.node), cast(exp.Null(), "BOOLEAN")),
        (fn("list_contains", array_value.node, element.node), lit(True)),
        (_has_null(tr, array_value.node, common), cast(exp.Null(), "BOOLEAN")),
        default=lit(False),
    )
    return Typed(result, ty.BOOLEAN)


@function("array_position")
def _array_position(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    array_value, element = _args(tr, args, scope, "array_position", [2])
    array_value = _array_arg(tr, array_value, "array_position")
    common = ty.common_type(array_value.type.element, element.type)
    if common is None:
        raise _bad_call("array_position: element type does not match")
    array_value, element = tr.coerce(array_value, ty.array(common)), tr.coerce(element, common)
    result = case(
        (any_null(array_value.node, element.node), cast(exp.Null(), "BIGINT")),
        default=cast(
            fn("coalesce", fn("list_position", array_value.node, element.node), lit(0)), "BIGINT"
        ),
    )
    return Typed(result, ty.BIGINT)


def _ordered_distinct(tr: Translator, array_node: exp.Expression, element: T) -> exp.Expression:
    param, index = tr.fresh("e"), tr.fresh("i")
    first = exp.EQ(
        this=fn("list_position", array_node, exp.Column(this=exp.to_identifier(param))),
        expression=exp.Column(this=exp.to_identifier(index)),
    )
    return fn(
        "list_filter",
        array_node,
        exp.Lambda(this=first, expressions=[exp.to_identifier(param), exp.to_identifier(index)]),
    )


@function("array_distinct")
def _array_distinct(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "array_distinct", [1])
    value = _array_arg(tr, value, "array_distinct")
    return _let(tr, value, lambda v: Typed(_ordered_distinct(tr, v.node, v.type.element), v.type))


def _set_operation(name: str) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        left, right = (_array_arg(tr, v, name) for v in _args(tr, args, scope, name, [2]))
        (left, right), t = tr.unify([left, right], name)

        def body(pair: Typed) -> Typed:
            a = Typed(fn("struct_extract_at", pair.node, lit(1)), t)
            b = Typed(fn("struct_extract_at", pair.node, lit(2)), t)
            if name == "array_union":
                combined = fn("list_concat", a.node, b.node)
            else:
                keep = (
                    (lambda e: fn("list_contains", b.node, e.node))
                    if name == "array_intersect"
                    else (lambda e: exp.Not(this=fn("list_contains", b.node, e.node)))
                )
                combined = fn("list_filter", a.node, _element_lambda(tr, t.element, keep))
            return _let(
                tr, Typed(combined, t), lambda v: Typed(_ordered_distinct(tr, v.node, t.element), t)
            )

        return _let(
            tr, Typed(fn("row", left.node, right.node), ty.row([(None, t), (None, t)])), body
        )

    return handler


for _name in ("array_union", "array_intersect", "array_except"):
    FUNCTIONS[_name] = _set_operation(_name)


@function("array_join")
def _array_join(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "array_join", [2, 3])
    array_value = _array_arg(tr, values[0], "array_join")
    separator = _string(tr, values[1], "array_join")
    element = array_value.type.element
    replacement = _string(tr, values[2], "array_join") if len(values) == 3 else None

    def text(e: Typed) -> exp.Expression:
        as_text = (
            to_varchar(tr, e, f"array_join of {element.trino()}")
            if element.kind != "unknown"
            else cast(e.node, "VARCHAR")
        )
        return fn("coalesce", as_text, replacement.node) if replacement is not None else as_text

    texts = fn("list_transform", array_value.node, _element_lambda(tr, element, text))
    return Typed(fn("array_to_string", texts, separator.node), ty.VARCHAR)


def _array_extreme(name: str) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        (value,) = _args(tr, args, scope, name, [1])
        value = _array_arg(tr, value, name)
        element = value.type.element
        if element.kind in ("double", "real"):
            raise refuse(
                f"{name} of {value.type.trino()}",
                "the local engine does not order NaN as Trino does",
            )
        duck = "list_max" if name == "array_max" else "list_min"
        # Trino: NULL when any element is NULL.
        result = case(
            (_has_null(tr, value.node, element), cast(exp.Null(), element.duck())),
            default=fn(duck, value.node),
        )
        return Typed(result, element)

    return handler


FUNCTIONS["array_max"] = _array_extreme("array_max")
FUNCTIONS["array_min"] = _array_extreme("array_min")


@function("array_remove")
def _array_remove(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    array_value, element = _args(tr, args, scope, "array_remove", [2])
    array_value = _array_arg(tr, array_value, "array_remove")
    element = tr.coerce(element, array_value.type.element)
    keep = _element_lambda(
        tr,
        array_value.type.element,
        lambda e: exp.Or(
            this=is_null(e.node), expression=exp.NEQ(this=e.node, expression=element.node)
        ),
    )
    return Typed(
        case(
            (is_null(element.node), cast(exp.Null(), array_value.type.duck())),
            default=fn("list_filter", array_value.node, keep),
        ),
        array_value.type,
    )


@function("array_sort")
def _array_sort(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) == 2:
        raise refuse(
            "array_sort with a comparator", "the local engine sorts without a comparator only"
        )
    (value,) = _args(tr, args, scope, "array_sort", [1])
    value = _array_arg(tr, value, "array_sort")
    if value.type.element.kind in ("double", "real"):
        raise refuse(
            f"array_sort of {value.type.trino()}",
            "the local engine does not order NaN as Trino does",
        )
    return Typed(fn("list_sort", value.node, lit("ASC"), lit("NULLS LAST")), value.type)


@function("arrays_overlap")
def _arrays_overlap(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    left, right = (
        _array_arg(tr, v, "arrays_overlap") for v in _args(tr, args, scope, "arrays_overlap", [2])
    )
    (left, right), t = tr.unify([left, right], "arrays_overlap")
    result = case(
        (any_null(left.node, right.node), cast(exp.Null(), "BOOLEAN")),
        (fn("list_has_any", left.node, right.node), lit(True)),
        (
            exp.Or(
                this=_has_null(tr, left.node, t.element),
                expression=_has_null(tr, right.node, t.element),
            ),
            cast(exp.Null(), "BOOLEAN"),
        ),
        default=lit(False),
    )
    return Typed(result, ty.BOOLEAN)


@function("filter")
def _filter_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) != 2:
        raise _bad_call("filter takes an array and a lambda")
    array_value = _array_arg(tr, tr.expr(args[0], scope), "filter")
    lambda_, body, _ = _lambda(tr, args[1], [array_value.type.element], scope, "filter")
    if body.type.kind not in ("boolean", "unknown"):
        raise _bad_call("filter's lambda must return a boolean")
    return Typed(fn("list_filter", array_value.node, lambda_), array_value.type)


@function("transform")
def _transform(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) != 2:
        raise _bad_call("transform takes an array and a lambda")
    array_value = _array_arg(tr, tr.expr(args[0], scope), "transform")
    lambda_, body, _ = _lambda(tr, args[1], [array_value.type.element], scope, "transform")
    t = ty.array(body.type)
    return Typed(
        cast(fn("list_transform", array_value.node, lambda_), t.duck())
        if body.type.kind != "unknown"
        else fn("list_transform", array_value.node, lambda_),
        t,
    )


@function("reduce")
def _reduce(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) != 4:
        raise _bad_call("reduce takes an array, a state and two lambdas")
    array_value = _array_arg(tr, tr.expr(args[0], scope), "reduce")
    initial = tr.expr(args[1], scope)
    state = initial.type
    # The state's type: the initial value's, widened to what the input function returns.
    for _ in range(3):
        _, body, _ = _lambda(tr, args[2], [state, array_value.type.element], scope, "reduce")
        widened = ty.common_type(state, body.type)
        if widened is None:
            raise _bad_call("reduce's input function returns another type than its state")
        if widened == state:
            break
        state = widened
    lambda_, body, _ = _lambda(tr, args[2], [state, array_value.type.element], scope, "reduce")
    if body.type != state:
        lambda_ = exp.Lambda(this=tr.coerce(body, state).node, expressions=lambda_.expressions)
    if state.kind == "row":
        raise refuse("reduce with a row state", "the local engine reduces to simple values only")
    reduced = Typed(
        fn("list_reduce", array_value.node, lambda_, tr.coerce(initial, state).node), state
    )
    # Trino passes NULL elements to the input function; DuckDB's list_reduce does too.
    return _inline(tr, args[3], [reduced], scope, "reduce")


def _match(name: str) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        if len(args) != 2:
            raise _bad_call(f"{name} takes an array and a lambda")
        array_value = _array_arg(tr, tr.expr(args[0], scope), name)
        lambda_, _, _ = _lambda(tr, args[1], [array_value.type.element], scope, name)
        results = fn("list_transform", array_value.node, lambda_)
        element_null = _element_lambda(tr, ty.BOOLEAN, lambda e: is_null(e.node))
        has_null = exp.GT(
            this=fn("len", fn("list_filter", results, element_null)), expression=lit(0)
        )
        has_true = fn("list_contains", results, lit(True))
        has_false = fn("list_contains", results, lit(False))
        if name == "all_match":
            result = case(
                (has_false, lit(False)), (has_null, cast(exp.Null(), "BOOLEAN")), default=lit(True)
            )
        elif name == "any_match":
            result = case(
                (has_true, lit(True)), (has_null, cast(exp.Null(), "BOOLEAN")), default=lit(False)
            )
        else:
            result = case(
                (has_true, lit(False)), (has_null, cast(exp.Null(), "BOOLEAN")), default=lit(True)
            )
        return Typed(
            case((is_null(array_value.node), cast(exp.Null(), "BOOLEAN")), default=result),
            ty.BOOLEAN,
        )

    return handler


for _name in ("all_match", "any_match", "none_match"):
    FUNCTIONS[_name] = _match(_name)


@function("flatten")
def _flatten(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "flatten", [1])
    value = _array_arg(tr, value, "flatten")
    if value.type.element.kind != "array":
        raise _bad_call("flatten takes an array of arrays")
    return Typed(fn("flatten", value.node), value.type.element)


@function("repeat")
def _repeat(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    element, count = _args(tr, args, scope, "repeat", [2])
    count = _integer(tr, count, "repeat")
    t = ty.array(element.type)
    index = tr.fresh("i")
    copies = fn(
        "list_transform",
        fn("range", count.node),
        exp.Lambda(this=element.node, expressions=[exp.to_identifier(index)]),
    )
    return Typed(cast(copies, t.duck()) if element.type.kind != "unknown" else copies, t)


@function("sequence")
def _sequence(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "sequence", [2, 3])
    start, stop = values[0], values[1]
    if start.type.is_integer and stop.type.is_integer:
        start, stop = tr.coerce(start, ty.BIGINT), tr.coerce(stop, ty.BIGINT)
        step = (
            _integer(tr, values[2], "sequence").node
            if len(values) == 3
            else case((exp.LTE(this=start.node, expression=stop.node), lit(1)), default=lit(-1))
        )
        return Typed(
            cast(fn("generate_series", start.node, stop.node, step), "BIGINT[]"),
            ty.array(ty.BIGINT),
        )
    if start.type.kind == "date" and stop.type.kind == "date":
        if len(values) == 3:
            interval = values[2]
            literal = getattr(interval, "interval", None)
            if literal is None:
                raise refuse("sequence", "the local engine steps dates by literal intervals only")
            step = interval.node
        else:
            step = case(
                (exp.LTE(this=start.node, expression=stop.node), fn("to_days", lit(1))),
                default=fn("to_days", lit(-1)),
            )
        series = fn(
            "generate_series", cast(start.node, "TIMESTAMP"), cast(stop.node, "TIMESTAMP"), step
        )
        return Typed(cast(series, "DATE[]"), ty.array(ty.DATE))
    raise refuse(
        f"sequence of {start.type.trino()}",
        "the local engine makes sequences of integers and dates only",
    )


@function("slice")
def _slice(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    array_value, start, length = _args(tr, args, scope, "slice", [3])
    array_value = _array_arg(tr, array_value, "slice")
    start, length = _integer(tr, start, "slice"), _integer(tr, length, "slice")

    def body(a: Typed) -> Typed:
        first = case(
            (exp.GT(this=start.node, expression=lit(0)), start.node),
            default=exp.Add(
                this=exp.Add(this=fn("len", a.node), expression=start.node), expression=lit(1)
            ),
        )
        last = exp.Sub(this=exp.Add(this=first, expression=length.node), expression=lit(1))
        sliced = case(
            (
                exp.EQ(this=start.node, expression=lit(0)),
                runtime_error("INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1"),
            ),
            (
                exp.LT(this=length.node, expression=lit(0)),
                runtime_error(
                    "INVALID_FUNCTION_ARGUMENT: length must be greater than or equal to 0"
                ),
            ),
            (
                exp.Or(
                    this=exp.LT(this=first, expression=lit(1)),
                    expression=exp.EQ(this=length.node, expression=lit(0)),
                ),
                cast(fn("list_value"), a.type.duck()),
            ),
            default=fn("list_slice", a.node, first, last),
        )
        return Typed(sliced, a.type)

    return _let(tr, array_value, body)


@function("trim_array")
def _trim_array(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    array_value, count = _args(tr, args, scope, "trim_array", [2])
    array_value = _array_arg(tr, array_value, "trim_array")
    count = _integer(tr, count, "trim_array")
    result = case(
        (
            exp.Or(
                this=exp.LT(this=count.node, expression=lit(0)),
                expression=exp.GT(this=count.node, expression=fn("len", array_value.node)),
            ),
            runtime_error(
                "INVALID_FUNCTION_ARGUMENT: size must not be negative or exceed the array's "
                "cardinality"
            ),
        ),
        (
            exp.EQ(this=count.node, expression=fn("len", array_value.node)),
            cast(fn("list_value"), array_value.type.duck()),
        ),
        default=fn(
            "list_slice",
            array_value.node,
            lit(1),
            exp.Sub(this=fn("len", array_value.node), expression=count.node),
        ),
    )
    return Typed(result, array_value.type)


@function("zip_with")
def _zip_with(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) != 3:
        raise _bad_call("zip_with takes two arrays and a lambda")
    left = _array_arg(tr, tr.expr(args[0], scope), "zip_with")
    right = _array_arg(tr, tr.expr(args[1], scope), "zip_with")
    index = tr.fresh("i")
    position = exp.Column(this=exp.to_identifier(index))
    a = Typed(at(left.node, position), left.type.element)
    b = Typed(at(right.node, position), right.type.element)
    if not isinstance(args[2], exp.Lambda) or len(args[2].expressions) != 2:
        raise _bad_call("zip_with's lambda takes two parameters")
    names = [p.name.lower() for p in args[2].expressions]
    aliases = [tr.fresh("z") for _ in names]
    inner = scope.with_lambdas(
        {n: (alias, t.type) for n, alias, t in zip(names, aliases, (a, b), strict=True)}
    )
    body = tr.expr(args[2].this, inner)
    bound = body.node.transform(
        lambda n: (
            (a.node.copy() if n.name == aliases[0] else b.node.copy())
            if isinstance(n, exp.Column) and not n.table and n.name in aliases
            else n
        )
    )
    count = fn("greatest", fn("len", left.node), fn("len", right.node))
    t = ty.array(body.type)
    result = fn(
        "list_transform",
        fn("range", lit(1), exp.Add(this=count, expression=lit(1))),
        exp.Lambda(this=bound, expressions=[exp.to_identifier(index)]),
    )
    return Typed(
        case((any_null(left.node, right.node), cast(exp.Null(), t.duck())), default=result), t
    )


@function("zip")
def _zip(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    arrays = [_array_arg(tr, v, "zip") for v in _args(tr, args, scope, "zip", range(2, 6))]
    index = tr.fresh("i")
    position = exp.Column(this=exp.to_identifier(index))
    items = [
        exp.PropertyEQ(
            this=exp.to_identifier(f"field{i}", quoted=True), expression=at(a.node, position)
        )
        for i, a in enumerate(arrays)
    ]
    count: exp.Expression = fn("greatest", *(fn("len", a.node) for a in arrays))
    t = ty.array(ty.row([(None, a.type.element) for a in arrays]))
    result = fn(
        "list_transform",
        fn("range", lit(1), exp.Add(this=count, expression=lit(1))),
        exp.Lambda(this=fn("struct_pack", *items), expressions=[exp.to_identifier(index)]),
    )
    return Typed(cast(result, t.duck()), t)


# --- maps ---------------------------------------------------------------------------------------


@function("map")
def _map(tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression) -> Typed:
    if not args:
        return Typed(cast(fn("map"), "MAP(INTEGER, INTEGER)"), ty.map_of(ty.UNKNOWN, ty.UNKNOWN))
    keys, values = (_array_arg(tr, v, "map") for v in _args(tr, args, scope, "map", [2]))
    t = ty.map_of(keys.type.element, values.type.element)
    result = case(
        (
            exp.NEQ(this=fn("len", keys.node), expression=fn("len", values.node)),
            runtime_error(
                "INVALID_FUNCTION_ARGUMENT: Key and value arrays must be the same length"
            ),
        ),
        default=fn("map", keys.node, values.node),
    )
    return Typed(
        cast(result, t.duck()) if "unknown" not in (t.key.kind, t.value.kind) else result, t
    )


def _map_arg(tr: Translator, typed: Typed, name: str) -> Typed:
    if typed.type.kind != "map":
        raise _bad_call(
            f"Unexpected parameters ({typed.type.trino()}) for function {name}",
        )
    return typed


@function("map_keys", "map_values")
def _map_keys(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    (value,) = _args(tr, args, scope, name, [1])
    value = _map_arg(tr, value, name)
    t = ty.array(value.type.key if name == "map_keys" else value.type.value)
    return Typed(fn(name, value.node), t)


@function("map_entries")
def _map_entries(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "map_entries", [1])
    value = _map_arg(tr, value, "map_entries")
    t = ty.array(ty.row([(None, value.type.key), (None, value.type.value)]))
    return Typed(fn("map_entries", value.node), t)


@function("map_from_entries")
def _map_from_entries(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "map_from_entries", [1])
    value = _array_arg(tr, value, "map_from_entries")
    element = value.type.element
    if element.kind != "row" or len(element.fields) != 2:
        raise _bad_call("map_from_entries takes an array of two-field rows")
    (_, key), (_, item) = element.fields
    pairs = fn(
        "list_transform",
        value.node,
        _element_lambda(
            tr,
            element,
            lambda e: fn(
                "struct_pack",
                exp.PropertyEQ(
                    this=exp.to_identifier("key"),
                    expression=fn("struct_extract_at", e.node, lit(1)),
                ),
                exp.PropertyEQ(
                    this=exp.to_identifier("value"),
                    expression=fn("struct_extract_at", e.node, lit(2)),
                ),
            ),
        ),
    )
    t = ty.map_of(key, item)
    return Typed(cast(fn("map_from_entries", pairs), t.duck()), t)


@function("map_concat")
def _map_concat(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    maps = [
        _map_arg(tr, v, "map_concat") for v in _args(tr, args, scope, "map_concat", range(1, 100))
    ]
    maps, t = tr.unify(maps, "map_concat")
    return Typed(cast(fn("map_concat", *(m.node for m in maps)), t.duck()), t)


def _entries_lambda(
    tr: Translator, node: exp.Expression, t: T, scope: Scope, name: str
) -> tuple[Callable[[exp.Expression], exp.Expression], Typed]:
    """A (k, v) lambda over map_entries' structs: body builder and its typed body."""
    if not isinstance(node, exp.Lambda) or len(node.expressions) != 2:
        raise _bad_call(f"{name}'s lambda takes a key and a value")
    names = [p.name.lower() for p in node.expressions]
    aliases = [tr.fresh("k"), tr.fresh("v")]
    inner = scope.with_lambdas({names[0]: (aliases[0], t.key), names[1]: (aliases[1], t.value)})
    body = tr.expr(node.this, inner)

    def bind(entry: exp.Expression) -> exp.Expression:
        return body.node.transform(
            lambda n: (
                (
                    fn("struct_extract", entry.copy(), lit("key"))
                    if n.name == aliases[0]
                    else fn("struct_extract", entry.copy(), lit("value"))
                )
                if isinstance(n, exp.Column) and not n.table and n.name in aliases
                else n
            )
        )

    return bind, body


@function("map_filter")
def _map_filter(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    if len(args) != 2:
        raise _bad_call("map_filter takes a map and a lambda")
    value = _map_arg(tr, tr.expr(args[0], scope), "map_filter")
    bind, _ = _entries_lambda(tr, args[1], value.type, scope, "map_filter")
    param = tr.fresh("e")
    keep = exp.Lambda(
        this=bind(exp.Column(this=exp.to_identifier(param))), expressions=[exp.to_identifier(param)]
    )
    result = fn("map_from_entries", fn("list_filter", fn("map_entries", value.node), keep))
    return Typed(
        cast(result, value.type.duck())
        if "unknown" not in (value.type.key.kind, value.type.value.kind)
        else result,
        value.type,
    )


def _transform_entries(which: str) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower()
        if len(args) != 2:
            raise _bad_call(f"{name} takes a map and a lambda")
        value = _map_arg(tr, tr.expr(args[0], scope), name)
        bind, body = _entries_lambda(tr, args[1], value.type, scope, name)
        param = tr.fresh("e")
        entry = exp.Column(this=exp.to_identifier(param))
        key = bind(entry) if which == "key" else fn("struct_extract", entry.copy(), lit("key"))
        item = bind(entry) if which == "value" else fn("struct_extract", entry.copy(), lit("value"))
        pair = fn(
            "struct_pack",
            exp.PropertyEQ(this=exp.to_identifier("key"), expression=key),
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=item),
        )
        result = fn(
            "map_from_entries",
            fn(
                "list_transform",
                fn("map_entries", value.node),
                exp.Lambda(this=pair, expressions=[exp.to_identifier(param)]),
            ),
        )
        t = (
            ty.map_of(body.type, value.type.value)
            if which == "key"
            else ty.map_of(value.type.key, body.type)
        )
        return Typed(
            cast(result, t.duck()) if "unknown" not in (t.key.kind, t.value.kind) else result, t
        )

    return handler


FUNCTIONS["transform_keys"] = _transform_entries("key")
FUNCTIONS["transform_values"] = _transform_entries("value")


# --- JSON -------------------------------------------------------------------------------------


_JSON_PATH = re.compile(r"\$((\.[A-Za-z_][A-Za-z0-9_]*)|(\[\d+\])|(\[\"[^\"]*\"\]))*")


def _json_path(typed: Typed, name: str) -> str:
    path = _literal_string(typed, name, "JSON path")
    if not _JSON_PATH.fullmatch(path):
        raise refuse(
            f"{name} path {path!r}",
            'the local engine reads paths of $, .name, [n] and ["name"] only',
        )
    return re.sub(r"\[\"([^\"]*)\"\]", lambda m: '."' + m[1] + '"', path)


def _json_input(tr: Translator, typed: Typed, name: str) -> exp.Expression:
    if typed.type.kind == "json":
        return typed.node
    value = _string(tr, typed, name)
    return fn("json", value.node)


@function("json_parse")
def _json_parse(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "json_parse", [1])
    value = _string(tr, value, "json_parse")
    return Typed(fn("json", value.node), ty.JSON)


@function("json_format")
def _json_format(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "json_format", [1])
    _want(value, "json_format", "json")
    return Typed(cast(value.node, "VARCHAR"), ty.VARCHAR)


@function("json_extract")
def _json_extract(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, path = _args(tr, args, scope, "json_extract", [2])
    return Typed(
        fn(
            "json_extract",
            _json_input(tr, value, "json_extract"),
            lit(_json_path(path, "json_extract")),
        ),
        ty.JSON,
    )


@function("json_extract_scalar")
def _json_extract_scalar(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, path = _args(tr, args, scope, "json_extract_scalar", [2])
    source = _json_input(tr, value, "json_extract_scalar")
    duck_path = lit(_json_path(path, "json_extract_scalar"))
    extracted = fn("json_extract", source, duck_path)
    result = case(
        (
            exp.In(
                this=fn("json_type", extracted),
                expressions=[lit("ARRAY"), lit("OBJECT"), lit("NULL")],
            ),
            cast(exp.Null(), "VARCHAR"),
        ),
        default=fn("json_extract_string", source.copy(), duck_path.copy()),
    )
    return Typed(result, ty.VARCHAR)


@function("json_array_length")
def _json_array_length(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "json_array_length", [1])
    source = _json_input(tr, value, "json_array_length")
    result = case(
        (
            exp.EQ(this=fn("json_type", source), expression=lit("ARRAY")),
            cast(fn("json_array_length", source.copy()), "BIGINT"),
        )
    )
    return Typed(result, ty.BIGINT)


@function("json_array_get")
def _json_array_get(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, index = _args(tr, args, scope, "json_array_get", [2])
    source = _json_input(tr, value, "json_array_get")
    position = _literal_int(index, "json_array_get", "index")
    path = lit(f"$[{position}]" if position >= 0 else f"$[#{position}]")
    element = fn("json_extract", source, path)
    # Trino writes a string element without its quotes (its documented broken semantics).
    result = case(
        (
            exp.EQ(this=fn("json_type", source.copy()), expression=lit("ARRAY")),
            case(
                (
                    exp.EQ(this=fn("json_type", element), expression=lit("VARCHAR")),
                    fn("json_extract_string", source.copy(), path.copy()),
                ),
                default=cast(element.copy(), "VARCHAR"),
            ),
        ),
    )
    return Typed(result, ty.JSON)


@function("json_array_contains")
def _json_array_contains(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, element = _args(tr, args, scope, "json_array_contains", [2])
    source = _json_input(tr, value, "json_array_contains")
    if element.type.is_integer or element.type.kind == "boolean":
        # Only elements of the value's JSON type count (1.5 is not 2, "1" is not 1).
        kinds = ["BIGINT", "UBIGINT"] if element.type.is_integer else ["BOOLEAN"]
        duck = "BIGINT" if element.type.is_integer else "BOOLEAN"
        matching = _element_lambda(
            tr,
            ty.JSON,
            lambda e: case(
                (
                    exp.In(this=fn("json_type", e.node), expressions=[lit(k) for k in kinds]),
                    cast(e.node, duck),
                ),
            ),
        )
        items = fn("list_transform", cast(source, "JSON[]"), matching)
        return Typed(
            case(
                (
                    exp.EQ(this=fn("json_type", source.copy()), expression=lit("ARRAY")),
                    fn("list_contains", items, cast(element.node, duck)),
                )
            ),
            ty.BOOLEAN,
        )
    raise refuse("json_array_contains", "the local engine looks for integers and booleans only")


@function("json_size")
def _json_size(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, path = _args(tr, args, scope, "json_size", [2])
    source = _json_input(tr, value, "json_size")
    extracted = fn("json_extract", source, lit(_json_path(path, "json_size")))
    kind = fn("json_type", extracted)
    result = case(
        (
            exp.EQ(this=kind, expression=lit("ARRAY")),
            cast(fn("json_array_length", extracted.copy()), "BIGINT"),
        ),
        (
            exp.EQ(this=kind.copy(), expression=lit("OBJECT")),
            cast(fn("len", fn("json_keys", extracted.copy())), "BIGINT"),
        ),
        (is_null(extracted.copy()), cast(exp.Null(), "BIGINT")),
        default=cast(lit(0), "BIGINT"),
    )
    return Typed(result, ty.BIGINT)


@function("is_json_scalar")
def _is_json_scalar(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "is_json_scalar", [1])
    source = _json_input(tr, value, "is_json_scalar")
    return Typed(
        exp.Not(
            this=exp.In(this=fn("json_type", source), expressions=[lit("ARRAY"), lit("OBJECT")])
        ),
        ty.BOOLEAN,
    )


# --- URLs ---------------------------------------------------------------------------------------


_URI = r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?"


def _url_part(group: int, t: T = ty.VARCHAR) -> Handler:
    def handler(
        tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
    ) -> Typed:
        name = node.name.lower()
        (value,) = _args(tr, args, scope, name, [1])
        value = _string(tr, value, name)
        present = fn("regexp_extract", value.node, lit(_URI), lit(group))
        marker = {2: 1, 4: 3, 7: 6, 9: 8}.get(group)
        part = (
            case(
                (
                    exp.EQ(
                        this=fn("regexp_extract", value.node, lit(_URI), lit(marker)),
                        expression=lit(""),
                    ),
                    cast(exp.Null(), "VARCHAR"),
                ),
                default=present,
            )
            if marker
            else present
        )
        return Typed(part, t)

    return handler


FUNCTIONS["url_extract_protocol"] = _url_part(2)
FUNCTIONS["url_extract_path"] = _url_part(5)
FUNCTIONS["url_extract_query"] = _url_part(7)
FUNCTIONS["url_extract_fragment"] = _url_part(9)


def _authority(tr: Translator, value: Typed) -> exp.Expression:
    authority = fn("regexp_extract", value.node, lit(_URI), lit(4))
    return fn("regexp_replace", authority, lit(r"^.*@"), lit(""))


@function("url_extract_host")
def _url_host(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "url_extract_host", [1])
    value = _string(tr, value, "url_extract_host")
    host = fn("regexp_extract", _authority(tr, value), lit(r"^(\[[^\]]*\]|[^:]*)"), lit(1))
    return Typed(
        case(
            (exp.EQ(this=host, expression=lit("")), cast(exp.Null(), "VARCHAR")),
            default=host.copy(),
        ),
        ty.VARCHAR,
    )


@function("url_extract_port")
def _url_port(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "url_extract_port", [1])
    value = _string(tr, value, "url_extract_port")
    port = fn("regexp_extract", _authority(tr, value), lit(r":(\d+)$"), lit(1))
    return Typed(
        case(
            (exp.EQ(this=port, expression=lit("")), cast(exp.Null(), "BIGINT")),
            default=cast(port.copy(), "BIGINT"),
        ),
        ty.BIGINT,
    )


@function("url_extract_parameter")
def _url_parameter(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    value, parameter = _args(tr, args, scope, "url_extract_parameter", [2])
    value = _string(tr, value, "url_extract_parameter")
    name = _literal_string(parameter, "url_extract_parameter", "parameter name")
    query = fn("regexp_extract", value.node, lit(_URI), lit(7))
    pattern = lit(r"(^|&)" + re.escape(name) + r"=([^&]*)")
    found = fn("regexp_matches", query, pattern)
    return Typed(
        case((found, fn("regexp_extract", query.copy(), pattern.copy(), lit(2)))), ty.VARCHAR
    )


@function("url_encode")
def _url_encode(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "url_encode", [1])
    value = _string(tr, value, "url_encode")
    encoded = fn("url_encode", value.node)
    # Java's URLEncoder: space as +, * kept, ~ encoded.
    for old, new in (("%20", "+"), ("%2A", "*"), ("~", "%7E")):
        encoded = fn("replace", encoded, lit(old), lit(new))
    return Typed(encoded, ty.VARCHAR)


@function("url_decode")
def _url_decode(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "url_decode", [1])
    value = _string(tr, value, "url_decode")
    return Typed(fn("url_decode", fn("replace", value.node, lit("+"), lit("%20"))), ty.VARCHAR)


# --- types ----------------------------------------------------------------------------------


@function("__decimal_literal")
def _decimal_literal_function(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (text,) = args
    return decimal_literal(text.name, exact_digits=True)


@function("typeof")
def _typeof(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "typeof", [1])
    name = value.type.trino()
    # The argument stays in the query (an aggregate in it keeps the query aggregated).
    return Typed(case((is_null(value.node), lit(name)), default=lit(name)), ty.varchar(len(name)))


@register(exp.Lambda)
def _bare_lambda(tr: Translator, node: exp.Lambda, scope: Scope) -> Typed:
    raise user_error("SYNTAX_ERROR", "a lambda expression can only be a function argument")


@register(exp.Star)
def _star(tr: Translator, node: exp.Star, scope: Scope) -> Typed:
    raise user_error("SYNTAX_ERROR", "* is only allowed in a SELECT list or count(*)")


# --- format (Java's Formatter) ------------------------------------------------------------------


_FORMAT_SPEC = re.compile(r"%(\d+\$)?([-#+ 0,(<]*)(\d+)?(\.\d+)?([tT]?[a-zA-Z%])")


@function("format")
def _format(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    values = _args(tr, args, scope, "format", range(1, 100))
    pattern = _literal_string(values[0], "format", "format string")
    arguments = values[1:]
    parts: list[exp.Expression] = []
    position, next_argument = 0, 0
    for match in _FORMAT_SPEC.finditer(pattern):
        if match.start() > position:
            parts.append(lit(pattern[position : match.start()]))
        position = match.end()
        explicit, flags, width, precision, conversion = match.groups()
        if conversion == "%":
            parts.append(lit("%"))
            continue
        if conversion == "n":
            parts.append(lit("\n"))
            continue
        if "<" in flags or set(flags) - set("-0,"):
            raise refuse(
                f"format flag {flags!r}", "the local engine formats with the -, 0 and , flags only"
            )
        if explicit:
            index_ = int(explicit[:-1]) - 1
        else:
            index_, next_argument = next_argument, next_argument + 1
        if not 0 <= index_ < len(arguments):
            raise user_error(
                "INVALID_FUNCTION_ARGUMENT", f"Format specifier '{match.group()}' has no argument"
            )
        argument = arguments[index_]
        text = _format_one(tr, argument, flags, precision, conversion, match.group())
        parts.append(_pad_formatted(text, flags, width, argument))
    if position < len(pattern):
        parts.append(lit(pattern[position:]))
    if "%" in re.sub(_FORMAT_SPEC, "", pattern):
        raise user_error("INVALID_FUNCTION_ARGUMENT", f"Invalid format string: {pattern}")
    node_out: exp.Expression = parts[0] if parts else lit("")
    for part in parts[1:]:
        node_out = exp.DPipe(this=node_out, expression=part)
    return Typed(node_out, ty.VARCHAR)


def _format_one(  # noqa: PLR0917
    tr: Translator, argument: Typed, flags: str, precision: str | None, conversion: str, spec: str
) -> exp.Expression:
    t = argument.type
    if conversion in ("s", "S"):
        if "," in flags or "0" in flags:
            raise user_error("INVALID_FUNCTION_ARGUMENT", f"Invalid flags for {spec}")
        if (
            t.kind in ("double", "real")
            or (t.kind == "decimal" and t.scale > 6)
            or t.kind
            in ("timestamp", "timestamp_tz", "time", "array", "map", "row", "json", "varbinary")
        ):
            raise refuse(
                f"format {spec} of {t.trino()}",
                "the local engine writes strings, integers, decimals, booleans and dates with %s",
            )
        text = (
            fn("coalesce", to_varchar(tr, argument, "format"), lit("null"))
            if t.kind != "unknown"
            else lit("null")
        )
        if precision:
            text = fn("left", text, lit(int(precision[1:])))
        return fn("upper", text) if conversion == "S" else text
    if conversion == "d":
        if not t.is_integer:
            raise user_error("INVALID_FUNCTION_ARGUMENT", f"{spec} != {t.trino()}")
        if precision:
            raise user_error("INVALID_FUNCTION_ARGUMENT", f"Illegal precision for {spec}")
        digits = (
            fn("format", lit("{:,}"), argument.node)
            if "," in flags
            else cast(argument.node, "VARCHAR")
        )
        return case((is_null(argument.node), lit("null")), default=digits)
    if conversion == "f":
        if t.kind not in ("double", "real", "decimal"):
            raise user_error("INVALID_FUNCTION_ARGUMENT", f"{spec} != {t.trino()}")
        digits = int(precision[1:]) if precision else 6
        # Java rounds the value's shortest decimal text half up, as DuckDB rounds text to decimal.
        source = argument.node if t.kind == "decimal" else cast(argument.node, "VARCHAR")
        rounded = cast(source, f"DECIMAL(38,{digits})")
        text = cast(rounded, "VARCHAR")
        if "," in flags:
            whole = cast(fn("trunc", rounded), "HUGEINT")
            grouped = fn("format", lit("{:,}"), fn("abs", whole))
            sign = case((exp.LT(this=rounded, expression=lit(0)), lit("-")), default=lit(""))
            fraction = (
                exp.DPipe(this=lit("."), expression=fn("split_part", text, lit("."), lit(2)))
                if digits
                else lit("")
            )
            text = exp.DPipe(this=exp.DPipe(this=sign, expression=grouped), expression=fraction)
        if t.kind in ("double", "real"):
            text = case(
                (fn("isnan", argument.node), lit("NaN")),
                (
                    fn("isinf", argument.node),
                    case(
                        (exp.GT(this=argument.node, expression=lit(0)), lit("Infinity")),
                        default=lit("-Infinity"),
                    ),
                ),
                default=text,
            )
        return case((is_null(argument.node), lit("null")), default=text)
    raise refuse(f"format {spec}", "the local engine formats %s, %d, %f, %n and %% only")


def _pad_formatted(
    text: exp.Expression, flags: str, width: str | None, argument: Typed
) -> exp.Expression:
    if not width:
        return text
    size = int(width)
    if "-" in flags:
        return fn("rpad", text, lit(size), lit(" "))
    if "0" in flags:
        # Zero padding goes after the sign.
        negative = fn("starts_with", text, lit("-"))
        padded_negative = exp.DPipe(
            this=lit("-"),
            expression=fn("lpad", fn("substring", text, lit(2)), lit(size - 1), lit("0")),
        )
        return case(
            (exp.GTE(this=fn("length", text), expression=lit(size)), text),
            (negative, padded_negative),
            default=fn("lpad", text, lit(size), lit("0")),
        )
    return case(
        (exp.GTE(this=fn("length", text), expression=lit(size)), text),
        default=fn("lpad", text, lit(size), lit(" ")),
    )


# --- functions sqlglot parses into its own nodes --------------------------------------------------


_SPECIAL_NAMES = {
    exp.ArgMax: "max_by",
    exp.ArgMin: "min_by",
    exp.Ceil: "ceil",
    exp.Floor: "floor",
    exp.Chr: "chr",
}


@function("timezone_hour", "timezone_minute")
def _timezone_offset(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    name = node.name.lower()
    (value,) = _args(tr, args, scope, name, [1])
    _want(value, name, "timestamp_tz")
    # The local engine's zones are all UTC.
    return Typed(
        case((is_null(value.node), cast(exp.Null(), "BIGINT")), default=cast(lit(0), "BIGINT")),
        ty.BIGINT,
    )


@function("timezone")
def _timezone(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "timezone", [1])
    _want(value, "timezone", "timestamp_tz")
    return Typed(
        case((is_null(value.node), cast(exp.Null(), "VARCHAR")), default=lit("UTC")), ty.VARCHAR
    )


@function("to_milliseconds")
def _to_milliseconds(
    tr: Translator, args: list[exp.Expression], scope: Scope, node: exp.Expression
) -> Typed:
    (value,) = _args(tr, args, scope, "to_milliseconds", [1])
    _want(value, "to_milliseconds", "interval_ds")
    return Typed(
        cast(fn("round", exp.Mul(this=fn("epoch", value.node), expression=lit(1000))), "BIGINT"),
        ty.BIGINT,
    )
