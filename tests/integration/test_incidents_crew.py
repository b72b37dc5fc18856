"""A unit's crew is police of this city: PUT /v1/units/{unit_id}/crew refuses anyone else, by entry."""

from tests.integration.conftest import STAFF_ACCOUNTS


def put_crew(api, operator, user_ids, unit="GC-01"):
    return api("PUT", f"/v1/units/{unit}/crew", {"user_ids": user_ids}, claims=operator)


def test_police_accounts_crew_a_unit(api, staff_claims):
    answer = put_crew(api, staff_claims("operator"), ["officer-1", "staff-police"])
    assert answer.status == 200, answer.body
    assert answer.json["crew"] == ["officer-1", "staff-police"]


def test_a_citizen_a_stranger_or_other_staff_are_refused_each_by_its_entry(api, stack, staff_claims, citizen):
    operator = staff_claims("operator")
    # Given a crew list with a police officer, a resident, an unknown id and an operator
    answer = put_crew(api, operator, ["officer-1", citizen.user_id, "no-such-user", "staff-operator"])
    # Then the whole list is refused, each wrong entry named by its place
    assert answer.status == 422, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert [e["path"] for e in answer.json["errors"]] == ["/user_ids/1", "/user_ids/2", "/user_ids/3"]
    assert all(e["message"] == "not a police user of this city" for e in answer.json["errors"])
    # And nothing changed: the unit has no crew and no audit entry was written
    items = api("GET", "/v1/units", claims=operator).json["items"]
    assert next(u for u in items if u["unit_id"] == "GC-01").get("crew") in (None, [])
    assert STAFF_ACCOUNTS["staff-operator"] == "operator"


def test_an_officer_removed_from_the_police_group_can_no_longer_be_crew(api, stack, staff_claims):
    stack.client("cognito-idp").admin_remove_user_from_group(
        UserPoolId=stack.resources["UserPool"], Username="officer-2@city.example", GroupName="police"
    )
    answer = put_crew(api, staff_claims("operator"), ["officer-2"])
    assert answer.status == 422
    assert answer.json["errors"][0]["path"] == "/user_ids/0"


def test_the_units_list_says_who_crews_each_car(api, staff_claims):
    # Given an operator who crews GC-02 with two officers and GC-03 with none
    assert put_crew(api, staff_claims("operator"), ["staff-police", "officer-1"], unit="GC-02").status == 200
    # When an officer reads the units (the police view finds its own car this way)
    answer = api("GET", "/v1/units", claims=staff_claims("police"))
    # Then each car carries its crew's user ids, sorted, and an uncrewed car an empty list
    assert answer.status == 200, answer.body
    items = {u["unit_id"]: u for u in answer.json["items"]}
    assert items["GC-02"]["crew"] == ["officer-1", "staff-police"]
    assert items["GC-02"]["crew_size"] == 2
    assert items["GC-03"]["crew"] == []
