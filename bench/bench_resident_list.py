"""The resident list page of a community of about 3,000 residents, as its community staff sees it.

(a) Queries per page: counted on page 1 and page 10, and with 10 and 50 rows per page. They must all be equal (no
query per row), or the benchmark fails. (b) Median latency of the whole request through Django's test client
(session, permission check, count, rows, care tags, template) against the raw SQL of the page's 50 rows run
through `connection.cursor()`, on the same pages, in the same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Any
from unittest import mock

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import Context, Result
from bench.db import ensure_world, machine, production_like, world_for

TARGET_RESIDENTS = 3_000
PER_PAGE = 50  # the view's page size
REQUESTS = 50
WARMUP = 5
BACKEND = "civicgrid.accounts.backends.UsernameOrPhoneBackend"
URL = "/people/residents/"


def community_near(target: int) -> tuple[int, int]:
    """(community id, residents) of the community whose number of residents is closest to `target`."""
    from civicgrid.people.models import Resident

    sizes = Resident.objects.order_by().values_list("grid__community_id").annotate(n=Count("id"))
    return min(((cid, n) for cid, n in sizes), key=lambda row: (abs(row[1] - target), row[0]))


def rows_per_page(n: int) -> type[Paginator]:
    """A Paginator that ignores the page size it is given: the view hard-codes 50 rows."""

    class Fixed(Paginator):
        def __init__(self, object_list: Any, per_page: int | str, *args: Any, **kwargs: Any) -> None:
            super().__init__(object_list, n, *args, **kwargs)

    return Fixed


def get(client: Client, page: int) -> None:
    response = client.get(URL, {"page": page})
    if response.status_code != 200:
        raise AssertionError(f"resident_list: GET {URL}?page={page} answered {response.status_code}")


def queries_for(client: Client, page: int, per_page: int = PER_PAGE) -> list[str]:
    with (
        mock.patch("civicgrid.people.views.Paginator", rows_per_page(per_page)),
        CaptureQueriesContext(connection) as ctx,
    ):
        get(client, page)
    return [q["sql"] for q in ctx.captured_queries]


def run(ctx: Context) -> list[Result]:
    from civicgrid.accounts.choices import Role
    from civicgrid.accounts.models import User
    from civicgrid.people import selectors

    ensure_world(world_for(ctx))
    community_id, residents = community_near(TARGET_RESIDENTS)
    user = User.objects.filter(role=Role.COMMUNITY_STAFF, community_id=community_id).order_by("id").first()
    if user is None:
        raise AssertionError(f"resident_list: community {community_id} has no community staff account")
    client = Client()
    client.force_login(user, backend=BACKEND)
    pages = -(-residents // PER_PAGE)
    for page in range(1, WARMUP + 1):
        get(client, page)

    # (a) the number of queries does not depend on the page or on the number of rows shown.
    counted = {
        "page 1, 50 rows": queries_for(client, 1),
        "page 10, 50 rows": queries_for(client, 10),
        "page 1, 10 rows": queries_for(client, 1, 10),
        "page 10, 10 rows": queries_for(client, 10, 10),
    }
    sizes = {k: len(v) for k, v in counted.items()}
    if len(set(sizes.values())) != 1:
        raise AssertionError(f"resident_list: the query count changes with the page or its size: {sizes}")
    n_queries = sizes["page 1, 50 rows"]

    # (b) latency of the whole request, and of the raw SQL of the same page's rows.
    order = [1 + (i * 7) % pages for i in range(REQUESTS)]  # spread over the whole list, deep pages included
    page_qs = selectors.resident_page(user)
    raw = {p: page_qs[(p - 1) * PER_PAGE : p * PER_PAGE].query.sql_with_params() for p in set(order)}
    request_s: list[float] = []
    select_s: list[float] = []
    with production_like():
        for p in order:
            t0 = time.perf_counter()
            get(client, p)
            request_s.append(time.perf_counter() - t0)
        with connection.cursor() as cursor:
            for p in order:
                sql, params = raw[p]
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                got = cursor.fetchall()
                select_s.append(time.perf_counter() - t0)
                if len(got) != min(PER_PAGE, residents - (p - 1) * PER_PAGE):
                    raise AssertionError(f"resident_list: the raw SELECT of page {p} gave {len(got)} rows")

    request_ms = statistics.median(request_s) * 1000
    select_ms = statistics.median(select_s) * 1000
    where: dict[str, Any] = {
        "community_id": community_id,
        "residents": residents,
        "pages": pages,
        "user": user.username,
    }
    return [
        Result(
            "resident_list queries per page",
            n_queries,
            "queries",
            "same page, 10 rows per page",
            sizes["page 1, 10 rows"],
            notes={**where, "counts": sizes, "queries": [q[:90] for q in counted["page 10, 50 rows"]]},
        ),
        Result(
            "resident_list median latency",
            round(request_ms, 3),
            "ms",
            "raw SELECT of the page's 50 rows",
            round(select_ms, 3),
            notes={
                **where,
                "requests": REQUESTS,
                "p90_ms": round(statistics.quantiles(request_s, n=10)[-1] * 1000, 3),
                "baseline_p90_ms": round(statistics.quantiles(select_s, n=10)[-1] * 1000, 3),
                **machine(),
            },
        ),
    ]
