"""The SAT journey in Chromium (issue 17, docs/prevention.md "SAT"), on a stack of its own running
Peñalolén's pack (it has the `sat` section): a school's attendance file, uploaded through /v1/datasets,
opens cases for the students the rules name and not the others; the coordinator assigns one; a professional
records a home visit and closes it as re-engaged; an operator, a police officer and an analyst are refused
the case (the console says so, the API answers 403); the nightly figures carry only suppressed aggregates;
retention deletes a closed case. Nothing of a case is left in the browser's storage."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.e2e.conftest import ROOT, ApiSession, LocalStackProcess, _stop_and_check, launch_local_stack
from tests.support.people import fresh_mobile

CITY_ID = "penalolen"
PASSWORD = "Segura-2026x"
# past weeks (an attendance file reports what happened), all in one month
WEEKS = ("2026-W40", "2026-W41", "2026-W42", "2026-W43")
PERIOD = {"from": "2026-09", "to": "2026-10"}
REFUSED_ROLES = ("operator", "police", "analyst")


def pack() -> dict[str, Any]:
    return dict(json.loads((ROOT / "infra/cities" / CITY_ID / "city.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def sat_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    stack = launch_local_stack(
        tmp_path_factory.mktemp("sat-stack") / "local", residents=20, env={"VIGIA_CITY": CITY_ID}
    )
    try:
        assert stack.outputs["City"] == CITY_ID
        yield stack
    finally:
        _stop_and_check(stack)


@pytest.fixture
def console(page: Page, sat_stack: LocalStackProcess) -> Iterator[Console]:
    """The conftest's console, on this module's stack."""
    page.set_default_timeout(20_000)
    url = str(sat_stack.outputs.get("ConsoleUrl") or f"{sat_stack.api}/console/")
    screen = Console(page, url, sat_stack)
    yield screen
    assert not screen.csp_violations, f"the console broke its own CSP: {screen.csp_violations}"
    assert not screen.errors, f"uncaught errors in the page: {screen.errors}"
    assert not screen.outside, f"the console reached outside this machine: {screen.outside}"


# ---------------------------------------------------------------- the SAT's people
_people: dict[tuple[str, str], dict[str, str]] = {}


def sat_user(stack: LocalStackProcess, role: str, name: str = "") -> dict[str, str]:
    """A member of the SAT team (or its coordinator), as an admin would create her: a Cognito user in the
    role's group. Returns username, password and user_id (what the coordinator assigns cases to)."""
    key = (stack.api, f"{role}:{name}")
    if key not in _people:
        idp, pool = stack.aws("cognito-idp"), stack.outputs["UserPoolId"]
        n = uuid.uuid4().int
        email = f"{role.replace('_', '-')}-{n % 10**8:08d}@penalolen.example"
        created = idp.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "phone_number", "Value": fresh_mobile(stack.country_code, n)[1]},
            ],
            MessageAction="SUPPRESS",
        )
        idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
        sub = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}["sub"]
        _people[key] = {"username": email, "password": PASSWORD, "user_id": sub}
    return _people[key]


def api_as(stack: LocalStackProcess, user: dict[str, str]) -> ApiSession:
    return ApiSession(stack.api, stack.sign_in(user["username"], user["password"]))


def sign_in_as(console: Console, user: dict[str, str]) -> None:
    console.open()
    page = console.page
    page.get_by_label(re.compile("Correo|E-mail")).fill(user["username"])
    page.get_by_label(re.compile("Contraseña|Password")).fill(user["password"])
    page.locator("[data-sign-in] button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-state", "ready")


# ---------------------------------------------------------------- a school's file
def attendance_csv(school: str, students: dict[str, list[int]], quadrant: str) -> bytes:
    """One row per student and week: 5 days expected, `attended[i]` attended in WEEKS[i]."""
    lines = ["school,course,student,week,days_expected,days_attended,quadrant"]
    for student, attended in students.items():
        for week, days in zip(WEEKS, attended, strict=True):
            lines.append(f"{school},7B,{student},{week},5,{days},{quadrant}")
    return ("\n".join(lines) + "\n").encode()


