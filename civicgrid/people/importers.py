"""Importing the population register (一标三实) from xlsx or CSV: buildings, households, residents and units.

Each kind is declared once as a `Spec`: its columns (the Chinese header of the file, a parser for one cell, a
required flag and a hint for the template) and a `Checker` that resolves what a row refers to (grids, buildings,
households, care groups) and what must hold across rows and against the database (unique codes and ID numbers).

The flow is read → parse every cell → check every row → write everything or nothing. Every problem is kept with
the row number the user sees in the spreadsheet (the header is row 1), so that a file with a hundred mistakes is
fixed in one pass, not in a hundred. Look-ups are loaded before the rows are checked (one query per chunk of
values in the file, never one per row): 50,000 residents are checked in a few seconds.

This module reads and decides; it writes nothing. The write is `services.write_registry_import`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import Point, shape
from shapely.prepared import prep

from civicgrid.areas.models import Grid
from civicgrid.areas.selectors import grids_for
from civicgrid.core import crypto
from civicgrid.core.errors import require
from civicgrid.core.validators import birth_date_from_id, gender_from_id, id_number_error, phone_error

from .choices import BuildingKind, Gender, HouseUse, Relation, ResidentKind, UnitKind
from .models import Building, CareTag, House, Household, Resident, Unit
from .selectors import buildings_for, households_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

T = TypeVar("T")

MAX_FILE_BYTES = 30 * 1024 * 1024
# SQLite answers at most 999 parameters per query (PostgreSQL far more): look-ups go in chunks below that.
IN_CHUNK = 900
HEADER_NOTE_SHEET = "说明"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_CONTENT_TYPE, "csv": CSV_CONTENT_TYPE}


# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: where (row as numbered in the spreadsheet, column header) and why."""

    row: int  # the header is row 1, the first data row is row 2; 0 for the file as a whole
    column: str  # the Chinese column header; "" for the file or the row as a whole
    message: str


