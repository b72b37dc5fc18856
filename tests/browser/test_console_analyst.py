"""The analysts' console in Chromium: the indicators dashboard and the hot spot map, on a stack of its
own with 14 days of demo history (the nightly function has computed the last 7 when the stack is ready);
and that history itself, as `make run` loads it (last in the module: it sends an alert)."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import date as Date
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from boto3.dynamodb.types import TypeDeserializer
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.e2e.conftest import ROOT, LocalStackProcess, launch_local_stack

DAYS = 14


@pytest.fixture(scope="module")
def history_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """A stack with a short past: enough nights of indicators, hot spots and patrol schedules."""
    stack = launch_local_stack(
        tmp_path_factory.mktemp("analyst-stack") / "local",
        residents=450,
        env={"VIGIA_DEMO_HISTORY_DAYS": str(DAYS)},
    )
    yield stack
    assert stack.stop() == 0, stack.log()


@pytest.fixture
def console(page: Page, history_stack: LocalStackProcess) -> Iterator[Console]:
    """The conftest's console, on this module's stack instead of the session's."""
    page.set_default_timeout(20_000)
    url = str(history_stack.outputs.get("ConsoleUrl") or f"{history_stack.api}/console/")
    screen = Console(page, url, history_stack)
    yield screen
    assert not screen.csp_violations, f"the console broke its own CSP: {screen.csp_violations}"
    assert not screen.errors, f"uncaught errors in the page: {screen.errors}"
    assert not screen.outside, f"the console reached outside this machine: {screen.outside}"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def shown(value: Any) -> str:
    """What the page must show for an API value, compared by its digits (the locale's separators aside)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value  # a held-back cell exactly as the API published it
    return digits(str(int(value + 0.5)) if isinstance(value, float) else str(value))


def test_an_analyst_reads_the_indicators_downloads_the_csv_and_sees_the_hot_spots(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    api = console.stack.client("analyst")
    # Given an analyst signed in: the observatory's pages, not the operators'
    console.sign_in("analyst")
    expect(page.locator("[data-nav-link='indicators']")).to_be_visible()
    expect(page.locator("[data-nav-link='hotspots']")).to_be_visible()
    expect(page.locator("[data-nav-link='queue']")).to_have_count(0)
    # When she opens the dashboard (the last 7 days by default)
    page.locator("[data-nav-link='indicators']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "indicators")
    days = page.locator("[data-indicators-days] tbody tr[data-date]")
    expect(days.first).to_be_visible()
    # Then the period's rows are the API's, cell for cell, small cells as published
    date_from = page.get_by_label("Desde").input_value()
    date_to = page.get_by_label("Hasta").input_value()
    answer = api.get(f"/v1/indicators?from={date_from}&to={date_to}&zone=city&type=all")
    assert answer.status_code == 200, answer.text
    rows = answer.json()["items"]
    assert len(rows) == 7
    assert sum(row["count"] for row in rows) > 0
    expect(days).to_have_count(len(rows))
    for row in rows:
        tr = page.locator(f"[data-indicators-days] tr[data-date='{row['date']}']")
        for column in ("count", "response_time_median_s", "response_time_p90_s", "cancellations"):
            text = tr.locator(f"td[data-col='{column}']").inner_text()
            want = shown(row[column])
            assert (text if isinstance(row[column], str) or row[column] is None else digits(text)) == want, (
                row["date"],
                column,
                text,
                row[column],
            )
    # the period's total, and one hatched bar per day with its value written beside it
    total = sum(row["count"] for row in rows)
    expect(page.locator("[data-figure='count'] strong")).to_have_text(str(total))
    chart = page.locator("svg[data-chart='days']")
    expect(chart.locator("rect.chart-bar")).to_have_count(len(rows))
    expect(chart.locator("text.chart-value").first).to_have_text(str(rows[0]["count"]))
    # by quadrant: the sum of each quadrant's days, as the API gives them
    q01 = api.get(f"/v1/indicators?from={date_from}&to={date_to}&zone=Q-01&type=all").json()["items"]
    expect(
        page.locator("[data-indicators-quadrants] tr[data-zone='Q-01'] td[data-col='count']")
    ).to_have_text(str(sum(row["count"] for row in q01)))
    expect(page.locator("svg[data-chart='quadrants'] rect.chart-bar")).to_have_count(10)
    # the week's summary, with its "all" row equal to the API's
    week = api.get(f"/v1/indicators/summary?period=week&date={date_to}&zone=city").json()
    all_row = next(item for item in week["items"] if item["type"] == "all")
    expect(page.locator("[data-indicators-summary] tr[data-type='all'] td[data-col='count']")).to_have_text(
        str(all_row["count"])
    )
    assert console.serious_violations() == []
    console.screenshot("indicators")

    # When she downloads the CSV of what she sees
    with page.expect_download() as info:
        page.locator("[data-download-csv]").click()
    path = tmp_path / "indicators.csv"
    info.value.save_as(path)
    # Then it holds the same rows in the published files' columns
    table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [line["date"] for line in table] == [row["date"] for row in rows]
    assert [line["count"] for line in table] == [str(row["count"]) for row in rows]
    assert list(table[0])[:5] == ["date", "zone_level", "zone", "type", "iccs"]

    # When she asks for the last day's published files and downloads the CSV by its presigned link
    files = page.locator("[data-day-files]")
    files.get_by_label("Día", exact=True).fill(date_to)
    files.get_by_role("button", name="Obtener los enlaces").click()
    expect(files.locator("[data-export-file]")).to_have_count(3)
    expect(files.locator("[data-export-file='feed.json']")).to_have_text("Feed")
    with page.expect_download() as got:
        files.locator("[data-export-file='indicators.csv']").click()
    day_csv = tmp_path / "day.csv"
    got.value.save_as(day_csv)
    # Then the file is the day's indicators.csv as the nightly run wrote it to the exports bucket
    bucket = console.stack.outputs["ExportsBucketName"]
    key = f"indicators/godoy-cruz/{date_to}/indicators.csv"
    stored = console.stack.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert day_csv.read_bytes() == stored
    assert got.value.suggested_filename == f"godoy-cruz-{date_to}-indicators.csv"
    header = day_csv.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:6] == ["date", "zone_level", "zone", "type", "iccs", "count"]
    # and a day the nightly run has not exported says so
    files.get_by_label("Día", exact=True).fill((Date.fromisoformat(date_to) + timedelta(days=2)).isoformat())
    files.get_by_role("button", name="Obtener los enlaces").click()
    expect(files.locator("[data-export-missing]")).to_be_visible()
    expect(files.locator("[data-export-file]")).to_have_count(0)

    # and the printed page keeps the figures, charts and tables, not the controls
    page.emulate_media(media="print")
    expect(page.locator("[data-indicators-form]")).to_be_hidden()
    expect(chart).to_be_visible()
    page.emulate_media(media="screen")

    # When she opens the hot spot map for today
    page.locator("[data-nav-link='hotspots']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "hotspots")
    places = page.locator("[data-hotspots] tbody tr[data-place-id]")
    expect(places.first).to_be_visible()
    date = page.get_by_label("Fecha", exact=True).input_value()
    ranked = api.get(f"/v1/hotspots?date={date}&limit=100").json()["items"]
    # Then the places are the API's, in its order, with the day's dosage beside them
    assert ranked, "the demo history has hot spots"
    expect(places).to_have_count(len(ranked))
    expect(places.first).to_have_attribute("data-place-id", ranked[0]["place_id"])
    dosage = api.get(f"/v1/patrols/dosage?date={date}")
    assert dosage.status_code == 200, dosage.text
    expect(page.locator("[data-dosage-note]")).to_contain_text("minutos planificados")
    # and the week's dosage beside them: the 7 days ending on the date, as the API sums them
    first = (Date.fromisoformat(date) - timedelta(days=6)).isoformat()
    weekly = api.get(f"/v1/patrols/dosage?from={first}&to={date}")
    assert weekly.status_code == 200, weekly.text
    week_rows = page.locator("[data-week-dosage-table] tbody tr[data-date]")
    expect(week_rows).to_have_count(7)
    expect(week_rows.first).to_have_attribute("data-date", first)
    for day in weekly.json()["days"]:
        expect(page.locator(f"[data-week-dosage-table] tr[data-date='{day['date']}']")).to_have_attribute(
            "data-scheduled", str(day["scheduled"]).lower()
        )
    expect(page.locator("[data-week-dosage-total]")).to_contain_text(f"{first} al {date}")

    # When she opens the alerts behind the first hot spot
    place = ranked[0]
    page.locator(f"[data-open-alerts='{place['place_id']}']").click()
    # Then they are the alerts the API counted into it, as many as the place says, and no silent one
    behind = api.get(f"/v1/hotspots/{place['place_id']}/alerts?date={date}")
    assert behind.status_code == 200, behind.text
    listed = behind.json()["items"]
    assert len(listed) == place["alerts"]
    rows_behind = page.locator(f"[data-place-alerts-table='{place['place_id']}'] tbody tr")
    expect(rows_behind).to_have_count(len(listed))
    if listed:
        expect(rows_behind.first).to_have_attribute("data-alert-id", listed[0]["alert_id"])
    silent = {t["code"] for t in api.get("/v1/alert-types").json()["items"] if t.get("silent")}
    assert silent, "the pack has silent alert types"
    assert not silent & {item["type"] for item in listed}
    assert console.serious_violations() == []
    console.screenshot("hotspots")


def test_a_day_s_presigned_links_reach_the_stored_files_over_plain_http(
    history_stack: LocalStackProcess,
) -> None:
    # Given the day before yesterday, computed by the nightly function of the local stack
    api = history_stack.client("analyst")
    days = api.get("/v1/indicators?zone=city&type=all").json()["items"]
    assert days, "the nightly function computed yesterday"
    day = days[0]["date"]
    # When an analyst asks for its files
    answer = api.get(f"/v1/indicators/exports/{day}")
    assert answer.status_code == 200, answer.text
    bucket = history_stack.outputs["ExportsBucketName"]
    s3 = history_stack.aws("s3")
    for entry in answer.json()["files"]:
        # Then each link, fetched with no credentials from this machine (as a browser would), is the object
        with urllib.request.urlopen(entry["url"], timeout=20) as response:  # noqa: S310 (the stack's own URL)
            body = response.read()
            assert response.status == 200
            assert "attachment" in response.headers["Content-Disposition"]
        stored = s3.get_object(Bucket=bucket, Key=f"indicators/godoy-cruz/{day}/{entry['name']}")[
            "Body"
        ].read()
        assert body == stored, entry["name"]
    # and other roles get no link
    for role in ("operator", "police", "response_team"):
        refused = history_stack.client(role).get(f"/v1/indicators/exports/{day}")
        assert refused.status_code == 403, (role, refused.text)


def same(text: str, want: Any) -> bool:
    """Whether the page's text is the API's value: a dash for null, a held-back cell as published, a number
    by its digits as the page rounds it (two decimals; the locale's separators aside)."""
    if want is None or isinstance(want, str):
        return text == ("—" if want is None else want)
    rounded = round(float(want), 2)
    return digits(text) == digits(str(int(rounded)) if rounded == int(rounded) else str(rounded))


def _month(day: Date, back: int = 0) -> str:
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12}-{index % 12 + 1:02d}"