def upload_attendance(
    stack: LocalStackProcess,
    school: str,
    students: dict[str, list[int]],
    replaces: str | None = None,
    quadrant: str | None = None,
) -> str:
    """Registers the school's file (reader sat_attendance, one source per school) and PUTs it to the
    presigned link, as a school would; waits until it is ingested. Returns the dataset id. The coordinator
    registers it: only she registers attendance files."""
    uploader = api_as(stack, sat_user(stack, "sat_coordinator"))
    manifest: dict[str, Any] = {
        "source": f"sat-{school.lower()}",
        "licence": "Municipalidad de Peñalolén (uso interno)",
        "period": PERIOD,
        "reader": "sat_attendance",
        "geography": {"kind": "quadrant"},
        "measures": [
            {"name": "days_expected", "meaning": "días de clase de la semana"},
            {"name": "days_attended", "meaning": "días asistidos de los esperados"},
        ],
    }
    if replaces:
        manifest["replaces"] = replaces
    registered = uploader.post("/v1/datasets", json=manifest)
    assert registered.status_code == 201, registered.text
    dataset_id = str(registered.json()["dataset_id"])
    quadrant = quadrant or pack()["quadrants"][0]["quadrant_id"]
    put = requests.put(
        registered.json()["upload_url"], data=attendance_csv(school, students, quadrant), timeout=30
    )
    assert put.status_code == 200, put.text

    def done() -> dict[str, Any] | None:
        dataset = uploader.get(f"/v1/datasets/{dataset_id}").json()
        return dataset if dataset.get("status") in ("ingested", "refused") else None

    dataset = stack.wait_for(done, timeout=60)
    assert dataset["status"] == "ingested", dataset
    return dataset_id


def cases_of(stack: LocalStackProcess, school: str) -> dict[str, dict[str, Any]]:
    """The coordinator's view of the school's cases, by student."""
    answer = api_as(stack, sat_user(stack, "sat_coordinator")).get("/v1/sat/cases")
    assert answer.status_code == 200, answer.text
    return {c["student"]: c for c in answer.json()["cases"] if c["school"] == school}


def a_school() -> tuple[str, dict[str, list[int]]]:
    """A school and three students: one who never came (both rules name her), one who comes every day and
    one who missed a single day in four weeks (neither rule names them)."""
    tag = uuid.uuid4().hex[:6].upper()
    return f"Liceo-{tag}", {
        f"EST-{tag}-1": [0, 0, 0, 0],
        f"EST-{tag}-2": [5, 5, 5, 5],
        f"EST-{tag}-3": [5, 4, 5, 5],
    }


def nothing_of_the_case_in_storage(page: Page, student: str, case_id: str) -> None:
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert student not in stored
    assert case_id not in stored


# ---------------------------------------------------------------- the journey
def test_a_schools_attendance_opens_cases_for_the_students_the_rules_name_and_not_the_others(
    console: Console,
) -> None:
    stack, page = console.stack, console.page
    school, students = a_school()
    absent, present, nearly = students
    # When the school's file is uploaded
    first = upload_attendance(stack, school, students)
    # Then a case is opened for the student who never came, and none for the others
    opened = cases_of(stack, school)
    assert set(opened) == {absent}, opened
    case = opened[absent]
    assert case["status"] == "open"
    assert case["opened_week"] in WEEKS  # the first week whose attendance names her
    assert case["rule"] in ("low_attendance", "consecutive_absences")
    # and the same file uploaded again opens no second case for the same episode
    upload_attendance(stack, school, students, replaces=first)
    assert [c["case_id"] for c in cases_of(stack, school).values()] == [case["case_id"]]

    # The coordinator sees it in her overview, and among the week's new warnings
    sign_in_as(console, sat_user(stack, "sat_coordinator"))
    expect(page.locator("body")).to_have_attribute("data-page", "sat-overview")
    row = page.locator(f"[data-sat-overview] tr[data-sat-case='{case['case_id']}']")
    expect(row).to_contain_text(absent)
    for student in (present, nearly):
        expect(page.locator("[data-sat-overview]")).not_to_contain_text(student)
    assert console.serious_violations() == []
    console.screenshot("sat-overview")
    console.go(f"sat-warnings?week={case['opened_week']}")
    expect(page.locator("body")).to_have_attribute("data-page", "sat-warnings")
    expect(page.locator(f"[data-sat-warnings] tr[data-sat-case='{case['case_id']}']")).to_be_visible()
    expect(page.locator("[data-sat-warnings]")).not_to_contain_text(present)
    assert console.serious_violations() == []
    console.screenshot("sat-warnings")
    nothing_of_the_case_in_storage(page, absent, case["case_id"])


