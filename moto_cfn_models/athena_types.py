"""Trino's types as the local Athena engine tracks them, and values written as Athena writes them.

The translator (``moto_cfn_models.athena_sql``) gives every expression its Trino type; the engine
writes each result value from that type (GetQueryResults' text: ``[1, 2, NULL]``, ``{a=1}``,
``2001-08-22 03:04:05.321 UTC``, doubles as Java writes them, decimals with their scale).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

INTEGER_KINDS = ("tinyint", "smallint", "integer", "bigint")
#: The decimal type an integer type coerces to.
INTEGER_AS_DECIMAL = {"tinyint": 3, "smallint": 5, "integer": 10, "bigint": 19}
_INTEGER_RANGE = {
    "tinyint": 2**7,
    "smallint": 2**15,
    "integer": 2**31,
    "bigint": 2**63,
}


@dataclass(frozen=True)
class T:
    """A Trino type. ``params``: decimal (precision, scale); varchar/char (length or None);
    timestamp/time (precision,); array (element,); map (key, value); row ((name or None, type),
    ...)."""

    kind: str
    params: tuple[Any, ...] = ()

    # --- shape -------------------------------------------------------------------------------

    @property
    def is_integer(self) -> bool:
        return self.kind in INTEGER_KINDS

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self.kind in ("decimal", "real", "double")

    @property
    def is_string(self) -> bool:
        return self.kind in ("varchar", "char")

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("date", "timestamp", "timestamp_tz")

    @property
    def precision(self) -> int:
        return int(self.params[0])

    @property
    def scale(self) -> int:
        return int(self.params[1])

    @property
    def element(self) -> T:
        return self.params[0]

    @property
    def key(self) -> T:
        return self.params[0]

    @property
    def value(self) -> T:
        return self.params[1]

    @property
    def fields(self) -> tuple[tuple[str | None, T], ...]:
        return self.params

    def integer_range(self) -> int:
        return _INTEGER_RANGE[self.kind]

    # --- names -------------------------------------------------------------------------------

    def trino(self) -> str:  # noqa: PLR0911
        """The type as Trino's typeof() names it."""
        kind = self.kind
        if kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if kind in ("varchar", "char"):
            return (
                kind if not self.params or self.params[0] is None else f"{kind}({self.params[0]})"
            )
        if kind == "timestamp":
            return f"timestamp({self.precision})"
        if kind == "timestamp_tz":
            return f"timestamp({self.precision}) with time zone"
        if kind == "time":
            return f"time({self.precision})"
        if kind == "time_tz":
            return f"time({self.precision}) with time zone"
        if kind == "interval_ds":
            return "interval day to second"
        if kind == "interval_ym":
            return "interval year to month"
        if kind == "array":
            return f"array({self.element.trino()})"
        if kind == "map":
            return f"map({self.key.trino()}, {self.value.trino()})"
        if kind == "row":
            return (
                "row("
                + ", ".join(f"{name} {t.trino()}" if name else t.trino() for name, t in self.fields)
                + ")"
            )
        return kind

    def athena_column_type(self) -> str:
        """ColumnInfo's Type in GetQueryResults."""
        return {
            "timestamp_tz": "timestamp with time zone",
            "time_tz": "time with time zone",
            "interval_ds": "interval day to second",
            "interval_ym": "interval year to month",
        }.get(self.kind, self.kind)

    def duck(self) -> str:
        """The DuckDB type holding this type's values."""
        kind = self.kind
        simple = {
            "boolean": "BOOLEAN",
            "tinyint": "TINYINT",
            "smallint": "SMALLINT",
            "integer": "INTEGER",
            "bigint": "BIGINT",
            "real": "FLOAT",
            "double": "DOUBLE",
            "varchar": "VARCHAR",
            "char": "VARCHAR",
            "varbinary": "BLOB",
            "date": "DATE",
            "time": "TIME",
            "time_tz": "TIME",
            "timestamp": "TIMESTAMP",
            "timestamp_tz": "TIMESTAMPTZ",
            "interval_ds": "INTERVAL",
            "interval_ym": "INTERVAL",
            "json": "JSON",
            "unknown": "INTEGER",
        }
        if kind in simple:
            return simple[kind]
        if kind == "decimal":
            return f"DECIMAL({self.precision},{self.scale})"
        if kind == "array":
            return f"{self.element.duck()}[]"
        if kind == "map":
            return f"MAP({self.key.duck()}, {self.value.duck()})"
        if kind == "row":
            return (
                "STRUCT("
                + ", ".join(
                    f'"{name or f"field{index}"}" {t.duck()}'
                    for index, (name, t) in enumerate(self.fields)
                )
                + ")"
            )
        raise ValueError(kind)