@dataclass
class ImportResult:
    """What an import did: the rows read and the rows created, or every problem (and then nothing was written)."""

    kind: str
    file_name: str = ""
    rows: int = 0
    created: dict[str, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_rows(self) -> int:
        return len({p.row for p in self.problems})


@dataclass
class ImportPlan:
    """Everything a valid file will create, in the order it must be written (later batches point at earlier ones)."""

    kind: str
    rows: int
    file_name: str
    file_sha256: str
    batches: list[list[Model]] = field(default_factory=list)
    # Rows nothing in the import points at, with every foreign key set as an id: inserted without returning ids.
    leaves: list[list[Model]] = field(default_factory=list)
    care_links: list[tuple[Resident, int]] = field(default_factory=list)  # (resident, care tag id)


class CellError(Exception):
    """A cell that cannot be read as its column's type; the message names the field and says what is expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileProblem(Exception):
    """The file as a whole cannot be read (type, size, encoding, row count)."""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.problem = ImportProblem(row, column, message)


# --- cell parsers -----------------------------------------------------------------------------------------------

Parser = Callable[[Any, "Column"], Any]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as text: Excel stores codes typed without a leading ' as numbers (51011600400101.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def text(max_length: int) -> Parser:
    def parse(value: Any, col: Column) -> str:
        s = " ".join(cell_text(value).split())
        if len(s) > max_length:
            raise CellError(
                _("%(field)s is too long: at most %(n)d characters") % {"field": col.label, "n": max_length}
            )
        return s

    return parse


_SPACE = re.compile(r"\s")


def code(max_length: int) -> Parser:
    def parse(value: Any, col: Column) -> str:
        s = cell_text(value)
        if _SPACE.search(s):
            raise CellError(_("%(field)s must not contain spaces") % {"field": col.label})
        if len(s) > max_length:
            raise CellError(
                _("%(field)s is too long: at most %(n)d characters") % {"field": col.label, "n": max_length}
            )
        return s

    return parse


def integer(low: int, high: int) -> Parser:
    def parse(value: Any, col: Column) -> int:
        n: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        elif isinstance(value, float) and value.is_integer():
            n = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", value):
            n = int(float(value))
        if n is None or not low <= n <= high:
            raise CellError(
                _("%(field)s “%(value)s” must be a whole number from %(low)d to %(high)d")
                % {"field": col.label, "value": cell_text(value), "low": low, "high": high}
            )
        return n

    return parse


def degrees(low: float, high: float) -> Parser:
    def parse(value: Any, col: Column) -> float:
        try:
            x = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            x = None
        if x is None or not low <= x <= high:
            raise CellError(
                _("%(field)s “%(value)s” must be a number of degrees from %(low)s to %(high)s, e.g. %(example)s")
                % {"field": col.label, "value": cell_text(value), "low": low, "high": high, "example": col.example}
            )
        return x

    return parse


def choice(names: Sequence[tuple[str, str]], extra: Sequence[tuple[str, str]] = ()) -> Parser:
    """One of the Chinese names (shown in the template) or the English value; `extra` adds accepted synonyms."""
    accepted = {value.lower(): value for _name, value in names}
    accepted.update({name.lower(): value for name, value in (*names, *extra)})
    shown = "、".join(name for name, _value in names)

    def parse(value: Any, col: Column) -> str:
        s = cell_text(value).strip().lower()
        if s not in accepted:
            raise CellError(
                _("%(field)s “%(value)s” is not one of: %(allowed)s")
                % {"field": col.label, "value": cell_text(value), "allowed": shown}
            )
        return accepted[s]

    return parse


_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", "×"}


def yes_no(value: Any, col: Column) -> bool:
    if isinstance(value, bool):
        return value
    s = cell_text(value).lower()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise CellError(_("%(field)s “%(value)s” must be 是 or 否") % {"field": col.label, "value": cell_text(value)})


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EARLIEST_BIRTH = date(1900, 1, 1)
_EXCEL_SERIAL_MAX = 80_000  # 2119-01-11: larger whole numbers are read as YYYYMMDD


def birth_date(value: Any, col: Column) -> date:
    """YYYY-MM-DD (or YYYY/M/D, YYYY年M月D日, YYYYMMDD) or an Excel date cell (or its serial number)."""
    d: date | None = None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    else:
        s = cell_text(value)
        if isinstance(value, int | float) and 0 < value < _EXCEL_SERIAL_MAX:
            from openpyxl.utils.datetime import from_excel

            d = from_excel(value).date()
        elif m := (_DATE.fullmatch(s) or _COMPACT_DATE.fullmatch(s)):
            try:
                d = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                d = None
    if d is None:
        raise CellError(
            _("%(field)s “%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 1985-07-23")
            % {"field": col.label, "value": cell_text(value)}
        )
    if d > timezone.localdate() or d < _EARLIEST_BIRTH:
        raise CellError(
            _("%(field)s %(value)s is not possible: it must be between 1900-01-01 and today")
            % {"field": col.label, "value": d.isoformat()}
        )
    return d


def id_text(value: Any, col: Column) -> str:
    if isinstance(value, float):
        # An 18-digit number does not fit in a double: Excel has already replaced the last digits with zeros.
        raise CellError(
            _(
                "%(field)s was stored as a number, so Excel dropped its last digits; format the column as text and type it again"
            )
            % {"field": col.label}
        )
    s = crypto.normalise(cell_text(value))
    if len(s) > 30:
        raise CellError(_("%(field)s is too long: at most %(n)d characters") % {"field": col.label, "n": 30})
    return s


def phone(value: Any, col: Column) -> str:
    s = crypto.normalise(cell_text(value))
    reason = phone_error(s)
    if reason:
        raise CellError(_("%(field)s %(reason)s") % {"field": col.label, "reason": reason})
    return s


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(value: Any, col: Column) -> str:
    """统一社会信用代码 (GB 32100-2015): 18 characters from 0-9 and A-Y without I, O, S, V, Z; the last is a check."""
    s = crypto.normalise(cell_text(value))
    if len(s) != 18:
        raise CellError(_("%(field)s must be 18 characters (it has %(n)d)") % {"field": col.label, "n": len(s)})
    if any(ch not in _CREDIT_CHARS for ch in s):
        raise CellError(
            _("%(field)s may contain only digits and the capital letters A–Y except I, O, S, V and Z")
            % {"field": col.label}
        )
    total = sum(_CREDIT_CHARS.index(ch) * w for ch, w in zip(s[:17], _CREDIT_WEIGHTS, strict=True))
    if _CREDIT_CHARS[(31 - total % 31) % 31] != s[17]:
        raise CellError(_("%(field)s check character does not match (typo?)") % {"field": col.label})
    return s


_TAG_SEPARATORS = re.compile(r"[、,，;；/|]+")


def name_list(value: Any, col: Column) -> list[str]:
    return [t.strip() for t in _TAG_SEPARATORS.split(cell_text(value)) if t.strip()]


# --- specs ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: its Chinese header (the file format, never translated) and how to read it."""

    header: str
    key: str  # the field in code; also accepted as a header
    label: StrOrPromise  # how messages name the field (translated)
    parse: Parser
    required: bool = False
    hint: StrOrPromise = ""
    example: str = ""
    choices: tuple[str, ...] = ()  # the Chinese names accepted (a drop-down in the xlsx template)
    as_text: bool = False  # formatted as text in the xlsx template: Excel would turn codes and ID numbers into numbers
    width: int = 14


@dataclass(frozen=True)
class Spec:
    """One kind of import: its columns and the checker that resolves references and cross-row rules."""

    kind: str
    label: StrOrPromise
    sheet: str  # the title of the data sheet in the xlsx template
    columns: tuple[Column, ...]
    checker: type[Checker]
    # Groups of columns of which at least one must be in the header (each may be blank in a given row).
    one_of: tuple[tuple[str, ...], ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _named(enum_names: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(name for name, _value in enum_names)


BUILDING_KINDS = (
    ("住宅", BuildingKind.RESIDENTIAL),
    ("商业", BuildingKind.COMMERCIAL),
    ("混合", BuildingKind.MIXED),
    ("公共", BuildingKind.PUBLIC),
    ("农房", BuildingKind.RURAL_HOUSE),
)
HOUSE_USES = (("自住", HouseUse.OWNED), ("出租", HouseUse.RENTED), ("空置", HouseUse.VACANT))
RESIDENT_KINDS = (("户籍", ResidentKind.REGISTERED), ("流动", ResidentKind.FLOATING), ("境外", ResidentKind.FOREIGNER))
RESIDENT_KIND_SYNONYMS = (
    ("户籍人口", ResidentKind.REGISTERED),
    ("流动人口", ResidentKind.FLOATING),
    ("境外人员", ResidentKind.FOREIGNER),
)
GENDERS = (("男", Gender.MALE), ("女", Gender.FEMALE))
RELATIONS = (
    ("户主", Relation.HEAD),
    ("配偶", Relation.SPOUSE),
    ("子女", Relation.CHILD),
    ("父母", Relation.PARENT),
    ("孙辈", Relation.GRANDCHILD),
    ("其他", Relation.OTHER),
)
UNIT_KINDS = (
    ("企业", UnitKind.ENTERPRISE),
    ("商铺", UnitKind.SHOP),
    ("学校", UnitKind.SCHOOL),
    ("组织", UnitKind.ORGANISATION),
    ("其他", UnitKind.OTHER),
)


def _grid_code_column(*, required: bool = True, hint: StrOrPromise | None = None) -> Column:
    return Column(
        "网格编码",
        "grid_code",
        gettext_lazy("Grid code"),
        code(30),
        required=required,
        hint=hint or gettext_lazy("The code of a grid in your area (community code + two digits)."),
        example="51011600400101",
        as_text=True,
        width=18,
    )


def _building_code_column(*, required: bool = True, hint: StrOrPromise) -> Column:
    return Column(
        "楼栋编码",
        "building_code",
        gettext_lazy("Building code"),
        code(40),
        required=required,
        hint=hint,
        example="51011600400101-001",
        as_text=True,
        width=22,
    )


# --- problems and look-ups shared by the checkers ---------------------------------------------------------------


@dataclass
class Row:
    """One data row: parsed values by column key (None when blank) and the keys whose cell could not be read."""

    number: int
    values: dict[str, Any]
    bad: set[str]


def chunked(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    chunk: list[T] = []
    for v in values:
        chunk.append(v)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _distinct(rows: Iterable[Row], key: str) -> set[Any]:
    return {r.values[key] for r in rows if r.values.get(key)}


class Checker:
    """Resolves what each row refers to and what must hold across rows; collects objects to create."""

    def __init__(self, spec: Spec, actor: Any, rows: list[Row], present: set[str]) -> None:
        self.spec = spec
        self.actor = actor
        self.present = present  # the column keys in the header
        self.problems: list[ImportProblem] = []
        self._headers = {c.key: c.header for c in spec.columns}
        self._labels = {c.key: c.label for c in spec.columns}
        self._grids: dict[str, Grid] | None = None
        # Objects are only built while the file has no problem at all: once it has one, nothing will be written.
        self.collect = True

    def report(self, row: Row, key: str, message: str) -> None:
        self.problems.append(ImportProblem(row.number, self._headers.get(key, ""), message))

    def label(self, key: str) -> StrOrPromise:
        return self._labels[key]

    def clean(self, row: Row) -> bool:
        """Neither this row nor any before it has a problem: build what it creates."""
        return self.collect and not row.bad and not self.problems

    def usable(self, row: Row, *keys: str) -> bool:
        """All these cells were read (blank or not): cross-checks on them make sense."""
        return not row.bad.intersection(keys)

    @property
    def grids(self) -> dict[str, Grid]:
        """The actor's grids by code; the one place a grid code is resolved, so scope is always the selector's."""
        if self._grids is None:
            self._grids = {g.code: g for g in grids_for(self.actor)}
        return self._grids

    def grid(self, row: Row, key: str = "grid_code") -> Grid | None:
        value = row.values.get(key)
        if not value:
            return None
        grid = self.grids.get(value)
        if grid is None:
            self.report(
                row,
                key,
                _("%(field)s %(value)s does not exist or is outside your area")
                % {"field": self.label(key), "value": value},
            )
        return grid

    def unique(self, row: Row, key: str, value: str, seen: dict[str, int], taken: set[str]) -> bool:
        """The value is new to the database and to the rows above; reports and returns False otherwise."""
        if value in taken:
            self.report(
                row,
                key,
                _("%(field)s %(value)s already exists; every %(field)s must be unique")
                % {"field": self.label(key), "value": value},
            )
            return False
        first = seen.setdefault(value, row.number)
        if first != row.number:
            self.report(
                row,
                key,
                _("%(field)s %(value)s appears twice in the file: rows %(first)d and %(row)d")
                % {"field": self.label(key), "value": value, "first": first, "row": row.number},
            )
            return False
        return True

    def check(self, row: Row) -> None:
        raise NotImplementedError

    def plan(self, plan: ImportPlan) -> None:
        raise NotImplementedError


def _existing(model: type[Model], field_name: str, values: Iterable[str]) -> set[str]:
    """Which of `values` are already taken in `field_name`: a uniqueness check over the whole table, not a scope."""
    found: set[str] = set()
    for chunk in chunked(sorted(values)):
        found.update(model._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True))
    return found


# --- buildings --------------------------------------------------------------------------------------------------


class BuildingChecker(Checker):
    def __init__(self, spec: Spec, actor: Any, rows: list[Row], present: set[str]) -> None:
        super().__init__(spec, actor, rows, present)
        self.taken_codes = _existing(Building, "code", _distinct(rows, "building_code"))
        self.taken_addresses = _existing(Building, "address", _distinct(rows, "address"))
        self.seen_codes: dict[str, int] = {}
        self.seen_addresses: dict[str, int] = {}
        self.shapes: dict[int, Any] = {}
        self.buildings: list[Building] = []

    def boundary(self, grid: Grid) -> Any:
        if grid.pk not in self.shapes:
            self.shapes[grid.pk] = prep(shape(grid.boundary)) if grid.boundary else None
        return self.shapes[grid.pk]

    def check(self, row: Row) -> None:
        v = row.values
        grid = self.grid(row)
        if v.get("building_code"):
            self.unique(row, "building_code", v["building_code"], self.seen_codes, self.taken_codes)
        if v.get("address"):
            self.unique(row, "address", v["address"], self.seen_addresses, self.taken_addresses)
        lat, lng = v.get("lat"), v.get("lng")
        if self.usable(row, "lat", "lng") and (lat is None) != (lng is None):
            missing = "lng" if lng is None else "lat"
            self.report(
                row,
                missing,
                _("%(field)s is missing: give both latitude and longitude, or neither")
                % {"field": self.label(missing)},
            )
        elif lat is not None and lng is not None and grid is not None:
            area = self.boundary(grid)
            if area is not None and not area.covers(Point(lng, lat)):
                self.report(
                    row,
                    "lat",
                    _(
                        "The point (latitude %(lat)s, longitude %(lng)s) is outside the boundary of grid %(grid)s; check the coordinates (WGS-84 decimal degrees)"
                    )
                    % {"lat": lat, "lng": lng, "grid": grid.code},
                )
        if self.clean(row) and grid is not None:
            self.buildings.append(
                Building(
                    grid=grid,
                    code=v["building_code"],
                    name=v["name"],
                    address=v["address"],
                    kind=v["kind"],
                    floors=v.get("floors"),
                    lat=lat,
                    lng=lng,
                )
            )

    def plan(self, plan: ImportPlan) -> None:
        plan.leaves.append(list(self.buildings))


BUILDINGS = Spec(
    kind="buildings",
    label=gettext_lazy("Buildings (standard addresses)"),
    sheet="楼栋",
    checker=BuildingChecker,
    columns=(
        _grid_code_column(),
        _building_code_column(hint=gettext_lazy("A new, unique code for the building.")),
        Column(
            "名称",
            "name",
            gettext_lazy("Building name"),
            text(100),
            required=True,
            hint=gettext_lazy("The building's name, e.g. estate and block."),
            example="锦江花园1栋",
            width=18,
        ),
        Column(
            "标准地址",
            "address",
            gettext_lazy("Standard address"),
            text(200),
            required=True,
            hint=gettext_lazy("The full standard address; it must be unique."),
            example="双流区九江街道万家路88号锦江花园1栋",
            width=36,
        ),
        Column(
            "类型",
            "kind",
            gettext_lazy("Building type"),
            choice(BUILDING_KINDS),
            required=True,
            hint=gettext_lazy("One of the names listed."),
            example="住宅",
            choices=_named(BUILDING_KINDS),
        ),
        Column(
            "层数",
            "floors",
            gettext_lazy("Number of floors"),
            integer(1, 200),
            hint=gettext_lazy("A whole number; may be left blank."),
            example="18",
            width=8,
        ),
        Column(
            "纬度",
            "lat",
            gettext_lazy("Latitude"),
            degrees(-90, 90),
            hint=gettext_lazy("Decimal degrees (WGS-84); with the longitude, the point must be inside the grid."),
            example="30.5712",
            width=12,
        ),
        Column(
            "经度",
            "lng",
            gettext_lazy("Longitude"),
            degrees(-180, 180),
            hint=gettext_lazy("Decimal degrees (WGS-84); give both latitude and longitude, or neither."),
            example="103.8865",
            width=12,
        ),
    ),
)


# --- households -------------------------------------------------------------------------------------------------


@dataclass
class _NewHouse:
    house: House
    row: int


class HouseholdChecker(Checker):
    def __init__(self, spec: Spec, actor: Any, rows: list[Row], present: set[str]) -> None:
        super().__init__(spec, actor, rows, present)
        self.taken_codes = _existing(Household, "code", _distinct(rows, "household_code"))
        self.buildings: dict[str, tuple[int, int]] = {}  # code → (building id, grid id)
        for chunk in chunked(sorted(_distinct(rows, "building_code"))):
            for b_code, b_id, grid_id in (
                buildings_for(actor).filter(code__in=chunk).values_list("code", "id", "grid_id")
            ):
                self.buildings[b_code] = (b_id, grid_id)
        self.houses: dict[tuple[int, str], int] = {}  # (building id, room) → existing house id
        for chunk in chunked(sorted({b_id for b_id, _g in self.buildings.values()})):
            for b_id, room, h_id in House.objects.filter(building_id__in=chunk).values_list(
                "building_id", "room", "id"
            ):
                self.houses[(b_id, room)] = h_id
        self.new_houses: dict[tuple[int, str], _NewHouse] = {}
        self.seen_codes: dict[str, int] = {}
        self.households: list[Household] = []

    def check(self, row: Row) -> None:
        v = row.values
        if v.get("household_code"):
            self.unique(row, "household_code", v["household_code"], self.seen_codes, self.taken_codes)
        building = None
        if v.get("building_code"):
            building = self.buildings.get(v["building_code"])
            if building is None:
                self.report(
                    row,
                    "building_code",
                    _("%(field)s %(value)s does not exist or is outside your area; import the building first")
                    % {"field": self.label("building_code"), "value": v["building_code"]},
                )
        house_id: int | None = None
        new_house: _NewHouse | None = None
        if building is not None and v.get("room"):
            place = (building[0], v["room"])
            house_id = self.houses.get(place)
            new_house = self.new_houses.get(place) if house_id is None else None
            if new_house is not None and v.get("use") and new_house.house.use != v["use"]:
                self.report(
                    row,
                    "use",
                    _("%(field)s differs from row %(row)d, which puts the same room to another use")
                    % {"field": self.label("use"), "row": new_house.row},
                )
            elif house_id is None and new_house is None and v.get("use") and not row.bad:
                new_house = _NewHouse(House(building_id=building[0], room=v["room"], use=v["use"]), row.number)
                self.new_houses[place] = new_house
        if self.clean(row) and building is not None:
            household = Household(grid_id=building[1], code=v["household_code"], head_name=v["head_name"])
            if house_id is not None:
                household.house_id = house_id
            elif new_house is not None:
                household.house = new_house.house
            self.households.append(household)

    def plan(self, plan: ImportPlan) -> None:
        plan.batches.append([h.house for h in self.new_houses.values()])
        plan.batches.append(list(self.households))


HOUSEHOLDS = Spec(
    kind="households",
    label=gettext_lazy("Households"),
    sheet="户",
    checker=HouseholdChecker,
    columns=(
        Column(
            "户编号",
            "household_code",
            gettext_lazy("Household code"),
            code(40),
            required=True,
            hint=gettext_lazy("A new, unique code for the household."),
            example="510116004001010001",
            as_text=True,
            width=22,
        ),
        _building_code_column(hint=gettext_lazy("The code of a building already in the register, in your area.")),
        Column(
            "房号",
            "room",
            gettext_lazy("Room"),
            text(30),
            required=True,
            hint=gettext_lazy("The room number; a new house is added when the building has no such room yet."),
            example="1502",
            as_text=True,
            width=10,
        ),
        Column(
            "房屋用途",
            "use",
            gettext_lazy("House use"),
            choice(HOUSE_USES),
            required=True,
            hint=gettext_lazy("One of the names listed; a house already in the register keeps its recorded use."),
            example="自住",
            choices=_named(HOUSE_USES),
            width=10,
        ),
        Column(
            "户主姓名",
            "head_name",
            gettext_lazy("Name of the head of household"),
            text(50),
            required=True,
            hint=gettext_lazy("The name of the head of household."),
            example="王建国",
        ),
    ),
)


# --- residents --------------------------------------------------------------------------------------------------

_FOREIGN_DOCUMENT = re.compile(r"[0-9A-Z]{5,30}")


class ResidentChecker(Checker):
    def __init__(self, spec: Spec, actor: Any, rows: list[Row], present: set[str]) -> None:
        super().__init__(spec, actor, rows, present)
        self.households: dict[str, tuple[int, int]] = {}  # code → (household id, grid id)
        for chunk in chunked(sorted(_distinct(rows, "household_code"))):
            for h_code, h_id, grid_id in (
                households_for(actor).filter(code__in=chunk).values_list("code", "id", "grid_id")
            ):
                self.households[h_code] = (h_id, grid_id)
        self.households_with_head: set[int] = set()
        for chunk in chunked(sorted(h_id for h_id, _g in self.households.values())):
            self.households_with_head.update(
                Resident.objects.filter(household_id__in=chunk, relation=Relation.HEAD).values_list(
                    "household_id", flat=True
                )
            )
        # The digest is a keyed hash of the normalised number: duplicates are found without decrypting anything.
        self.digests = {r.number: crypto.digest(r.values["id_number"]) for r in rows if r.values.get("id_number")}
        self.registered_digests = _existing(Resident, "id_number_digest", set(self.digests.values()))
        self.tags: dict[str, CareTag] = {}
        for tag in CareTag.objects.all():
            for name in (tag.code, tag.name_zh, tag.name_en):
                self.tags[name.lower()] = tag
        self.tag_names = "、".join(dict.fromkeys(t.name_zh for t in self.tags.values()))
        self.seen_digests: dict[str, int] = {}
        self.seen_heads: dict[int, int] = {}  # household id → row of its head in the file
        self.residents: list[Resident] = []
        self.secrets: list[tuple[str, str]] = []  # (ID number, phone) of each resident, sealed only once all is valid
        self.links: list[tuple[int, int]] = []  # (index in residents, care tag id)

    def check(self, row: Row) -> None:
        v = row.values
        grid = self.grid(row)
        household = None
        if v.get("household_code"):
            household = self.households.get(v["household_code"])
            if household is None:
                self.report(
                    row,
                    "household_code",
                    _("%(field)s %(value)s does not exist or is outside your area; import the household first")
                    % {"field": self.label("household_code"), "value": v["household_code"]},
                )
        if household is not None and grid is not None and household[1] != grid.pk:
            self.report(
                row,
                "grid_code",
                _("%(field)s %(value)s does not match household %(household)s, which is in another grid")
                % {"field": self.label("grid_code"), "value": grid.code, "household": v["household_code"]},
            )
        if (
            not v.get("household_code")
            and not v.get("grid_code")
            and self.usable(row, "household_code", "grid_code")
            and self.present & {"household_code", "grid_code"}
        ):
            self.report(
                row,
                "grid_code",
                _("%(field)s is missing; it is required when the household code is blank")
                % {"field": self.label("grid_code")},
            )
        grid_id = household[1] if household is not None else (grid.pk if grid is not None else None)

        kind = v.get("kind")
        foreigner = kind == ResidentKind.FOREIGNER
        id_number = v.get("id_number") or ""
        id_ok = False
        if not id_number:
            if kind and not foreigner and self.usable(row, "id_number") and "id_number" in self.present:
                self.report(
                    row,
                    "id_number",
                    _("%(field)s is missing; it is required for everyone except foreigners (境外)")
                    % {"field": self.label("id_number")},
                )
        elif foreigner:
            id_ok = bool(_FOREIGN_DOCUMENT.fullmatch(id_number))
            if not id_ok:
                self.report(
                    row,
                    "id_number",
                    _("%(field)s of a foreigner must be a passport or permit number of 5 to 30 letters and digits")
                    % {"field": self.label("id_number")},
                )
        elif kind:
            reason = id_number_error(id_number)
            id_ok = reason is None
            if reason:
                self.report(
                    row, "id_number", _("%(field)s %(reason)s") % {"field": self.label("id_number"), "reason": reason}
                )
        if id_number and (id_ok or not kind):
            digest = self.digests[row.number]
            if digest in self.registered_digests:
                self.report(
                    row,
                    "id_number",
                    _("%(field)s is already in the register: this person has been registered before")
                    % {"field": self.label("id_number")},
                )
            else:
                first = self.seen_digests.setdefault(digest, row.number)
                if first != row.number:
                    self.report(
                        row,
                        "id_number",
                        _("%(field)s appears twice in the file: rows %(first)d and %(row)d are the same person")
                        % {"field": self.label("id_number"), "first": first, "row": row.number},
                    )

        gender = v.get("gender") or ""
        born = v.get("birth_date")
        if id_ok and not foreigner:
            from_id_gender = gender_from_id(id_number) or ""
            from_id_born = birth_date_from_id(id_number)
            if gender and gender != from_id_gender:
                self.report(
                    row,
                    "gender",
                    _("%(field)s does not match the ID number, which says %(expected)s")
                    % {"field": self.label("gender"), "expected": Gender(from_id_gender).label},
                )
            if born and born != from_id_born:
                self.report(
                    row,
                    "birth_date",
                    _("%(field)s %(value)s does not match the ID number, which says %(expected)s")
                    % {
                        "field": self.label("birth_date"),
                        "value": born.isoformat(),
                        "expected": from_id_born.isoformat() if from_id_born else "—",
                    },
                )
            gender = gender or from_id_gender
            born = born or from_id_born

        relation = v.get("relation") or Relation.OTHER
        if relation == Relation.HEAD and household is not None:
            if household[0] in self.households_with_head:
                self.report(
                    row,
                    "relation",
                    _("%(field)s: household %(household)s already has a head of household in the register")
                    % {"field": self.label("relation"), "household": v["household_code"]},
                )
            else:
                first = self.seen_heads.setdefault(household[0], row.number)
                if first != row.number:
                    self.report(
                        row,
                        "relation",
                        _("%(field)s: household %(household)s has another head of household in row %(row)d")
                        % {"field": self.label("relation"), "household": v["household_code"], "row": first},
                    )

        tags: list[CareTag] = []
        unknown: list[str] = []
        for name in v.get("care_tags") or ():
            # "Elderly living alone" is one name; "独居老人 残疾人" is two, separated by a space.
            for part in [name] if name.lower() in self.tags else name.split():
                tag = self.tags.get(part.lower())
                if tag is None:
                    unknown.append(part)
                elif tag not in tags:
                    tags.append(tag)
        if unknown:
            self.report(
                row,
                "care_tags",
                _("%(field)s “%(value)s” is not a care group; use these names: %(allowed)s")
                % {"field": self.label("care_tags"), "value": "、".join(unknown), "allowed": self.tag_names},
            )

        if self.clean(row) and grid_id is not None and kind is not None:
            self.residents.append(
                Resident(
                    grid_id=grid_id,
                    household_id=household[0] if household is not None else None,
                    name=v["name"],
                    gender=gender,
                    birth_date=born,
                    kind=kind,
                    relation=relation,
                    is_party_member=bool(v.get("party")),
                )
            )
            self.secrets.append((id_number, v.get("phone") or ""))
            index = len(self.residents) - 1
            self.links.extend((index, tag.pk) for tag in tags)

    def plan(self, plan: ImportPlan) -> None:
        for resident, (id_number, phone_number) in zip(self.residents, self.secrets, strict=True):
            idn = crypto.seal_id_number(id_number)
            ph = crypto.seal_phone(phone_number)
            resident.id_number_cipher, resident.id_number_digest, resident.id_number_masked = (
                idn.cipher,
                idn.digest,
                idn.masked,
            )
            resident.phone_cipher, resident.phone_digest, resident.phone_masked = ph.cipher, ph.digest, ph.masked
        # Residents in a care group need their ids back for the links; the others (most) are leaves.
        tagged = {i for i, _tag_id in self.links}
        plan.batches.append([r for i, r in enumerate(self.residents) if i in tagged])
        plan.leaves.append([r for i, r in enumerate(self.residents) if i not in tagged])
        plan.care_links = [(self.residents[i], tag_id) for i, tag_id in self.links]


RESIDENTS = Spec(
    kind="residents",
    label=gettext_lazy("Residents"),
    sheet="居民",
    checker=ResidentChecker,
    one_of=(("household_code", "grid_code"),),
    columns=(
        Column(
            "户编号",
            "household_code",
            gettext_lazy("Household code"),
            code(40),
            hint=gettext_lazy("The code of a household already in the register; may be blank (then give the grid)."),
            example="510116004001010001",
            as_text=True,
            width=22,
        ),
        _grid_code_column(
            required=False,
            hint=gettext_lazy("Required when the household code is blank; otherwise it must be the household's grid."),
        ),
        Column(
            "姓名",
            "name",
            gettext_lazy("Name"),
            text(50),
            required=True,
            hint=gettext_lazy("Full name."),
            example="李秀英",
        ),
        Column(
            "身份证号",
            "id_number",
            gettext_lazy("ID number"),
            id_text,
            hint=gettext_lazy(
                "18-character resident identity number; required except for foreigners (境外), who may give a passport or permit number."
            ),
            example="510116198507231215",
            as_text=True,
            width=22,
        ),
        Column(
            "手机号",
            "phone",
            gettext_lazy("Mobile phone"),
            phone,
            hint=gettext_lazy("11-digit mobile or landline number; may be left blank."),
            example="13812345678",
            as_text=True,
        ),
        Column(
            "性别",
            "gender",
            gettext_lazy("Gender"),
            choice(GENDERS),
            hint=gettext_lazy("May be left blank: it is read from the ID number."),
            example="男",
            choices=_named(GENDERS),
            width=8,
        ),
        Column(
            "出生日期",
            "birth_date",
            gettext_lazy("Birth date"),
            birth_date,
            hint=gettext_lazy("YYYY-MM-DD or an Excel date; may be left blank: it is read from the ID number."),
            example="1985-07-23",
            width=12,
        ),
        Column(
            "人口类型",
            "kind",
            gettext_lazy("Population type"),
            choice(RESIDENT_KINDS, RESIDENT_KIND_SYNONYMS),
            required=True,
            hint=gettext_lazy("One of the names listed."),
            example="户籍",
            choices=_named(RESIDENT_KINDS),
            width=10,
        ),
        Column(
            "与户主关系",
            "relation",
            gettext_lazy("Relation to the head of household"),
            choice(RELATIONS),
            hint=gettext_lazy("One of the names listed; blank means 其他. A household has one head."),
            example="户主",
            choices=_named(RELATIONS),
            width=12,
        ),
        Column(
            "关爱标签",
            "care_tags",
            gettext_lazy("Care groups"),
            name_list,
            hint=gettext_lazy("Names of care groups, separated by 、 or a comma; may be left blank."),
            example="独居老人、残疾人",
            width=20,
        ),
        Column(
            "党员",
            "party",
            gettext_lazy("Party member"),
            yes_no,
            hint=gettext_lazy("是 or 否; blank means 否."),
            example="否",
            choices=("是", "否"),
            width=8,
        ),
    ),
)


# --- units ------------------------------------------------------------------------------------------------------


class UnitChecker(Checker):
    def __init__(self, spec: Spec, actor: Any, rows: list[Row], present: set[str]) -> None:
        super().__init__(spec, actor, rows, present)
        self.buildings: dict[str, tuple[int, int]] = {}
        for chunk in chunked(sorted(_distinct(rows, "building_code"))):
            for b_code, b_id, grid_id in (
                buildings_for(actor).filter(code__in=chunk).values_list("code", "id", "grid_id")
            ):
                self.buildings[b_code] = (b_id, grid_id)
        self.units: list[Unit] = []
        self.phones: list[str] = []

    def check(self, row: Row) -> None:
        v = row.values
        grid = self.grid(row)
        building = None
        if v.get("building_code"):
            building = self.buildings.get(v["building_code"])
            if building is None:
                self.report(
                    row,
                    "building_code",
                    _("%(field)s %(value)s does not exist or is outside your area; import the building first")
                    % {"field": self.label("building_code"), "value": v["building_code"]},
                )
            elif grid is not None and building[1] != grid.pk:
                self.report(
                    row,
                    "building_code",
                    _("%(field)s %(value)s is in another grid, not in grid %(grid)s")
                    % {"field": self.label("building_code"), "value": v["building_code"], "grid": grid.code},
                )
        if self.clean(row) and grid is not None:
            self.units.append(
                Unit(
                    grid=grid,
                    building_id=building[0] if building is not None else None,
                    name=v["name"],
                    kind=v["kind"],
                    credit_code=v.get("credit_code") or "",
                    contact_name=v["contact_name"],
                    employees=v.get("employees"),
                )
            )
            self.phones.append(v.get("phone") or "")

    def plan(self, plan: ImportPlan) -> None:
        for unit, phone_number in zip(self.units, self.phones, strict=True):
            ph = crypto.seal_phone(phone_number)
            unit.phone_cipher, unit.phone_digest, unit.phone_masked = ph.cipher, ph.digest, ph.masked
        plan.leaves.append(list(self.units))


UNITS = Spec(
    kind="units",
    label=gettext_lazy("Units (enterprises, shops, schools, organisations)"),
    sheet="单位",
    checker=UnitChecker,
    columns=(
        _grid_code_column(),
        Column(
            "名称",
            "name",
            gettext_lazy("Unit name"),
            text(100),
            required=True,
            hint=gettext_lazy("The unit's registered or shop name."),
            example="万家便利店",
            width=24,
        ),
        Column(
            "类型",
            "kind",
            gettext_lazy("Unit type"),
            choice(UNIT_KINDS),
            required=True,
            hint=gettext_lazy("One of the names listed."),
            example="商铺",
            choices=_named(UNIT_KINDS),
            width=10,
        ),
        _building_code_column(
            required=False,
            hint=gettext_lazy("The code of a building of the same grid; may be left blank."),
        ),
        Column(
            "统一社会信用代码",
            "credit_code",
            gettext_lazy("Unified social credit code"),
            credit_code,
            hint=gettext_lazy("18 characters; may be left blank (individual shops often have none)."),
            example="91510116MA6CUQ7X13",
            as_text=True,
            width=22,
        ),
        Column(
            "联系人",
            "contact_name",
            gettext_lazy("Contact person"),
            text(50),
            required=True,
            hint=gettext_lazy("Who to contact at the unit."),
            example="张伟",
        ),
        Column(
            "联系电话",
            "phone",
            gettext_lazy("Contact phone"),
            phone,
            hint=gettext_lazy("Mobile or landline number; may be left blank."),
            example="02885551234",
            as_text=True,
        ),
        Column(
            "从业人数",
            "employees",
            gettext_lazy("Number of employees"),
            integer(0, 1_000_000),
            hint=gettext_lazy("A whole number; may be left blank."),
            example="6",
            width=10,
        ),
    ),
)

SPECS: dict[str, Spec] = {s.kind: s for s in (BUILDINGS, HOUSEHOLDS, RESIDENTS, UNITS)}


# --- reading files ----------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)


def _format_of(file_name: str, data: bytes) -> str:
    """xlsx or csv, by the extension and by what the bytes really are."""
    name = file_name.lower().strip()
    if not data:
        raise FileProblem(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            _("The file is %(size).1f MB; at most %(max)d MB can be imported at once. Split it into smaller files.")
            % {"size": len(data) / 1024 / 1024, "max": MAX_FILE_BYTES // 1024 // 1024}
        )
    if name.endswith(".xls") or data.startswith(_OLE_MAGIC):
        raise FileProblem(
            _("The old Excel 97-2003 format (.xls) cannot be read: open the file in Excel and save it as .xlsx.")
        )
    if name.endswith(".xlsx"):
        if not data.startswith(_ZIP_MAGIC):
            raise FileProblem(_("The file is named .xlsx but is not an Excel workbook: save it from Excel as .xlsx."))
        return "xlsx"
    if name.endswith(".csv"):
        if data.startswith(_ZIP_MAGIC) or b"\x00" in data[:4096]:
            raise FileProblem(
                _("The file is named .csv but is not a text file: save it as CSV (comma-separated), or as .xlsx.")
            )
        return "csv"
    raise FileProblem(_("Only .xlsx and .csv files can be imported: download a template below and fill it in."))


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError and its own errors for damaged files
        raise FileProblem(
            _("The workbook cannot be read (%(error)s): save it again from Excel as .xlsx.") % {"error": exc}
        ) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.title != HEADER_NOTE_SHEET] or workbook.worksheets
        if not sheets:
            raise FileProblem(_("The workbook has no sheets."))
        yield from enumerate(sheets[0].iter_rows(values_only=True), start=1)
    except FileProblem:
        raise
    except Exception as exc:  # a damaged workbook fails in many ways deep inside openpyxl; each means "cannot read"
        raise FileProblem(
            _("The workbook cannot be read (%(error)s): save it again from Excel as .xlsx.") % {"error": exc}
        ) from exc
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves CSV in the ANSI code page (GBK); GB 18030 is its superset.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileProblem(_("The CSV file is neither UTF-8 nor GB18030 text: save it again as CSV UTF-8.")) from exc


def _csv_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise FileProblem(
            _("The CSV file cannot be read at row %(row)d (%(error)s).") % {"row": reader.line_num, "error": exc}
        ) from exc


def read_rows(file_name: str, data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    """The non-blank rows of the first sheet (or the CSV file), numbered as the spreadsheet numbers them."""
    rows = _xlsx_rows(data) if _format_of(file_name, data) == "xlsx" else _csv_rows(data)
    for number, cells in rows:
        if cells and not all(is_blank(c) for c in cells):
            yield number, cells


def _header_name(value: Any) -> str:
    # Tolerate a marker of required columns ("姓名*") and stray spaces around the name.
    return "".join(cell_text(value).split()).rstrip("*＊")


def _match_header(spec: Spec, number: int, cells: Sequence[Any]) -> tuple[dict[str, int], list[ImportProblem]]:
    """Which column key is at which position; unknown, repeated and missing columns are reported once."""
    by_name: dict[str, Column] = {}
    for col in spec.columns:
        by_name[col.header] = col
        by_name[col.key.lower()] = col
    positions: dict[str, int] = {}
    problems: list[ImportProblem] = []
    expected = "、".join(spec.headers)
    for i, cell in enumerate(cells):
        name = _header_name(cell)
        if not name:
            continue
        found = by_name.get(name) or by_name.get(name.lower())
        if found is None:
            problems.append(
                ImportProblem(
                    number,
                    name,
                    _(
                        "Column “%(name)s” is not a column of this import; remove it or correct its name (the columns are: %(expected)s)"
                    )
                    % {"name": name, "expected": expected},
                )
            )
        elif found.key in positions:
            problems.append(
                ImportProblem(
                    number, found.header, _("Column %(name)s appears twice in the header row") % {"name": found.header}
                )
            )
        else:
            positions[found.key] = i
    for col in spec.columns:
        if col.required and col.key not in positions:
            problems.append(
                ImportProblem(
                    number,
                    col.header,
                    _("Required column %(name)s is missing from the header row") % {"name": col.header},
                )
            )
    for group in spec.one_of:
        if not any(key in positions for key in group):
            names = "、".join(spec.column(key).header for key in group)
            problems.append(
                ImportProblem(
                    number, "", _("The header row needs at least one of the columns %(names)s") % {"names": names}
                )
            )
    return positions, problems


def _parse_rows(
    spec: Spec, positions: dict[str, int], rows: Iterable[tuple[int, Sequence[Any]]], problems: list[ImportProblem]
) -> list[Row]:
    columns = [(col.key, positions[col.key], col) for col in spec.columns if col.key in positions]
    parsed: list[Row] = []
    for number, cells in rows:
        values: dict[str, Any] = {}
        bad: set[str] = set()
        width = len(cells)
        for key, index, col in columns:
            raw = cells[index] if index < width else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[key] = None
                if col.required:
                    bad.add(key)
                    problems.append(
                        ImportProblem(
                            number, col.header, _("%(field)s is missing; it is required") % {"field": col.label}
                        )
                    )
                continue
            try:
                values[key] = col.parse(raw, col)
            except CellError as exc:
                values[key] = None
                bad.add(key)
                problems.append(ImportProblem(number, col.header, exc.message))
        parsed.append(Row(number, values, bad))
    return parsed


def _limited(rows: Iterator[tuple[int, Sequence[Any]]], max_rows: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise FileProblem(
                _("The file has more than %(max)d rows; import at most %(max)d rows at once (split the file).")
                % {"max": max_rows}
            )
        yield row


def validate(actor: Any, kind: str, file_name: str, data: bytes) -> tuple[ImportPlan | None, ImportResult]:
    """Read and check every row. Returns the plan to write (None when there is any problem) and the result so far."""
    spec = SPECS[kind]
    result = ImportResult(kind=kind, file_name=file_name)
    problems = result.problems
    try:
        rows = read_rows(file_name, data)
        first = next(rows, None)
        if first is None:
            raise FileProblem(_("The file is empty: the first row must be the header with the template's columns."))
        positions, header_problems = _match_header(spec, *first)
        problems.extend(header_problems)
        parsed = _parse_rows(spec, positions, _limited(rows, settings.CIVICGRID_IMPORT_MAX_ROWS), problems)
    except FileProblem as exc:
        result.problems = [exc.problem]
        return None, result
    result.rows = len(parsed)
    if not parsed and not problems:
        problems.append(ImportProblem(0, "", _("The file has a header row but no data rows below it.")))
    checker = spec.checker(spec, actor, parsed, set(positions))
    checker.collect = not problems
    for row in parsed:
        checker.check(row)
    problems.extend(checker.problems)
    if problems:
        order = {c.header: i for i, c in enumerate(spec.columns)}
        problems.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
        return None, result
    plan = ImportPlan(kind=kind, rows=len(parsed), file_name=file_name, file_sha256=hashlib.sha256(data).hexdigest())
    checker.plan(plan)
    return plan, result


def import_registry(actor: Any, kind: str, uploaded_file_name: str, data: bytes) -> ImportResult:
    """Import one file of `kind` (buildings, households, residents or units): every row, or nothing and every problem."""
    from .services import write_registry_import

    require(actor, "people.import_registry")
    if kind not in SPECS:
        raise ValueError(f"unknown import kind {kind!r}")
    plan, result = validate(actor, kind, uploaded_file_name, data)
    if plan is not None:
        try:
            result.created = write_registry_import(actor, plan)
        except IntegrityError:
            # The file is checked outside the write transaction (a long lock would block every other writer):
            # a code taken by someone else in between fails the unique constraint, and the transaction rolls back.
            result.problems = [
                ImportProblem(
                    0,
                    "",
                    _(
                        "The register changed while the file was being checked (another import?). Nothing was imported: upload the file again."
                    ),
                )
            ]
    return result


# --- templates --------------------------------------------------------------------------------------------------


def build_template(kind: str, fmt: str) -> bytes:
    """An empty file to fill in: the header row (and, in xlsx, drop-downs and a 说明 sheet of hints)."""
    spec = SPECS[kind]
    if fmt == "csv":
        # The BOM makes Excel open the file as UTF-8 instead of the ANSI code page.
        return ("\ufeff" + ",".join(spec.headers) + "\r\n").encode("utf-8")
    if fmt != "xlsx":
        raise KeyError(fmt)
    return _xlsx_template(spec)


def _xlsx_template(spec: Spec) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last_row = 10_001  # drop-downs and text formats reach this far; more rows still import
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = spec.sheet
    ws.append(spec.headers)
    ws.freeze_panes = "A2"
    for i, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="B71C1C" if col.required else "1F2933")
        cell.fill = PatternFill("solid", fgColor="F0F4F8")
        ws.column_dimensions[letter].width = max(col.width, len(col.header) * 2 + 2)
        if col.as_text:
            ws.column_dimensions[letter].number_format = "@"
            for r in range(2, 202):  # Excel honours a column's format only for cells it has seen formatted
                ws.cell(row=r, column=i).number_format = "@"
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True)
            dv.error = _("Choose one of: %(allowed)s") % {"allowed": "、".join(col.choices)}
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last_row}")

    notes = wb.create_sheet(HEADER_NOTE_SHEET)
    notes.append([_("Fill in the first sheet: keep its header row, one record per row from row 2.")])
    notes.append([_("If any row has a problem, nothing is imported and every problem is listed with its row.")])
    notes.append([])
    notes.append([_("Column"), _("Required"), _("What to fill in"), _("Accepted values"), _("Example")])
    for cell in notes[4]:
        cell.font = Font(bold=True)
    for col in spec.columns:
        notes.append(
            [
                col.header,
                _("required") if col.required else _("optional"),
                str(col.hint),
                "、".join(col.choices),
                col.example,
            ]
        )
    for letter, width in zip("ABCDE", (18, 10, 70, 30, 24), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=5):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
