"""Importing the population register (一标三实) from xlsx and CSV: every row or nothing, every problem at once."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation
from shapely.geometry import shape

from civicgrid.audit.models import AuditEvent
from civicgrid.core import crypto
from civicgrid.core.validators import make_id_number
from civicgrid.people import importers
from civicgrid.people.importers import SPECS, build_template, import_registry
from civicgrid.people.models import Building, House, Household, Resident, Unit

pytestmark = pytest.mark.django_db

VALID_CREDIT_CODE = "91350100M000100Y43"


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Messages are asserted in English (the msgids), whatever the Chinese catalogue says.
    with translation.override("en"):
        yield


# --- building files in memory -----------------------------------------------------------------------------------


def table(kind: str, *records: dict[str, Any]) -> list[list[Any]]:
    """The header of `kind` and one row per record (by column key; missing keys are blank cells)."""
    spec = SPECS[kind]
    return [spec.headers, *[[r.get(c.key, "") for c in spec.columns] for r in records]]


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def run(actor: Any, kind: str, *records: dict[str, Any], fmt: str = "xlsx") -> importers.ImportResult:
    rows = table(kind, *records)
    data = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
    return import_registry(actor, kind, f"{kind}.{fmt}", data)


def new_id(n: int, *, male: bool | None = None) -> str:
    """A valid ID number that no demo resident has (Beijing region, births from 1950 on)."""
    seq = 100 + (n * 2) % 800
    if male is not None:
        seq = seq - seq % 2 + (1 if male else 0)
    return make_id_number("110101", date(1950, 1, 1) + timedelta(days=n), seq)


def messages_of(result: importers.ImportResult) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in result.problems]


def problem_at(result: importers.ImportResult, row: int, column: str) -> str:
    found = [p.message for p in result.problems if p.row == row and p.column == column]
    assert found, f"no problem at row {row}, column {column}: {messages_of(result)}"
    return found[0]


def counts() -> tuple[int, int, int, int, int]:
    return (
        Building.objects.count(),
        House.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        Unit.objects.count(),
    )


@pytest.fixture
def building_a(grid_a: Any) -> Building:
    return Building.objects.filter(grid=grid_a).order_by("code").first()


@pytest.fixture
def household_a(grid_a: Any) -> Household:
    return Household.objects.filter(grid=grid_a).order_by("code").first()


@pytest.fixture
def headless_household(building_a: Building) -> Household:
    house = House.objects.create(building=building_a, room="T-01")
    return Household.objects.create(house=house, grid=building_a.grid, code="T-HEADLESS-01", head_name="测试户")


def inside(grid: Any) -> tuple[float, float]:
    p = shape(grid.boundary).representative_point()
    return round(p.y, 6), round(p.x, 6)


# --- each kind, xlsx and csv ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_imports_buildings_into_the_actors_grids(staff_a: Any, grid_a: Any, fmt: str) -> None:
    lat, lng = inside(grid_a)
    result = run(
        staff_a,
        "buildings",
        {
            "grid_code": grid_a.code,
            "building_code": "T-B-001",
            "name": "测试楼1栋",
            "address": "测试路1号1栋",
            "kind": "住宅",
            "floors": 18,
            "lat": lat,
            "lng": lng,
        },
        {
            "grid_code": grid_a.code,
            "building_code": "T-B-002",
            "name": "测试楼2栋",
            "address": "测试路1号2栋",
            "kind": "mixed",
        },
        fmt=fmt,
    )
    assert result.ok, messages_of(result)
    assert result.created == {"buildings": 2}
    first = Building.objects.get(code="T-B-001")
    assert (first.grid_id, first.kind, first.floors, first.lat, first.lng) == (grid_a.pk, "residential", 18, lat, lng)
    second = Building.objects.get(code="T-B-002")
    assert (second.kind, second.floors, second.lat) == ("mixed", None, None)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_imports_households_creating_new_houses_and_reusing_existing_ones(
    staff_a: Any, building_a: Building, fmt: str
) -> None:
    existing = House.objects.filter(building=building_a).order_by("room").first()
    houses_before = House.objects.count()
    result = run(
        staff_a,
        "households",
        {
            "household_code": "T-H-1",
            "building_code": building_a.code,
            "room": existing.room,
            "use": "出租",
            "head_name": "甲",
        },
        {"household_code": "T-H-2", "building_code": building_a.code, "room": "9901", "use": "自住", "head_name": "乙"},
        # A second household in the same new room (a shared flat) lives in the same house.
        {
            "household_code": "T-H-3",
            "building_code": building_a.code,
            "room": "9901",
            "use": "owned",
            "head_name": "丙",
        },
        fmt=fmt,
    )
    assert result.ok, messages_of(result)
    assert result.created == {"houses": 1, "households": 3}
    assert House.objects.count() == houses_before + 1
    h1, h2, h3 = (Household.objects.select_related("house").get(code=f"T-H-{n}") for n in (1, 2, 3))
    assert h1.house_id == existing.pk
    assert h1.house.use == existing.use  # a house already in the register keeps its recorded use
    assert h2.house_id == h3.house_id
    assert (h2.house.building_id, h2.house.room, h2.house.use) == (building_a.pk, "9901", "owned")
    assert {h.grid_id for h in (h1, h2, h3)} == {building_a.grid_id}
    assert h3.head_name == "丙"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_imports_residents_with_their_household_grid_and_care_groups(
    staff_a: Any, grid_a: Any, headless_household: Household, fmt: str
) -> None:
    a, b, c = new_id(1, male=True), new_id(2, male=False), new_id(3)
    result = run(
        staff_a,
        "residents",
        {
            "household_code": headless_household.code,
            "name": "王建国",
            "id_number": a,
            "phone": "13812345678",
            "kind": "户籍",
            "relation": "户主",
            "care_tags": "独居老人、disabled",
            "party": "是",
        },
        {
            "household_code": headless_household.code,
            "grid_code": grid_a.code,
            "name": "王小红",
            "id_number": b,
            "kind": "流动",
            "relation": "子女",
            "care_tags": "留守儿童",
        },
        {"grid_code": grid_a.code, "name": "Anna Müller", "kind": "境外", "gender": "女", "birth_date": "1990-03-04"},
        {"grid_code": grid_a.code, "name": "赵六", "id_number": c, "kind": "registered"},
        fmt=fmt,
    )
    assert result.ok, messages_of(result)
    assert result.created == {"residents": 4}
    head = Resident.objects.get(id_number_digest=crypto.digest(a))
    assert (head.grid_id, head.household_id, head.relation, head.kind) == (
        grid_a.pk,
        headless_household.pk,
        "head",
        "registered",
    )
    assert (head.gender, head.birth_date) == ("male", date(1950, 1, 2))  # read from the ID number
    assert head.is_party_member
    assert {t.code for t in head.care_tags.all()} == {"elderly_alone", "disabled"}
    assert head.phone_masked == "138****5678"
    child = Resident.objects.get(id_number_digest=crypto.digest(b))
    assert (child.gender, child.relation, child.kind, child.is_party_member) == ("female", "child", "floating", False)
    assert [t.code for t in child.care_tags.all()] == ["left_behind_child"]  # a child's care group is fine here
    foreigner = Resident.objects.get(name="Anna Müller", grid=grid_a)
    assert (foreigner.id_number_cipher, foreigner.gender, foreigner.birth_date) == ("", "female", date(1990, 3, 4))
    other = Resident.objects.get(id_number_digest=crypto.digest(c))
    assert (other.household_id, other.relation) == (None, "other")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_imports_units_with_an_encrypted_phone(staff_a: Any, grid_a: Any, building_a: Building, fmt: str) -> None:
    result = run(
        staff_a,
        "units",
        {
            "grid_code": grid_a.code,
            "name": "测试便利店",
            "kind": "商铺",
            "building_code": building_a.code,
            "credit_code": VALID_CREDIT_CODE,
            "contact_name": "张伟",
            "phone": "028-85551234",
            "employees": 6,
        },
        {"grid_code": grid_a.code, "name": "测试科技有限公司", "kind": "enterprise", "contact_name": "李娜"},
        fmt=fmt,
    )
    assert result.ok, messages_of(result)
    shop = Unit.objects.get(name="测试便利店")
    assert (shop.grid_id, shop.building_id, shop.kind, shop.credit_code, shop.employees) == (
        grid_a.pk,
        building_a.pk,
        "shop",
        VALID_CREDIT_CODE,
        6,
    )
    assert shop.phone_masked == "028****1234"
    assert crypto.decrypt(shop.phone_cipher) == "02885551234"
    company = Unit.objects.get(name="测试科技有限公司")
    assert (company.building_id, company.phone_cipher, company.employees) == (None, "", None)


def test_street_admins_import_into_any_grid_of_their_street(street_admin: Any, grid_b: Any) -> None:
    result = run(
        street_admin, "residents", {"grid_code": grid_b.code, "name": "钱七", "id_number": new_id(4), "kind": "户籍"}
    )
    assert result.ok, messages_of(result)


# --- all or nothing ---------------------------------------------------------------------------------------------


def test_it_reports_every_bad_row_and_writes_nothing(staff_a: Any, grid_a: Any) -> None:
    before = counts()
    events = AuditEvent.objects.count()
    bad_id = new_id(10)[:17] + ("0" if new_id(10)[17] != "0" else "1")
    result = run(
        staff_a,
        "residents",
        {"grid_code": grid_a.code, "name": "好一", "id_number": new_id(11), "kind": "户籍"},
        {"grid_code": grid_a.code, "name": "坏二", "id_number": bad_id, "kind": "户籍"},
        {"grid_code": grid_a.code, "name": "好三", "id_number": new_id(12), "kind": "户籍"},
        {"grid_code": grid_a.code, "name": "", "id_number": new_id(13), "kind": "外星"},
        {"grid_code": grid_a.code, "name": "坏五", "id_number": new_id(14), "kind": "户籍", "phone": "12345"},
    )
    assert not result.ok
    assert result.rows == 5
    assert counts() == before
    assert AuditEvent.objects.count() == events
    assert [(p.row, p.column) for p in result.problems] == [
        (3, "身份证号"),
        (5, "姓名"),
        (5, "人口类型"),
        (6, "手机号"),
    ]
    assert problem_at(result, 3, "身份证号") == "ID number check digit does not match (typo?)"
    assert problem_at(result, 5, "姓名") == "Name is missing; it is required"
    assert "外星" in problem_at(result, 5, "人口类型") and "户籍、流动、境外" in problem_at(result, 5, "人口类型")
    assert problem_at(result, 6, "手机号").startswith("Mobile phone is not a mainland mobile")


def test_blank_rows_are_skipped_and_rows_keep_the_numbers_the_spreadsheet_shows(staff_a: Any, grid_a: Any) -> None:
    rows = table(
        "residents",
        {"grid_code": grid_a.code, "name": "甲", "id_number": new_id(20), "kind": "户籍"},
        {},
        {"grid_code": grid_a.code, "name": "乙", "id_number": new_id(21), "kind": "火星"},
    )
    result = import_registry(staff_a, "residents", "r.xlsx", xlsx(rows))
    assert result.rows == 2
    assert [(p.row, p.column) for p in result.problems] == [(4, "人口类型")]


def test_a_file_with_only_blank_rows_is_fine_when_fixed(staff_a: Any, grid_a: Any) -> None:
    rows = [[], *table("residents", {"grid_code": grid_a.code, "name": "甲", "id_number": new_id(22), "kind": "户籍"})]
    result = import_registry(staff_a, "residents", "r.csv", csv_bytes(rows))
    assert result.ok, messages_of(result)  # the header may come after a blank first row


# --- the header -------------------------------------------------------------------------------------------------


def test_unknown_and_missing_columns_are_reported_once_on_the_header_row(staff_a: Any, grid_a: Any) -> None:
    rows = table(
        "residents", *({"grid_code": grid_a.code, "name": "甲", "id_number": new_id(30 + n)} for n in range(3))
    )
    kind_at = rows[0].index("人口类型")
    rows = [[*r[:kind_at], *r[kind_at + 1 :], "备注"] for r in rows]  # drop 人口类型, add 备注
    rows[0][-1] = "备注"
    result = import_registry(staff_a, "residents", "r.xlsx", xlsx(rows))
    assert sorted((p.row, p.column) for p in result.problems) == [(1, "人口类型"), (1, "备注")]
    assert "Required column 人口类型 is missing" in problem_at(result, 1, "人口类型")
    assert "not a column of this import" in problem_at(result, 1, "备注")


def test_the_header_accepts_the_english_keys_and_a_required_marker(staff_a: Any, grid_a: Any) -> None:
    rows = [
        ["grid_code", "姓名*", "ID_NUMBER", " 人口 类型 "],
        [grid_a.code, "甲", new_id(40), "户籍"],
    ]
    result = import_registry(staff_a, "residents", "r.csv", csv_bytes(rows))
    assert result.ok, messages_of(result)


def test_a_column_named_twice_is_reported(staff_a: Any, grid_a: Any) -> None:
    rows = [["网格编码", "姓名", "姓名", "身份证号", "人口类型"], [grid_a.code, "甲", "乙", new_id(43), "户籍"]]
    result = import_registry(staff_a, "residents", "r.csv", csv_bytes(rows))
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (1, "姓名", "Column 姓名 appears twice in the header row")
    ]


def test_residents_need_a_household_or_a_grid_column(staff_a: Any) -> None:
    rows = [["姓名", "身份证号", "人口类型"], ["甲", new_id(41), "户籍"], ["乙", new_id(42), "户籍"]]
    result = import_registry(staff_a, "residents", "r.csv", csv_bytes(rows))
    assert [(p.row, p.column) for p in result.problems] == [(1, "")]
    assert "户编号、网格编码" in result.problems[0].message


def test_an_empty_file_or_a_header_alone_is_reported(staff_a: Any) -> None:
    empty = import_registry(staff_a, "residents", "r.csv", b"\xef\xbb\xbf\r\n")
    assert "empty" in empty.problems[0].message
    header_only = import_registry(staff_a, "residents", "r.xlsx", xlsx(table("residents")))
    assert header_only.problems[0].message == "The file has a header row but no data rows below it."


# --- residents: every rule --------------------------------------------------------------------------------------

RESIDENT_RULES = [
    # (what the row says, column with the problem, words of the message)
    ({"id_number": "51011619850723121"}, "身份证号", "must be 18 characters"),
    (
        {"id_number": make_id_number("110101", date(1950, 1, 1), 1)[:10] + "1340" + "0011"},
        "身份证号",
        "impossible birth date",
    ),
    ({"id_number": ""}, "身份证号", "required for everyone except foreigners"),
    ({"kind": "境外", "id_number": "P#1"}, "身份证号", "passport or permit number"),
    ({"phone": "1381234567"}, "手机号", "is not a mainland mobile"),
    ({"gender": "未知"}, "性别", "is not one of: 男、女"),
    ({"birth_date": "1985/13/40"}, "出生日期", "is not a date; write it as YYYY-MM-DD"),
    ({"birth_date": "2999-01-01", "kind": "境外", "id_number": ""}, "出生日期", "between 1900-01-01 and today"),
    ({"kind": "外籍"}, "人口类型", "is not one of: 户籍、流动、境外"),
    ({"kind": ""}, "人口类型", "Population type is missing; it is required"),
    ({"relation": "邻居"}, "与户主关系", "is not one of: 户主、配偶、子女、父母、孙辈、其他"),
    ({"care_tags": "独居老人、外星人"}, "关爱标签", "“外星人” is not a care group"),
    ({"party": "也许"}, "党员", "must be 是 or 否"),
    ({"name": ""}, "姓名", "Name is missing; it is required"),
    ({"name": "长" * 51}, "姓名", "too long: at most 50 characters"),
    ({"household_code": "NO-SUCH-HOUSEHOLD"}, "户编号", "does not exist or is outside your area"),
    ({"grid_code": "99999999999999"}, "网格编码", "does not exist or is outside your area"),
    ({"grid_code": ""}, "网格编码", "required when the household code is blank"),
    ({"grid_code": "510 116"}, "网格编码", "must not contain spaces"),
]


@pytest.mark.parametrize(("change", "column", "words"), RESIDENT_RULES)
def test_each_resident_rule_is_reported_on_its_row_and_column(
    staff_a: Any, grid_a: Any, change: dict[str, Any], column: str, words: str
) -> None:
    record = {"grid_code": grid_a.code, "name": "测试", "id_number": new_id(50, male=True), "kind": "户籍", **change}
    result = run(
        staff_a, "residents", {"grid_code": grid_a.code, "name": "好", "id_number": new_id(51), "kind": "户籍"}, record
    )
    assert not result.ok
    assert words in problem_at(result, 3, column), messages_of(result)
    assert {p.row for p in result.problems} == {3}


def test_gender_and_birth_date_must_agree_with_the_id_number(staff_a: Any, grid_a: Any) -> None:
    number = new_id(60, male=True)  # born 1950-03-02
    result = run(
        staff_a,
        "residents",
        {
            "grid_code": grid_a.code,
            "name": "甲",
            "id_number": number,
            "kind": "户籍",
            "gender": "女",
            "birth_date": "1950-03-03",
        },
    )
    assert problem_at(result, 2, "性别") == "Gender does not match the ID number, which says Male"
    assert (
        problem_at(result, 2, "出生日期") == "Birth date 1950-03-03 does not match the ID number, which says 1950-03-02"
    )


def test_dates_come_as_excel_dates_or_as_text_in_several_forms(staff_a: Any, grid_a: Any) -> None:
    records = [
        {"grid_code": grid_a.code, "name": f"外{n}", "kind": "境外", "birth_date": value}
        for n, value in enumerate([datetime(1980, 5, 6), "1980/5/6", "1980年5月6日", "19800506", 29347])
    ]
    result = run(staff_a, "residents", *records)
    assert result.ok, messages_of(result)
    assert Resident.objects.filter(name__in=[f"外{n}" for n in range(5)], birth_date=date(1980, 5, 6)).count() == 5


def test_an_id_number_excel_turned_into_a_number_is_reported(staff_a: Any, grid_a: Any) -> None:
    rows = table(
        "residents", {"grid_code": grid_a.code, "name": "甲", "id_number": float(new_id(61)[:17] + "1"), "kind": "户籍"}
    )
    result = import_registry(staff_a, "residents", "r.xlsx", xlsx(rows))
    assert "stored as a number" in problem_at(result, 2, "身份证号")


def test_the_grid_must_be_the_households_grid(staff_a: Any, household_a: Household, worker_a2: Any) -> None:
    result = run(
        staff_a,
        "residents",
        {
            "household_code": household_a.code,
            "grid_code": worker_a2.grid.code,
            "name": "甲",
            "id_number": new_id(62),
            "kind": "户籍",
        },
    )
    assert "does not match household" in problem_at(result, 2, "网格编码")


def test_a_household_has_one_head(staff_a: Any, household_a: Household, headless_household: Household) -> None:
    result = run(
        staff_a,
        "residents",
        {"household_code": household_a.code, "name": "甲", "id_number": new_id(63), "kind": "户籍", "relation": "户主"},
        {
            "household_code": headless_household.code,
            "name": "乙",
            "id_number": new_id(64),
            "kind": "户籍",
            "relation": "户主",
        },
        {
            "household_code": headless_household.code,
            "name": "丙",
            "id_number": new_id(65),
            "kind": "户籍",
            "relation": "户主",
        },
    )
    assert "already has a head of household in the register" in problem_at(result, 2, "与户主关系")
    assert "has another head of household in row 3" in problem_at(result, 4, "与户主关系")
    assert {p.row for p in result.problems} == {2, 4}


def test_english_values_are_accepted_as_well_as_the_chinese_names(
    staff_a: Any, grid_a: Any, headless_household: Household
) -> None:
    result = run(
        staff_a,
        "residents",
        {
            "household_code": headless_household.code,
            "name": "甲",
            "id_number": new_id(66, male=True),
            "kind": "Floating",
            "gender": "male",
            "relation": "grandchild",
            "party": "yes",
            "care_tags": "Elderly living alone；残疾人 空巢老人",
        },
    )
    assert result.ok, messages_of(result)
    r = Resident.objects.get(id_number_digest=crypto.digest(new_id(66, male=True)))
    assert (r.kind, r.gender, r.relation, r.is_party_member) == ("floating", "male", "grandchild", True)
    assert {t.code for t in r.care_tags.all()} == {"elderly_alone", "disabled", "empty_nest"}


def test_a_foreigners_passport_number_is_optional_but_still_unique(staff_a: Any, grid_a: Any) -> None:
    result = run(
        staff_a,
        "residents",
        {"grid_code": grid_a.code, "name": "John Smith", "id_number": "E12345678", "kind": "境外"},
        {"grid_code": grid_a.code, "name": "Jon Smith", "id_number": "e1234 5678", "kind": "境外"},
    )
    assert "rows 2 and 3 are the same person" in problem_at(result, 3, "身份证号")


def test_a_phone_excel_stored_as_a_number_is_read(staff_a: Any, grid_a: Any) -> None:
    rows = table(
        "residents",
        {"grid_code": grid_a.code, "name": "甲", "id_number": new_id(67), "kind": "户籍", "phone": 13800138000},
    )
    assert import_registry(staff_a, "residents", "r.xlsx", xlsx(rows)).ok
    assert Resident.objects.get(id_number_digest=crypto.digest(new_id(67))).phone_masked == "138****8000"


# --- duplicate ID numbers ---------------------------------------------------------------------------------------


def test_an_id_number_twice_in_the_file_names_both_rows(staff_a: Any, grid_a: Any) -> None:
    number = new_id(70)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}".lower()  # the same number, written differently
    result = run(
        staff_a,
        "residents",
        {"grid_code": grid_a.code, "name": "甲", "id_number": number, "kind": "户籍"},
        {"grid_code": grid_a.code, "name": "乙", "id_number": new_id(71), "kind": "户籍"},
        {"grid_code": grid_a.code, "name": "丙", "id_number": spaced, "kind": "户籍"},
    )
    assert [(p.row, p.column) for p in result.problems] == [(4, "身份证号")]
    assert problem_at(result, 4, "身份证号") == "ID number appears twice in the file: rows 2 and 4 are the same person"


def test_an_id_number_already_in_the_register_is_refused(staff_a: Any, grid_a: Any) -> None:
    registered = Resident.objects.exclude(id_number_cipher="").order_by("id").first()
    number = crypto.decrypt(registered.id_number_cipher)
    result = run(staff_a, "residents", {"grid_code": grid_a.code, "name": "甲", "id_number": number, "kind": "户籍"})
    message = problem_at(result, 2, "身份证号")
    assert message == "ID number is already in the register: this person has been registered before"
    assert registered.name not in message  # nothing about who it is, who may be outside the actor's area


# --- buildings, households and units: their rules ---------------------------------------------------------------


def test_building_rules(staff_a: Any, grid_a: Any, building_a: Building, worker_a2: Any) -> None:
    lat, lng = inside(worker_a2.grid)  # a point of the neighbouring grid
    good = {"grid_code": grid_a.code, "name": "楼", "kind": "住宅"}
    result = run(
        staff_a,
        "buildings",
        {**good, "building_code": "T-B-1", "address": "地址1"},
        {**good, "building_code": "T-B-1", "address": "地址2"},
        {**good, "building_code": building_a.code, "address": "地址3"},
        {**good, "building_code": "T-B-4", "address": building_a.address},
        {**good, "building_code": "T-B-5", "address": "地址1"},
        {**good, "building_code": "T-B-6", "address": "地址6", "kind": "别墅", "floors": "十八"},
        {**good, "building_code": "T-B-7", "address": "地址7", "lat": 30.5},
        {**good, "building_code": "T-B-8", "address": "地址8", "lat": lat, "lng": lng},
        {**good, "building_code": "T-B-9", "address": "地址9", "lat": 103.9, "lng": 30.5},
    )
    assert "appears twice in the file: rows 2 and 3" in problem_at(result, 3, "楼栋编码")
    assert "already exists" in problem_at(result, 4, "楼栋编码")
    assert "already exists" in problem_at(result, 5, "标准地址")
    assert "appears twice in the file: rows 2 and 6" in problem_at(result, 6, "标准地址")
    assert "is not one of: 住宅、商业、混合、公共、农房" in problem_at(result, 7, "类型")
    assert "whole number from 1 to 200" in problem_at(result, 7, "层数")
    assert "give both latitude and longitude, or neither" in problem_at(result, 8, "经度")
    assert f"outside the boundary of grid {grid_a.code}" in problem_at(result, 9, "纬度")
    assert "from -90 to 90" in problem_at(result, 10, "纬度")
    assert not Building.objects.filter(code__startswith="T-B-").exists()


def test_household_rules(staff_a: Any, building_a: Building, household_a: Household) -> None:
    good = {"building_code": building_a.code, "head_name": "户主"}
    result = run(
        staff_a,
        "households",
        {**good, "household_code": "T-H-1", "room": "8801", "use": "自住"},
        {**good, "household_code": "T-H-1", "room": "8802", "use": "自住"},
        {**good, "household_code": household_a.code, "room": "8803", "use": "自住"},
        {**good, "household_code": "T-H-4", "room": "8801", "use": "出租"},
        {**good, "household_code": "T-H-5", "room": "8805", "use": "借住"},
        {"household_code": "T-H-6", "building_code": "NO-SUCH", "room": "1", "use": "自住", "head_name": ""},
    )
    assert "appears twice in the file: rows 2 and 3" in problem_at(result, 3, "户编号")
    assert "already exists" in problem_at(result, 4, "户编号")
    assert "differs from row 2" in problem_at(result, 5, "房屋用途")
    assert "is not one of: 自住、出租、空置" in problem_at(result, 6, "房屋用途")
    assert "import the building first" in problem_at(result, 7, "楼栋编码")
    assert "is missing; it is required" in problem_at(result, 7, "户主姓名")
    assert not Household.objects.filter(code__startswith="T-H-").exists()


def test_unit_rules(staff_a: Any, grid_a: Any, worker_a2: Any) -> None:
    other_building = Building.objects.filter(grid=worker_a2.grid).first()
    good = {"grid_code": grid_a.code, "name": "店", "kind": "商铺", "contact_name": "张"}
    result = run(
        staff_a,
        "units",
        {**good, "kind": "工厂"},
        {**good, "credit_code": "9151011"},
        {**good, "credit_code": VALID_CREDIT_CODE[:17] + "4"},
        {**good, "credit_code": "91510116MA6CUQ7XIO"},
        {**good, "building_code": other_building.code},
        {**good, "employees": -3},
        {**good, "phone": "12345"},
        {**good, "contact_name": ""},
    )
    assert "is not one of: 企业、商铺、学校、组织、其他" in problem_at(result, 2, "类型")
    assert "must be 18 characters (it has 7)" in problem_at(result, 3, "统一社会信用代码")
    assert "check character does not match" in problem_at(result, 4, "统一社会信用代码")
    assert "only digits and the capital letters" in problem_at(result, 5, "统一社会信用代码")
    assert f"is in another grid, not in grid {grid_a.code}" in problem_at(result, 6, "楼栋编码")
    assert "whole number from 0" in problem_at(result, 7, "从业人数")
    assert "is not a mainland mobile" in problem_at(result, 8, "联系电话")
    assert "Contact person is missing" in problem_at(result, 9, "联系人")


# --- scope and permission ---------------------------------------------------------------------------------------


def test_community_staff_cannot_import_into_another_community(
    staff_a: Any, grid_b: Any, grid_a: Any, building_a: Building
) -> None:
    building_b = Building.objects.filter(grid=grid_b).first()
    household_b = Household.objects.filter(grid=grid_b).first()
    residents = run(
        staff_a,
        "residents",
        {"grid_code": grid_b.code, "name": "甲", "id_number": new_id(80), "kind": "户籍"},
        {"household_code": household_b.code, "name": "乙", "id_number": new_id(81), "kind": "户籍"},
    )
    assert f"Grid code {grid_b.code} does not exist or is outside your area" == problem_at(residents, 2, "网格编码")
    assert "does not exist or is outside your area" in problem_at(residents, 3, "户编号")
    households = run(
        staff_a,
        "households",
        {"household_code": "T-H-B", "building_code": building_b.code, "room": "1", "use": "自住", "head_name": "甲"},
    )
    assert "does not exist or is outside your area" in problem_at(households, 2, "楼栋编码")
    units = run(
        staff_a,
        "units",
        {
            "grid_code": grid_a.code,
            "name": "店",
            "kind": "商铺",
            "contact_name": "张",
            "building_code": building_b.code,
        },
    )
    assert "does not exist or is outside your area" in problem_at(units, 2, "楼栋编码")


def test_only_street_admins_and_community_staff_may_import(worker_a: Any, steward_a: Any, resident: Any) -> None:
    data = xlsx(table("residents"))
    for user in (worker_a, steward_a, resident):
        with pytest.raises(PermissionDenied):
            import_registry(user, "residents", "r.xlsx", data)


def test_a_code_taken_while_the_file_was_checked_writes_nothing(staff_a: Any, grid_a: Any, monkeypatch: Any) -> None:
    from civicgrid.people import services

    write = services.write_registry_import

    def racing_write(actor: Any, plan: Any) -> dict[str, int]:
        Building.objects.create(grid=grid_a, code="T-RACE-1", name="抢先", address="抢先地址")
        return write(actor, plan)

    monkeypatch.setattr(services, "write_registry_import", racing_write)
    before = Building.objects.count()
    result = run(
        staff_a,
        "buildings",
        {"grid_code": grid_a.code, "building_code": "T-RACE-0", "name": "楼", "address": "地址0", "kind": "住宅"},
        {"grid_code": grid_a.code, "building_code": "T-RACE-1", "name": "楼", "address": "地址1", "kind": "住宅"},
    )
    assert [p.message for p in result.problems] == [
        "The register changed while the file was being checked (another import?). Nothing was imported: upload the file again."
    ]
    assert Building.objects.count() == before + 1  # the racer's building only
    assert not Building.objects.filter(code="T-RACE-0").exists()


# --- file types, encodings and limits ---------------------------------------------------------------------------


def test_a_gb18030_csv_from_chinese_excel_is_read(staff_a: Any, grid_a: Any) -> None:
    rows = table("residents", {"grid_code": grid_a.code, "name": "龘靐", "id_number": new_id(90), "kind": "户籍"})
    result = import_registry(staff_a, "residents", "r.csv", csv_bytes(rows, encoding="gb18030"))
    assert result.ok, messages_of(result)
    assert Resident.objects.filter(name="龘靐").exists()


def test_a_utf8_csv_without_bom_is_read(staff_a: Any, grid_a: Any) -> None:
    rows = table("residents", {"grid_code": grid_a.code, "name": "甲乙", "id_number": new_id(91), "kind": "户籍"})
    assert import_registry(staff_a, "residents", "r.csv", csv_bytes(rows, encoding="utf-8")).ok


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("r.txt", b"a,b\n", "Only .xlsx and .csv files"),
        ("r.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "save it as .xlsx"),
        ("r.xlsx", "网格编码,姓名\n".encode(), "is not an Excel workbook"),
        ("r.csv", b"PK\x03\x04" + b"\0" * 100, "is not a text file"),
        ("r.xlsx", b"PK\x03\x04 broken zip", "The workbook cannot be read"),
        ("r.csv", b"", "The file is empty"),
    ],
)
def test_only_real_xlsx_and_csv_files_are_accepted(staff_a: Any, name: str, data: bytes, words: str) -> None:
    result = import_registry(staff_a, "residents", name, data)
    assert len(result.problems) == 1
    assert words in result.problems[0].message
    assert result.problems[0].row == 0


def test_files_over_the_size_limit_are_refused(staff_a: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 1024 * 1024)
    result = import_registry(staff_a, "residents", "r.csv", b"x" * (1024 * 1024 + 1))
    assert "at most 1 MB can be imported at once" in result.problems[0].message


def test_files_over_the_row_limit_are_refused(staff_a: Any, grid_a: Any, settings: Any) -> None:
    settings.CIVICGRID_IMPORT_MAX_ROWS = 2
    records = [{"grid_code": grid_a.code, "name": "甲", "id_number": new_id(92 + n), "kind": "户籍"} for n in range(3)]
    result = run(staff_a, "residents", *records)
    assert [p.message for p in result.problems] == [
        "The file has more than 2 rows; import at most 2 rows at once (split the file)."
    ]


# --- storage and audit ------------------------------------------------------------------------------------------


def test_id_and_phone_numbers_are_stored_encrypted_with_the_right_masks(staff_a: Any, grid_a: Any) -> None:
    number, mobile = new_id(100), "13987654321"
    result = run(
        staff_a,
        "residents",
        {"grid_code": grid_a.code, "name": "甲", "id_number": number, "phone": mobile, "kind": "户籍"},
    )
    assert result.ok, messages_of(result)
    resident = Resident.objects.get(id_number_digest=crypto.digest(number))
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_resident WHERE id = %s", [resident.pk])
        raw = " ".join(str(v) for v in cur.fetchone())
    assert number not in raw and number[6:14] not in raw
    assert mobile not in raw
    assert resident.id_number_masked == number[:3] + "*" * 11 + number[-4:]
    assert resident.phone_masked == "139****4321"
    assert crypto.decrypt(resident.id_number_cipher) == number
    assert resident.phone_digest == crypto.digest(mobile)


def test_one_audit_event_records_the_file_without_personal_data(staff_a: Any, grid_a: Any) -> None:
    number = new_id(101)
    data = xlsx(
        table(
            "residents",
            *(
                {"grid_code": grid_a.code, "name": f"甲{n}", "id_number": new_id(102 + n), "kind": "户籍"}
                for n in range(3)
            ),
            {"grid_code": grid_a.code, "name": "乙", "id_number": number, "kind": "户籍"},
        )
    )
    before = AuditEvent.objects.count()
    result = import_registry(staff_a, "residents", "三月登记.xlsx", data)
    assert result.ok, messages_of(result)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.target_type, event.actor_id) == (
        "people.import_residents",
        "people.residents",
        staff_a.pk,
    )
    assert event.after == {
        "rows": 4,
        "created": {"residents": 4},
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "file_name": "三月登记.xlsx",
    }
    assert number not in str(event.after)


# --- templates --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SPECS))
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("csv", "text/csv; charset=utf-8")],
)
def test_templates_download_with_their_type_and_file_name(
    client_as: Any, staff_a: Any, kind: str, fmt: str, content_type: str
) -> None:
    response = client_as(staff_a).get(reverse("people:import_template", args=[kind, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-template.{fmt}"'
    if fmt == "csv":
        assert response.content.decode("utf-8-sig").strip() == ",".join(SPECS[kind].headers)
    else:
        wb = openpyxl.load_workbook(io.BytesIO(response.content))
        assert [c.value for c in wb.worksheets[0][1]] == SPECS[kind].headers
        assert wb.sheetnames[1] == "说明"


def test_unknown_template_kinds_and_formats_are_404(client_as: Any, staff_a: Any) -> None:
    client = client_as(staff_a)
    assert client.get(reverse("people:import_template", args=["pets", "xlsx"])).status_code == 404
    assert client.get(reverse("people:import_template", args=["residents", "xls"])).status_code == 404


def test_the_xlsx_template_explains_every_column_on_its_second_sheet() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(build_template("residents", "xlsx")))
    notes = wb["说明"]
    described = {row[0] for row in notes.iter_rows(min_row=5, values_only=True)}
    assert described == set(SPECS["residents"].headers)
    kind_row = next(row for row in notes.iter_rows(values_only=True) if row[0] == "人口类型")
    assert kind_row[1] == "required" and kind_row[3] == "户籍、流动、境外"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_downloaded_template_filled_in_imports(client_as: Any, staff_a: Any, grid_a: Any, fmt: str) -> None:
    client = client_as(staff_a)
    template = client.get(reverse("people:import_template", args=["residents", fmt])).content
    number = new_id(110)
    record = {"网格编码": grid_a.code, "姓名": "模板填写", "身份证号": number, "人口类型": "流动", "关爱标签": "残疾人"}
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(template))
        ws = wb.worksheets[0]
        headers = [c.value for c in ws[1]]
        for header, value in record.items():
            ws.cell(row=2, column=headers.index(header) + 1, value=value)
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
    else:
        headers = template.decode("utf-8-sig").strip().split(",")
        data = template + ",".join(str(record.get(h, "")) for h in headers).encode() + b"\r\n"
    response = client.post(
        reverse("people:import"), {"kind": "residents", "file": SimpleUploadedFile(f"filled.{fmt}", data)}
    )
    assert response.status_code == 302
    resident = Resident.objects.get(id_number_digest=crypto.digest(number))
    assert (resident.name, resident.kind, resident.grid_id) == ("模板填写", "floating", grid_a.pk)
    assert [t.code for t in resident.care_tags.all()] == ["disabled"]


# --- the page ---------------------------------------------------------------------------------------------------


@pytest.fixture
def english_client(client_as: Any) -> Any:
    def login(user: Any) -> Any:
        client = client_as(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


def test_the_page_lists_every_kind_with_its_columns_and_template_links(english_client: Any, street_admin: Any) -> None:
    response = english_client(street_admin).get(reverse("people:import"), {"kind": "units"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_kind"' in html and 'id="id_file"' in html and 'type="submit"' in html
    for kind, spec in SPECS.items():
        assert reverse("people:import_template", args=[kind, "xlsx"]) in html
        assert reverse("people:import_template", args=[kind, "csv"]) in html
        for header in spec.headers:
            assert f"<dt>{header} " in html
    assert '<details class="card" id="kind-units" open>' in html
    assert 'role="alert"' not in html


def test_the_page_redirects_with_the_counts_after_an_import(english_client: Any, staff_a: Any, grid_a: Any) -> None:
    client = english_client(staff_a)
    data = xlsx(
        table(
            "residents",
            *(
                {"grid_code": grid_a.code, "name": f"页{n}", "id_number": new_id(120 + n), "kind": "户籍"}
                for n in range(3)
            ),
        )
    )
    response = client.post(
        reverse("people:import"), {"kind": "residents", "file": SimpleUploadedFile("三月.xlsx", data)}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("people:import") + "?kind=residents"
    assert "Residents imported from 三月.xlsx: 3." in response.content.decode()


def test_the_page_shows_every_problem_in_an_alert_table(
    english_client: Any, staff_a: Any, grid_a: Any, grid_b: Any
) -> None:
    client = english_client(staff_a)
    before = counts()
    data = csv_bytes(
        table(
            "residents",
            {"grid_code": grid_a.code, "name": "好", "id_number": new_id(130), "kind": "户籍"},
            {"grid_code": grid_b.code, "name": "<script>alert(1)</script>", "id_number": new_id(131), "kind": "户籍"},
            {"grid_code": grid_a.code, "name": "坏", "id_number": "123", "kind": "户籍"},
        )
    )
    response = client.post(reverse("people:import"), {"kind": "residents", "file": SimpleUploadedFile("r.csv", data)})
    assert response.status_code == 200
    assert counts() == before
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Nothing was imported. Problems found: 2, in 2 rows." in html
    assert '<th scope="col">Row</th><th scope="col">Column</th><th scope="col">Problem</th>' in html
    assert f"<td>3</td><td>网格编码</td><td>Grid code {grid_b.code} does not exist or is outside your area</td>" in html
    assert "<td>4</td><td>身份证号</td><td>ID number must be 18 characters" in html
    assert "<script>alert(1)</script>" not in html
    assert '<option value="residents" selected>' in html


def test_the_page_shows_the_first_problems_of_a_long_list_with_the_total(
    english_client: Any, staff_a: Any, grid_a: Any, monkeypatch: Any
) -> None:
    from civicgrid.people import importing

    monkeypatch.setattr(importing, "PROBLEMS_SHOWN", 2)
    data = xlsx(
        table(
            "residents", *({"grid_code": grid_a.code, "name": "甲", "id_number": "1", "kind": "户籍"} for _ in range(5))
        )
    )
    response = english_client(staff_a).post(
        reverse("people:import"), {"kind": "residents", "file": SimpleUploadedFile("r.xlsx", data)}
    )
    html = response.content.decode()
    assert "Problems found: 5, in 5 rows." in html
    assert "The first 2 of 5 problems are shown." in html
    assert html.count("must be 18 characters") == 2


def test_the_page_rejects_other_file_types_with_a_message(english_client: Any, staff_a: Any) -> None:
    response = english_client(staff_a).post(
        reverse("people:import"), {"kind": "buildings", "file": SimpleUploadedFile("r.docx", b"PK\x03\x04...")}
    )
    html = response.content.decode()
    assert "Only .xlsx and .csv files can be imported" in html
    assert "<td>—</td><td>—</td>" in html


@pytest.mark.parametrize("user", ["worker_a", "steward_a", "resident", "responder", "merchant"])
def test_other_roles_get_403_on_the_page_and_the_templates(client_as: Any, request: Any, user: str) -> None:
    client = client_as(request.getfixturevalue(user))
    assert client.get(reverse("people:import")).status_code == 403
    assert client.post(reverse("people:import"), {"kind": "residents"}).status_code == 403
    assert client.get(reverse("people:import_template", args=["residents", "xlsx"])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    response = client.get(reverse("people:import"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(reverse("people:import_template", args=["residents", "csv"])).status_code == 302