BOOLEAN = T("boolean")
TINYINT = T("tinyint")
SMALLINT = T("smallint")
INTEGER = T("integer")
BIGINT = T("bigint")
REAL = T("real")
DOUBLE = T("double")
VARCHAR = T("varchar", (None,))
VARBINARY = T("varbinary")
DATE = T("date")
JSON = T("json")
UNKNOWN = T("unknown")
INTERVAL_DS = T("interval_ds")
INTERVAL_YM = T("interval_ym")


def decimal(precision: int, scale: int) -> T:
    return T("decimal", (precision, scale))


def varchar(length: int | None = None) -> T:
    return T("varchar", (length,))


def char(length: int) -> T:
    return T("char", (length,))


def timestamp(precision: int = 3) -> T:
    return T("timestamp", (precision,))


def timestamp_tz(precision: int = 3) -> T:
    return T("timestamp_tz", (precision,))


def time(precision: int = 3) -> T:
    return T("time", (precision,))


def time_tz(precision: int = 3) -> T:
    return T("time_tz", (precision,))


def array(element: T) -> T:
    return T("array", (element,))


def map_of(key: T, value: T) -> T:
    return T("map", (key, value))


def row(fields: list[tuple[str | None, T]] | tuple[tuple[str | None, T], ...]) -> T:
    return T("row", tuple(fields))


def as_decimal(t: T) -> T:
    """An exact numeric type as a decimal (integers as Trino coerces them)."""
    if t.kind == "decimal":
        return t
    return decimal(INTEGER_AS_DECIMAL[t.kind], 0)


def common_type(a: T, b: T) -> T | None:  # noqa: PLR0911, PLR0912
    """Trino's common super type of ``a`` and ``b`` (None when there is none)."""
    if a == b:
        return a
    if a.kind == "unknown":
        return b
    if b.kind == "unknown":
        return a
    if a.is_integer and b.is_integer:
        return a if INTEGER_KINDS.index(a.kind) >= INTEGER_KINDS.index(b.kind) else b
    if a.is_numeric and b.is_numeric:
        if "double" in (a.kind, b.kind):
            return DOUBLE
        if "real" in (a.kind, b.kind):
            return REAL
        x, y = as_decimal(a), as_decimal(b)
        scale = max(x.scale, y.scale)
        whole = max(x.precision - x.scale, y.precision - y.scale)
        return decimal(min(38, whole + scale), scale)
    if a.is_string and b.is_string:
        if a.kind == "char" and b.kind == "char":
            return char(max(a.params[0], b.params[0]))
        lengths = [t.params[0] for t in (a, b)]
        return varchar(None if None in lengths else max(lengths))
    temporal = {a.kind, b.kind}
    if temporal <= {"date", "timestamp"}:
        return timestamp(max(t.precision if t.kind == "timestamp" else 0 for t in (a, b)))
    if temporal <= {"timestamp", "timestamp_tz"} or temporal <= {"date", "timestamp_tz"}:
        return timestamp_tz(max(t.precision if t.kind != "date" else 0 for t in (a, b)))
    if a.kind == b.kind == "time":
        return time(max(a.precision, b.precision))
    if a.kind == b.kind == "array":
        element = common_type(a.element, b.element)
        return None if element is None else array(element)
    if a.kind == b.kind == "map":
        key, value = common_type(a.key, b.key), common_type(a.value, b.value)
        return None if key is None or value is None else map_of(key, value)
    if a.kind == b.kind == "row" and len(a.fields) == len(b.fields):
        fields = []
        for (name_a, type_a), (name_b, type_b) in zip(a.fields, b.fields, strict=True):
            field = common_type(type_a, type_b)
            if field is None:
                return None
            fields.append((name_a if name_a == name_b else None, field))
        return row(fields)
    return None


def can_coerce(source: T, target: T) -> bool:
    """Whether Trino coerces ``source`` to ``target`` implicitly."""
    return common_type(source, target) == target


# --- values as Athena writes them --------------------------------------------------------------