def test_a_professional_records_a_home_visit_and_the_case_closes_as_re_engaged(console: Console) -> None:
    stack, page = console.stack, console.page
    school, students = a_school()
    absent = next(iter(students))
    upload_attendance(stack, school, students)
    case_id = cases_of(stack, school)[absent]["case_id"]
    professional = sat_user(stack, "sat_team", "una")
    other = sat_user(stack, "sat_team", "otra")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))

    # Given the coordinator assigns the case to the professional, on her overview
    sign_in_as(console, sat_user(stack, "sat_coordinator"))
    form = page.locator(f"[data-sat-assign='{case_id}']")
    form.locator("input").fill(professional["user_id"])
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-sat-overview] [data-message], [data-message]").first).to_contain_text(absent)
    page.locator("[data-sign-out]").first.click()

    # Another professional of the team does not see it in her caseload, nor can she read it
    assert absent not in api_as(stack, other).get("/v1/sat/cases").text
    assert api_as(stack, other).get(f"/v1/sat/cases/{case_id}").status_code in (403, 404)

    # When the professional opens her caseload and the case
    sign_in_as(console, professional)
    expect(page.locator("body")).to_have_attribute("data-page", "sat")
    expect(page.locator(f"[data-sat-caseload] tr[data-sat-case='{case_id}']")).to_contain_text(school)
    assert console.serious_violations() == []
    console.screenshot("sat-caseload")
    page.locator(f"[data-sat-case-link='{case_id}']").click()
    expect(page.locator("body")).to_have_attribute("data-page", "sat-case")
    facts = page.locator("[data-sat-facts]")
    expect(facts.locator("[data-field='student']")).to_have_text(absent)
    expect(facts.locator("[data-field='school']")).to_have_text(school)
    # and records a home visit with a note
    page.get_by_label("Qué").select_option("home_visit")
    page.get_by_label("Nota").fill("Conversamos con la apoderada; vuelve el lunes.")
    page.locator("[data-sat-event] button[type=submit]").click()
    expect(page.locator("[data-sat-timeline] [data-sat-event-kind='home_visit']")).to_contain_text(
        "vuelve el lunes"
    )
    # and the support given, by the pack's category (in the city's words)
    page.get_by_label("Qué").select_option("support")
    page.get_by_label("Tipo de apoyo").select_option("parenting")
    page.locator("[data-sat-event] button[type=submit]").click()
    expect(page.locator("[data-sat-timeline] [data-sat-event-kind='support']")).to_contain_text(
        "Apoyo parental"
    )
    # then follows it and closes it as re-engaged, with its outcome
    page.get_by_label("Nuevo estado").select_option("in_follow_up")
    page.locator("[data-sat-status-form] button[type=submit]").click()
    expect(facts.locator("[data-sat-status='in_follow_up']")).to_be_visible()
    assert console.serious_violations() == []
    console.screenshot("sat-case")
    page.get_by_label("Nuevo estado").select_option("re_engaged")
    page.locator("[data-sat-status-form] button[type=submit]").click()
    expect(page.locator("[data-message]")).to_contain_text(re.compile("resultado", re.I))  # none, not sent
    page.get_by_label("Resultado").fill("Asiste de nuevo desde la semana siguiente")
    page.locator("[data-sat-status-form] button[type=submit]").click()
    expect(facts.locator("[data-sat-status='re_engaged']")).to_be_visible()
    expect(page.locator("[data-sat-event]")).to_have_count(0)  # nothing more to record on an ended case

    # Then the API holds it so, with the visit on its timeline
    read = api_as(stack, professional).get(f"/v1/sat/cases/{case_id}")
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "re_engaged"
    assert read.json()["outcome"] == "Asiste de nuevo desde la semana siguiente"
    assert "home_visit" in [e["kind"] for e in read.json()["timeline"]]
    # and her caseload no longer lists it among the open ones
    console.go("sat")
    expect(page.locator("[data-sat-caseload]")).not_to_contain_text(absent)
    nothing_of_the_case_in_storage(page, absent, case_id)
    assert not [m for m in messages if absent in m or case_id in m]  # never printed to the browser console


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_an_operator_a_police_officer_and_an_analyst_are_refused_the_case(
    console: Console, role: str
) -> None:
    stack, page = console.stack, console.page
    school, students = a_school()
    absent = next(iter(students))
    upload_attendance(stack, school, students)
    case_id = cases_of(stack, school)[absent]["case_id"]
    # The API answers 403 on every SAT route, whatever the role asks
    session = stack.client(role)
    for method, path, body in (
        ("GET", "/v1/sat/cases", None),
        ("GET", f"/v1/sat/cases/{case_id}", None),
        ("GET", f"/v1/sat/warnings?week={WEEKS[-1]}", None),
        ("POST", f"/v1/sat/cases/{case_id}/events", {"kind": "note", "note": "x"}),
        ("POST", f"/v1/sat/cases/{case_id}/status", {"status": "closed", "outcome": "x"}),
        ("POST", f"/v1/sat/cases/{case_id}/assign", {"assignee": "x"}),
    ):
        answer = session.request(method, path, json=body)
        assert answer.status_code == 403, (role, path, answer.text)
        assert absent not in answer.text
    # The console has no link to the SAT's pages, and the case's address says it is not for this role
    console.sign_in(role)
    expect(page.locator("[data-nav-link^='sat']")).to_have_count(0)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    console.go(f"sat/cases/{case_id}")
    refusal = page.locator("[data-page-refused]")
    expect(refusal).to_contain_text("equipo SAT")
    assert not [url for url in asked if "/v1/sat/" in url]  # nothing was asked of the API
    assert absent not in page.content()
    assert console.serious_violations() == []
    if role == "operator":
        console.screenshot("sat-refused")


