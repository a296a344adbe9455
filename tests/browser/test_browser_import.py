"""Importing residents in a real browser: download the xlsx template, fill it, see every problem, fix, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(birth: str, seq: int) -> str:
    """A valid resident identity number of 双流区 (510116) for a birth date YYYYMMDD."""
    body = f"510116{birth}{seq:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def unused_id_numbers(n: int) -> list[str]:
    from civicgrid.core import crypto
    from civicgrid.people.models import Resident

    found: list[str] = []
    seq = 700
    while len(found) < n:
        value = id_number("19900101", seq)
        if not Resident.objects.filter(id_number_digest=crypto.digest(value)).exists():
            found.append(value)
        seq += 1
    return found


def with_bad_check_digit(value: str) -> str:
    return value[:17] + ("0" if value[17] != "0" else "1")


def fill(template: Path, rows: list[dict[str, str]], out: Path) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(template)
    ws = wb.worksheets[0]
    headers = [str(c.value).rstrip("*").strip() for c in ws[1] if c.value]
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            cell = ws.cell(row=r, column=headers.index(header) + 1)
            cell.value = value
            cell.number_format = "@"
    wb.save(out)
    return out


def test_import_residents_from_xlsx_template(new_page: Any, tmp_path: Path) -> None:
    from civicgrid.people.models import Household, Resident

    household = Household.objects.filter(grid__community__name="万家社区").order_by("code").first()
    assert household is not None
    good1, good2, good3 = unused_id_numbers(3)
    names = ["导入测试甲", "导入测试乙", "导入测试丙"]

    def rows(third_id: str) -> list[dict[str, str]]:
        return [
            {"户编号": household.code, "姓名": names[0], "身份证号": good1, "人口类型": "户籍", "与户主关系": "子女"},
            {"户编号": household.code, "姓名": names[1], "身份证号": good2, "人口类型": "户籍", "与户主关系": "子女"},
            {
                "户编号": household.code,
                "姓名": names[2],
                "身份证号": third_id,
                "人口类型": "户籍",
                "与户主关系": "子女",
            },
        ]

    p = new_page()
    p.login("wanjia_staff")
    with p.page.expect_navigation():
        p.page.locator('nav a[href$="/people/import/"]').click()
    assert p.page.locator("h1").count() == 1

    # The residents template, from its link on the page.
    with p.page.expect_download() as download_info:
        p.page.locator('a[href$="/people/import/template/residents.xlsx"]').click()
    template = tmp_path / "residents-template.xlsx"
    download_info.value.save_as(template)

    # Two good rows and one with a wrong check digit: the problem is listed by row, and nothing is written.
    bad_file = fill(template, rows(with_bad_check_digit(good3)), tmp_path / "居民-有错.xlsx")
    p.page.select_option('select[name="kind"]', "residents")
    p.page.set_input_files('input[type="file"]', str(bad_file))
    with p.page.expect_navigation():
        p.page.locator("form.stacked button[type=submit]").click()
    problems = p.page.get_by_test_id("import-problems")
    problems.wait_for()
    problem_rows = problems.locator("tbody tr")
    assert problem_rows.count() == 1, problems.inner_text()
    cells = problem_rows.first.locator("td")
    assert cells.nth(0).inner_text().strip() == "4"  # header is row 1: the third record is row 4
    assert "身份证号" in cells.nth(1).inner_text()
    assert not Resident.objects.filter(name__in=names).exists()
    p.screenshot("-problems")

    # Corrected, the same file imports whole.
    good_file = fill(template, rows(good3), tmp_path / "居民.xlsx")
    p.page.select_option('select[name="kind"]', "residents")
    p.page.set_input_files('input[type="file"]', str(good_file))
    with p.page.expect_navigation():
        p.page.locator("form.stacked button[type=submit]").click()
    success = p.page.locator(".messages li.success")
    assert success.count() == 1, p.page.locator("main").inner_text()
    assert "3" in success.inner_text()
    assert p.page.get_by_test_id("import-problems").count() == 0
    imported = Resident.objects.filter(name__in=names)
    assert imported.count() == 3
    assert set(imported.values_list("household_id", flat=True)) == {household.pk}
    p.screenshot()