def java_double(value: float) -> str:
    """``Double.toString``: shortest digits, scientific outside [1e-3, 1e7)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return _java_float_text(value, repr(value))


def java_real(value: float) -> str:
    """``Float.toString`` of a 32-bit float."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    packed = struct.pack("f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("f", float(text)) == packed:
            return _java_float_text(float(text), repr(float(text)))
    return _java_float_text(value, repr(value))


def _java_float_text(value: float, shortest: str) -> str:
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent_text = shortest.lstrip("-").partition("e")
    integer, _, fraction = mantissa.partition(".")
    digits = (integer + fraction).lstrip("0")
    # The decimal exponent of the first significant digit.
    exponent = int(exponent_text or 0) + len(integer.lstrip("0") or "") - 1
    if not integer.strip("0"):
        exponent = int(exponent_text or 0) - (len(fraction) - len(fraction.lstrip("0"))) - 1
    digits = digits.rstrip("0") or "0"
    if 1e-3 <= abs(value) < 1e7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            rest = digits[exponent + 1 :] or "0"
            return f"{sign}{whole}.{rest}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _fraction(micros: int, precision: int) -> str:
    return "" if precision == 0 else "." + f"{micros:06d}"[:precision].ljust(precision, "0")


def _interval_day_to_second(value: Any) -> str:  # noqa: ANN401 - pyarrow's MonthDayNano
    if isinstance(value, timedelta):
        millis = round(value / timedelta(milliseconds=1))
    else:
        millis = value.days * 86_400_000 + value.nanoseconds // 1_000_000
    sign = "-" if millis < 0 else ""
    millis = abs(millis)
    days, rest = divmod(millis, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{days} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _interval_year_to_month(value: Any) -> str:  # noqa: ANN401 - pyarrow's MonthDayNano
    months = value.months
    sign = "-" if months < 0 else ""
    years, months = divmod(abs(months), 12)
    return f"{sign}{years}-{months}"


def format_value(value: Any, t: T, nested: bool = False) -> str | None:  # noqa: ANN401, PLR0911, PLR0912
    """A value of type ``t`` as Athena writes it (None for NULL; inside a collection NULL is
    written ``NULL``)."""
    if value is None:
        return "NULL" if nested else None
    kind = t.kind
    if kind == "boolean":
        return "true" if value else "false"
    if t.is_integer:
        return str(int(value))
    if kind == "double":
        return java_double(float(value))
    if kind == "real":
        return java_real(float(value))
    if kind == "decimal":
        return format(Decimal(value).quantize(Decimal(1).scaleb(-t.scale)), "f")
    if kind in ("varchar", "json"):
        return str(value)
    if kind == "char":
        return str(value).ljust(t.params[0])
    if kind == "varbinary":
        return " ".join(f"{b:02x}" for b in bytes(value))
    if kind == "date":
        assert isinstance(value, date)
        return value.isoformat()
    if kind in ("timestamp", "timestamp_tz"):
        assert isinstance(value, datetime)
        text = value.strftime("%Y-%m-%d %H:%M:%S") + _fraction(value.microsecond, t.precision)
        return text + " UTC" if kind == "timestamp_tz" else text
    if kind in ("time", "time_tz"):
        assert isinstance(value, dt_time)
        text = value.strftime("%H:%M:%S") + _fraction(value.microsecond, t.precision)
        return text + "+00:00" if kind == "time_tz" else text
    if kind == "interval_ds":
        return _interval_day_to_second(value)
    if kind == "interval_ym":
        return _interval_year_to_month(value)
    if kind == "array":
        return "[" + ", ".join(str(format_value(v, t.element, True)) for v in value) + "]"
    if kind == "map":
        entries = value.items() if isinstance(value, dict) else value
        return (
            "{"
            + ", ".join(
                f"{format_value(k, t.key, True)}={format_value(v, t.value, True)}"
                for k, v in entries
            )
            + "}"
        )
    if kind == "row":
        values = list(value.values()) if isinstance(value, dict) else list(value)
        return (
            "{"
            + ", ".join(
                f"{name or f'field{index}'}={format_value(v, field, True)}"
                for index, ((name, field), v) in enumerate(zip(t.fields, values, strict=True))
            )
            + "}"
        )
    if kind == "unknown":
        return "NULL" if nested else None
    raise ValueError(f"cannot write a {t.trino()} value")