def nightly_exports(stack: LocalStackProcess) -> tuple[str, list[tuple[str, bytes]]]:
    """The night, as the schedules run it: the indicators for the city's latest complete day (queued as an
    admin would) and SatRetentionFunction, which writes the SAT's figures beside them
    (`indicators/<city>/<day>/sat.json`, docs/prevention.md). Returns the day and every file exported for
    it (name, bytes)."""
    day = (datetime.now(ZoneInfo(pack()["time_zone"])).date() - timedelta(days=1)).isoformat()
    queued = stack.client("admin").post("/v1/indicator-runs", json={"date": day})
    assert queued.status_code == 202, queued.text
    stack.invoke("SatRetentionFunction", {})
    s3, bucket = stack.aws("s3"), stack.outputs["Resources"]["ExportsBucket"]

    def exported() -> list[tuple[str, bytes]] | None:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"indicators/{CITY_ID}/{day}/").get("Contents", [])
        keys = [o["Key"] for o in listed]
        if not any(k.endswith("/indicators.json") for k in keys):
            return None
        return [(k, bytes(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys]

    return day, stack.wait_for(exported, timeout=60)


def test_the_nightly_exports_name_no_student_school_or_case(console: Console) -> None:
    stack = console.stack
    school, students = a_school()
    absent = next(iter(students))
    upload_attendance(stack, school, students)
    case_id = cases_of(stack, school)[absent]["case_id"]
    # When the night's indicators and the SAT's figures are exported
    _, files = nightly_exports(stack)
    # Then no exported file names the student, the school or the case
    assert files
    for key, body in files:
        for secret in (absent, school, case_id):
            assert secret.encode() not in body, (key, secret)


def test_the_nightly_figures_carry_the_cases_only_as_suppressed_aggregates(console: Console) -> None:
    stack = console.stack
    school, students = a_school()
    quadrant = pack()["quadrants"][-1]["quadrant_id"]  # no other test's students live there
    upload_attendance(stack, school, students, quadrant=quadrant)
    opened_month = datetime.now(ZoneInfo(pack()["time_zone"])).strftime("%Y-%m")
    # When the night's figures are exported
    _, files = nightly_exports(stack)
    # Then the SAT's figures are counts per month and quadrant, and this month's single case in the
    # student's quadrant is a suppressed cell, never a count of 1
    (sat,) = [json.loads(body) for key, body in files if key.endswith("/sat.json")]
    rows = {(r["month"], r["zone"]): r for r in sat["sat_cases"]}
    assert set(sat["sat_cases"][0]) == {"month", "zone", "opened", "followed", "re_engaged"}
    assert rows[(opened_month, quadrant)]["opened"] in ("<5", "x")


def test_retention_deletes_a_closed_case_for_real(console: Console) -> None:
    stack = console.stack
    school, students = a_school()
    absent = next(iter(students))
    upload_attendance(stack, school, students)
    case_id = cases_of(stack, school)[absent]["case_id"]
    coordinator = api_as(stack, sat_user(stack, "sat_coordinator"))
    closed = coordinator.post(
        f"/v1/sat/cases/{case_id}/status", json={"status": "closed", "outcome": "se mudó"}
    )
    assert closed.status_code == 200, closed.text
    # Given its retention period has passed since it was closed (the case's closed_at set back in the table)
    retention_days = int(pack()["sat"]["retention_days"])
    dynamodb, table = stack.aws("dynamodb"), stack.outputs["Resources"]["SatTable"]
    (item,) = [
        i
        for i in dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"case#{case_id}"}},
        )["Items"]
        if i.get("kind", {}).get("S") == "case"
    ]
    body = json.loads(item["body"]["S"])
    long_ago = datetime.now(UTC) - timedelta(days=retention_days + 1)
    body["closed_at"] = long_ago.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    dynamodb.put_item(TableName=table, Item={**item, "body": {"S": json.dumps(body)}})
    # When the nightly retention runs
    stack.invoke("SatRetentionFunction", {})
    # Then the case and its student's attendance are gone from the table itself, not only hidden
    assert coordinator.get(f"/v1/sat/cases/{case_id}").status_code == 404
    items = dynamodb.scan(TableName=table)["Items"]
    assert not [i for i in items if case_id in json.dumps(i) or absent in json.dumps(i)]