def _seed_observatory(stack: LocalStackProcess, rows: list[tuple[str, str, str, str, str, int, str]]) -> None:
    """ObservatoryTable items as ingestion writes them: (zone_kind, zone_id, month, source, measure, value,
    basis)."""
    ddb = stack.aws("dynamodb")
    table = stack.outputs["Resources"]["ObservatoryTable"]
    for kind, zone, month, source, measure, value, basis in rows:
        ddb.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"zone#{kind}#{zone}"},
                "sk": {"S": f"{month}#{source}#{measure}"},
                "value": {"N": str(value)},
                "dataset_id": {"S": f"ds-{source}"},
                "basis": {"S": basis},
            },
        )


def test_an_analyst_compares_sources_and_reads_resources_against_demand(
    console: Console, tmp_path: Path
) -> None:
    page = console.page
    api = console.stack.client("analyst")
    pack = json.loads((ROOT / "infra" / "cities" / console.stack.outputs["City"] / "city.json").read_text())
    yesterday = datetime.now(ZoneInfo(pack["time_zone"])).date() - timedelta(days=1)
    this, last = _month(yesterday), _month(yesterday, 1)
    code = pack["official_code"]["value"]
    # Given police records (by occurrence) and health records (by residence) of the last two months,
    # a quadrant with a small cell among them
    _seed_observatory(
        console.stack,
        [
            ("department", code, last, "snic", "hechos", 118, "occurrence"),
            ("department", code, this, "snic", "hechos", 97, "occurrence"),
            ("department", code, this, "salud", "lesiones", 14, "residence"),
            ("quadrant", "Q-01", this, "snic", "hechos", 40, "occurrence"),
            ("quadrant", "Q-02", this, "snic", "hechos", 3, "occurrence"),
        ],
    )
    console.sign_in("analyst")
    expect(page.locator("[data-nav-link='compare']")).to_have_text("Comparar fuentes")
    expect(page.locator("[data-nav-link='resources']")).to_have_text("Recursos y demanda")

    # When she opens "Comparar fuentes" and compares the city over the two months
    expect(page.locator("body")).to_have_attribute("data-page", "indicators")  # where an analyst lands
    page.locator("[data-nav-link='compare']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "compare")
    console.go(f"compare?zone=city&from={last}&to={this}")
    answer = api.get(f"/v1/observatory/compare?zone=city&from={last}&to={this}")
    assert answer.status_code == 200, answer.text
    months = page.locator("[data-compare-months] tbody tr[data-month]")
    expect(months).to_have_count(2)
    body = answer.json()
    # Then each month's alerts and each source's value, ratio and change are the API's, side by side
    for month in body["months"]:
        tr = page.locator(f"[data-compare-months] tr[data-month='{month['month']}']")
        expect(tr.locator("td[data-col='alerts']")).to_have_text(shown(month["alerts"]))
        expect(tr.locator("td[data-col='days_missing']")).to_have_text(shown(month["days_missing"]))
        for c in month["sources"]:
            key = f"{c['source']}:{c['measure']}"
            for col in ("value", "ratio", "change"):
                text = tr.locator(f"td[data-col='{col}'][data-series='{key}']").inner_text()
                assert same(text, c[col]), (month["month"], key, col, text, c[col])
    by_month = {
        m["month"]: {(c["source"], c["measure"]): c["value"] for c in m["sources"]} for m in body["months"]
    }
    assert by_month[this] == {("salud", "lesiones"): 14, ("snic", "hechos"): 97}
    assert by_month[last][("snic", "hechos")] == 118
    # and each source says how it counts (never added to another)
    expect(page.locator("[data-series-basis='snic:hechos']")).to_contain_text("por lugar de ocurrencia")
    expect(page.locator("[data-series-basis='salud:lesiones']")).to_contain_text("por lugar de residencia")
    expect(page.locator("[data-series-basis='vigia:alerts']")).to_contain_text("por lugar de ocurrencia")
    expect(page.locator("[data-compare-trends] tr[data-series]")).to_have_count(2)
    assert console.serious_violations() == []
    page.screenshot(path=str(tmp_path / "observatory-compare.png"), full_page=True)
    console.screenshot("observatory-compare")

    # When she looks at the quadrant whose records would give the small one back
    console.go(f"compare?zone=Q-01&from={this}&to={this}")
    expect(page.locator("[data-compare-zone='Q-01']")).to_be_visible()
    q01 = api.get(f"/v1/observatory/compare?zone=Q-01&from={this}&to={this}").json()
    assert [c["value"] for c in q01["months"][0]["sources"]] == ["x"]
    # Then it is withheld as the API withholds it, and its ratio is a dash
    cell = page.locator(
        f"[data-compare-months] tr[data-month='{this}'] td[data-col='value'][data-series='snic:hechos']"
    )
    expect(cell).to_have_text("x")
    expect(
        page.locator(
            f"[data-compare-months] tr[data-month='{this}'] td[data-col='ratio'][data-series='snic:hechos']"
        )
    ).to_have_text("—")

    # When she opens resources and demand for this month
    page.locator("[data-nav-link='resources']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "resources")
    console.go(f"resources?from={this}&to={this}")
    rows = page.locator("[data-resources-table] tbody tr[data-quadrant]")
    resources = api.get(f"/v1/observatory/resources?from={this}&to={this}")
    assert resources.status_code == 200, resources.text
    quadrants = resources.json()["quadrants"]
    expect(rows).to_have_count(len(quadrants))
    # Then every quadrant's units, dosage, alerts and recorded crime are the API's figures
    for q in quadrants:
        tr = page.locator(f"[data-resources-table] tr[data-quadrant='{q['quadrant_id']}']")
        for col in ("units", "alerts", "alerts_per_100k", "units_per_100k", "patrol_done_min"):
            text = tr.locator(f"td[data-col='{col}']").inner_text()
            assert same(text, q[col]), (q["quadrant_id"], col, text, q[col])
        for r in q["recorded"]:
            text = tr.locator(
                f"td[data-col='recorded'][data-series='{r['source']}:{r['measure']}']"
            ).inner_text()
            assert same(text, r["value"]), (q["quadrant_id"], text, r)
    by_quadrant = {q["quadrant_id"]: q for q in quadrants}
    assert [r["value"] for r in by_quadrant["Q-02"]["recorded"]] == ["<5"]
    assert [r["value"] for r in by_quadrant["Q-01"]["recorded"]] == ["x"]
    assert sum(q["units"] for q in quadrants) == len(pack["units"])
    assert console.serious_violations() == []
    page.screenshot(path=str(tmp_path / "observatory-resources.png"), full_page=True)
    console.screenshot("observatory-resources")


def _alert_items(stack: LocalStackProcess) -> list[dict[str, Any]]:
    """Every alert item of the emulator's Alerts table (the test looks behind the API)."""
    ddb = stack.aws("dynamodb")
    table = stack.outputs["Resources"]["AlertsTable"]
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        found += [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return [i for i in found if i.get("sk") == "ALERT"]
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_stack_with_history_is_alive_on_first_start(history_stack: LocalStackProcess) -> None:
    """The demo's past (infra/local/demo_history.py): a stack started with VIGIA_DEMO_HISTORY_DAYS has hot
    spots, indicators, patrol schedules with check-ins and a closed queue on its first answer, and its silent
    alerts are sealed like real ones: nothing in them is readable by an operator. (On this module's stack:
    a second stack with the same history would cost a minute of the suite.)"""
    # Given a stack started with two weeks of demo history
    stack = history_stack
    history = stack.outputs["DemoHistory"]
    assert history["Days"] == DAYS
    assert history["Alerts"] > DAYS * 5
    assert history["SilentAlerts"] >= 1
    # the banner says what it loaded and what it cost (the whole log: the module's other tests came first)
    assert "Demo history   14 days" in stack.log(tail=1_000_000)
    operator, analyst = stack.client("operator"), stack.client("analyst")
    pack = json.loads((ROOT / "infra" / "cities" / stack.outputs["City"] / "city.json").read_text())
    yesterday = (datetime.now(ZoneInfo(pack["time_zone"])).date() - timedelta(days=1)).isoformat()

    # Then the map has hot spots from that history
    hot = operator.get("/v1/hotspots?limit=10")
    assert hot.status_code == 200, hot.text
    assert hot.json()["alerts_counted"] > 0
    assert hot.json()["hot_spots"] > 0

    # and yesterday's indicators were computed by the nightly function
    indicators = analyst.get(f"/v1/indicators?from={yesterday}&to={yesterday}")
    assert indicators.status_code == 200, indicators.text
    city = [r for r in indicators.json()["items"] if r["zone_level"] == "city" and r["type"] == "all"]
    assert city
    assert city[0]["count"] > 0

    # and yesterday had a patrol schedule, and its units checked in
    schedule = operator.get(f"/v1/patrol-schedules/{yesterday}")
    assert schedule.status_code == 200, schedule.text
    assert any(unit["stops"] for unit in schedule.json()["units"])
    dosage = operator.get(f"/v1/patrols/dosage?date={yesterday}")
    assert dosage.status_code == 200, dosage.text
    assert any(unit["stops_done"] > 0 for unit in dosage.json()["units"]), dosage.text

    # and the closed queue has resolved alerts, false alarms and cancellations, with response times
    closed: dict[str, list[dict[str, Any]]] = {}
    for status in ("resolved", "false_alarm", "cancelled"):
        answer = operator.get(f"/v1/alerts?status={status}&limit=100")
        assert answer.status_code == 200, answer.text
        closed[status] = answer.json()["items"]
        assert closed[status], f"no {status} alert in the history"
    assert any(item.get("response_time_s") for item in closed["resolved"])

    # and no silent alert of the history is readable by an operator: sealed like a real one
    items = _alert_items(stack)
    silent = [i for i in items if i.get("silent")]
    assert silent
    for item in silent:
        assert item["sealed"]
        assert item.get("location") is None
        assert item["sender_id"].startswith("sealed#")
        assert item["type"] == "silent"
        assert item.get("block_id") is None
        assert item.get("note") is None
        seen = operator.get(f"/v1/alerts/{item['pk']}")
        shown = json.dumps(seen.json()) if seen.content else ""
        assert seen.status_code in (200, 403, 404), seen.text
        for secret in ("location", "sender_id", "block_id", "note", "lat", "lon"):
            assert f'"{secret}"' not in shown, f"an operator reads {secret} of silent alert {item['pk']}"
    listed = [i for status in closed for i in closed[status]]
    listed += operator.get("/v1/alerts?limit=200").json()["items"]
    silent_ids = {i["pk"] for i in silent}
    for entry in listed:
        if entry["alert_id"] in silent_ids:
            assert entry.get("type") in (None, "silent")
            assert "location" not in entry
            assert "sender_id" not in entry

    # and nothing of the history left the system (no SMS, siren or webhook for a past alert) ...
    history_ids = {i["pk"] for i in items}
    assert not [m for m in stack.outbox() if m.get("alert_id") in history_ids]
    # ... while an alert sent now is relayed and dispatched as on any stack
    place = hot.json()["items"][0]["centroid"]
    sent = stack.client("citizen").post(
        "/v1/alerts", json={"type": "suspicious_activity", "location": {**place, "accuracy_m": 10}}
    )
    assert sent.status_code == 202, sent.text
    new_id = sent.json()["alert_id"]
    assert stack.wait_for(lambda: [m for m in stack.outbox() if m.get("alert_id") == new_id], timeout=60)

    # while the response team opens one: the envelope is real (KMS on the emulator), a demo resident's
    opened = stack.client("response_team").get(f"/v1/silent-alerts/{silent[0]['pk']}")
    assert opened.status_code == 200, opened.text
    assert opened.json()["sender"]["resident_id"].startswith("seed-")
    assert opened.json()["location"]["lat"]
