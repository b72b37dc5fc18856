"""SMS parts, masking, backoff and signing: the small pure rules dispatch stands on."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia.dispatch import backoff, signing, sms_text
from vigia.dispatch.masking import mask_recipient, scrub

GSM_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,:-ñÑéü€[]", max_size=700)
ANY_TEXT = st.text(max_size=400)


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # the euro sign takes two septets: 160 in all
        ("€" * 81, "GSM-7", 2),
        ("á" * 70, "UCS-2", 1),
        ("á" * 71, "UCS-2", 2),
        ("á" * 134, "UCS-2", 2),
        ("á" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # surrogate pairs: two code units each
    ],
)
def test_parts_follow_the_gsm7_and_ucs2_limits(text, encoding, parts):
    size = sms_text.measure(text)
    assert size.encoding == encoding
    assert size.parts == parts


def test_an_escape_pair_never_straddles_two_parts():
    # 152 plain septets then a euro sign: the pair does not fit in the first 153-septet part
    assert sms_text.measure("a" * 152 + "€" + "a" * 10).parts == 2
    assert sms_text.measure("a" * 152 + "€" + "a" * 152).parts == 3


def test_one_accent_would_triple_the_cost_so_it_is_folded():
    text = "VIGIA: ROBO en Av. San Martín 1234, 21:07. Aviso de Ana María Pérez. Policia en camino. No salga."
    assert sms_text.measure(text).parts == 2  # UCS-2 because of í and á
    fitted = sms_text.fit(text)
    assert sms_text.measure(fitted).encoding == "GSM-7"
    assert sms_text.measure(fitted).parts == 1
    assert "Martin" in fitted
    assert "Pérez" in fitted  # é is in GSM-7: kept


def test_a_short_text_keeps_its_accents():
    assert sms_text.fit("Alerta en la plaza Martín") == "Alerta en la plaza Martín"


@settings(deadline=None)
@given(GSM_TEXT)
def test_parts_grow_with_length_and_one_part_means_within_the_limit(text):
    size = sms_text.measure(text)
    assert size.parts >= 1
    assert (size.parts == 1) == (size.units <= (160 if size.encoding == "GSM-7" else 70))


@settings(deadline=None)
@given(ANY_TEXT)
def test_fitting_never_costs_more_parts(text):
    assert sms_text.measure(sms_text.fit(text)).parts <= sms_text.measure(text).parts


@pytest.mark.parametrize(
    ("channel", "recipient", "shown"),
    [
        ("sms", "+5492615550123", "+54•••••••••23"),
        ("siren", "S-0001", "S-0001"),
        ("webhook", "provincial_cad", "provincial_cad"),
    ],
)
def test_operators_see_phones_masked_and_units_as_they_are(channel, recipient, shown):
    assert mask_recipient(channel, recipient) == shown


@settings(deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{9,13}", fullmatch=True))
def test_a_masked_phone_keeps_no_more_than_its_country_and_two_digits(phone):
    masked = mask_recipient("sms", phone)
    assert len(masked) == len(phone)
    assert sum(c.isdigit() for c in masked) <= 4


def test_errors_are_scrubbed_of_phone_numbers():
    assert "5492615550123" not in scrub("Invalid parameter: PhoneNumber +5492615550123 is not valid")
    assert scrub("x" * 500).endswith("…")


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_jittered_below_an_exponential_ceiling(attempt, seed):
    delay = backoff.delay_s(attempt, base_s=2, cap_s=300, rng=random.Random(seed))
    assert 0 <= delay <= min(300, 2 * 2 ** (attempt - 1))


def test_backoff_spreads_retries_out():
    rng = random.Random(7)
    delays = {round(backoff.delay_s(4, base_s=2, cap_s=300, rng=rng), 3) for _ in range(50)}
    assert len(delays) > 40  # jitter: no thundering herd
    assert backoff.delay_s(3, base_s=0, cap_s=300) == 0


def test_a_signature_verifies_only_for_the_same_secret_body_and_time():
    body = b"<alert/>"
    signature = signing.sign("s3cret", body, "2026-03-14T21:07:12.345Z")
    assert signature.startswith("sha256=")
    assert signing.verify("s3cret", body, "2026-03-14T21:07:12.345Z", signature)
    assert not signing.verify("other", body, "2026-03-14T21:07:12.345Z", signature)
    assert not signing.verify("s3cret", body + b" ", "2026-03-14T21:07:12.345Z", signature)
    assert not signing.verify("s3cret", body, "2026-03-14T21:07:13.345Z", signature)


def test_a_lone_surrogate_in_a_stored_name_is_measured_not_a_crash():
    # A name stored before the door refused control text must not crash the dispatcher that renders it
    size = sms_text.measure("Vigia: Ana \ud800 Pérez")
    assert size.encoding == "UCS-2"
    assert size.parts == 1
    long_text = "VIGIA: ROBO en Tomba y Chile. Aviso de \ud800" + "a" * 200
    assert sms_text.measure(sms_text.fit(long_text)).parts == 4  # UCS-2, nothing to fold: 67 a part