def test_on_a_city_without_the_sat_its_team_is_told_so(page: Page, local_stack: LocalStackProcess) -> None:
    """A city whose pack has no `sat` section answers every SAT route 404 sat-not-enabled (the API's side:
    tests/integration/test_sat.py): the console says the city has not enabled the SAT, not that something
    failed. Both demo packs enable it, so the browser gets that answer from a stand-in for /v1/sat/."""
    url = str(local_stack.outputs.get("ConsoleUrl") or f"{local_stack.api}/console/")
    screen = Console(page, url, local_stack)
    page.set_default_timeout(20_000)
    coordinator = sat_user(local_stack, "sat_coordinator")
    problem = {
        "type": "https://vigia.city/problems/sat-not-enabled",
        "title": "The SAT is not enabled in this city",
        "status": 404,
        "detail": "This city's pack has no sat section.",
    }
    page.route(
        "**/v1/sat/**",
        lambda route: route.fulfill(
            status=404, content_type="application/problem+json", body=json.dumps(problem)
        ),
    )
    sign_in_as(screen, coordinator)
    expect(page.locator("body")).to_have_attribute("data-page", "sat-overview")
    expect(page.locator("[data-sat-not-enabled]")).to_contain_text("no tiene activado el SAT")
    screen.go("sat-warnings")
    expect(page.locator("[data-sat-not-enabled]")).to_be_visible()
    assert screen.serious_violations() == []
    assert not screen.errors
    assert not screen.csp_violations
