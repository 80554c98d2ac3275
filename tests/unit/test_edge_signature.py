"""A signed event body carries ``Popcache-Signature: t=<seconds>,v1=<hex>``: an HMAC-SHA256 of
the time and the body, checked in constant time against every configured secret, within a
tolerance either way of the receiver's clock."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signature import SIGNATURE_HEADER, SignatureError, sign, verify

BODY = b'[{"event_id":"e1"}]'
SECRET = "whsec_current"
OLD = "whsec_previous"
T = 1_790_000_000
TOLERANCE = 300.0


def check(header, body=BODY, secrets=(SECRET,), now=float(T), tolerance=TOLERANCE):
    return verify(header, body, list(secrets), now=now, tolerance=tolerance)


def reason(header, **kwargs) -> str:
    with pytest.raises(SignatureError) as raised:
        check(header, **kwargs)
    return raised.value.reason


def mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_the_header_name_is_lower_case_as_fields_are_kept():
    assert SIGNATURE_HEADER == "popcache-signature"


def test_sign_writes_the_time_then_one_v1_per_secret():
    assert sign(BODY, [SECRET, OLD], T) == f"t={T},v1={mac(SECRET, T, BODY)},v1={mac(OLD, T, BODY)}"


def test_sign_needs_a_secret():
    with pytest.raises(ValueError, match="at least one secret"):
        sign(BODY, [], T)


def test_a_valid_signature_returns_its_signing_time():
    assert check(sign(BODY, [SECRET], T)) == T


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=200),
    st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3),
    st.integers(0, 10**12 - 1),
    st.floats(-TOLERANCE, TOLERANCE),
)
def test_what_sign_writes_verify_accepts_within_the_tolerance(body, secrets, timestamp, skew):
    header = sign(body, secrets, timestamp)
    for secret in secrets:
        assert (
            verify(header, body, [secret], now=timestamp + skew, tolerance=TOLERANCE) == timestamp
        )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100), st.binary(min_size=1, max_size=100), st.integers(0, 10**12 - 1))
def test_any_change_to_the_body_is_a_mismatch(body, change, timestamp):
    other = body + change
    header = sign(body, [SECRET], timestamp)
    with pytest.raises(SignatureError) as raised:
        verify(header, other, [SECRET], now=timestamp, tolerance=TOLERANCE)
    assert raised.value.reason == "mismatch"


def test_a_signature_made_with_another_secret_is_a_mismatch():
    assert reason(sign(BODY, ["not ours"], T)) == "mismatch"


def test_a_signature_with_another_time_is_a_mismatch():
    forged = f"t={T + 1},v1={mac(SECRET, T, BODY)}"
    assert reason(forged) == "mismatch"


# Tolerance


@pytest.mark.parametrize("skew", [-TOLERANCE, TOLERANCE])
def test_a_signature_exactly_tolerance_away_is_accepted(skew):
    assert check(sign(BODY, [SECRET], T), now=T + skew) == T


@pytest.mark.parametrize("skew", [-TOLERANCE - 1, TOLERANCE + 1])
def test_a_signature_past_the_tolerance_either_way_has_expired(skew):
    # Too old: a replay; too new: the sender's clock is far off (or a replay prepared ahead).
    assert reason(sign(BODY, [SECRET], T), now=T + skew) == "expired"


def test_an_expired_signature_is_refused_before_the_mac_is_checked():
    assert reason(f"t={T},v1={'0' * 64}", now=T + 10_000) == "expired"


@pytest.mark.parametrize("now", [float("nan"), float("inf"), float("-inf")])
def test_a_clock_that_is_not_a_time_expires_every_signature(now):
    assert reason(sign(BODY, [SECRET], T), now=now) == "expired"


def test_a_tolerance_that_is_not_a_number_expires_every_signature():
    assert reason(sign(BODY, [SECRET], T), tolerance=float("nan")) == "expired"


# Rotation


def test_a_receiver_with_old_and_new_secrets_accepts_a_body_signed_with_either():
    for secret in (SECRET, OLD):
        assert check(sign(BODY, [secret], T), secrets=(SECRET, OLD)) == T


def test_a_sender_rotating_signs_with_both_and_either_receiver_accepts():
    header = sign(BODY, [OLD, SECRET], T)
    assert check(header, secrets=(OLD,)) == T
    assert check(header, secrets=(SECRET,)) == T


def test_one_matching_v1_among_several_wrong_ones_is_enough():
    header = f"t={T},v1={'a' * 64},v1={mac(SECRET, T, BODY)},v1={'b' * 64}"
    assert check(header) == T


def test_a_retired_secret_no_longer_verifies():
    assert reason(sign(BODY, [OLD], T), secrets=(SECRET,)) == "mismatch"


def test_a_receiver_without_secrets_refuses_as_unconfigured():
    assert reason(sign(BODY, [SECRET], T), secrets=()) == "unconfigured"


# Malformed headers


@pytest.mark.parametrize("header", [None, "", "  \t"])
def test_no_header_is_missing(header):
    assert reason(header) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"v1={'a' * 64}",  # no time
        f"t={T}",  # no signature
        f"t={T},t={T},v1={'a' * 64}",  # the time twice
        f"t=-{T},v1={'a' * 64}",
        f"t={T}.5,v1={'a' * 64}",
        f"t=1234567890123,v1={'a' * 64}",  # 13 digits: milliseconds
        f"t=,v1={'a' * 64}",
        f"t=\uff11\uff12,v1={'a' * 64}",  # fullwidth digits
        f"t={T},v1={'A' * 64}",  # upper-case hex
        f"t={T},v1={'a' * 63}",
        f"t={T},v1={'a' * 65}",
        f"t={T},v1={'g' * 64}",
        f"t={T},v1=",
        f"t={T},,v1={'a' * 64}",
        f"t={T},v1={'a' * 64},",
        f"t={T};v1={'a' * 64}",
    ],
)
def test_a_malformed_header_is_refused_as_malformed(header):
    assert reason(header) == "malformed"


def test_a_header_longer_than_any_of_ours_is_malformed_without_parsing():
    header = sign(BODY, [SECRET], T) + ",x=" + "y" * 1024
    assert reason(header) == "malformed"


def test_keys_of_later_schemes_are_ignored():
    header = f"t={T},v0=legacy,v2=future,{sign(BODY, [SECRET], T).partition(',')[2]}"
    assert check(header) == T


def test_spaces_around_parts_are_allowed():
    header = f" t={T} , v1={mac(SECRET, T, BODY)} "
    assert check(header) == T


def test_a_signature_error_is_a_value_error_with_a_reason_and_a_detail():
    with pytest.raises(SignatureError) as raised:
        check(f"t={T}")
    assert isinstance(raised.value, ValueError)
    assert raised.value.detail == str(raised.value)
    assert raised.value.detail


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_header_verifies_or_is_a_signature_error(header):
    try:
        check(header)
    except SignatureError as error:
        refused = error.reason
    else:
        raise AssertionError(f"{header!r} verified without a signature of ours")
    assert refused in ("missing", "malformed", "expired", "mismatch")


# Constant time


def test_every_v1_is_compared_with_every_secret_in_constant_time(monkeypatch):
    compared = []
    original = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    header = f"t={T},v1={mac(SECRET, T, BODY)},v1={'c' * 64}"
    assert check(header, secrets=(OLD, SECRET, "third")) == T
    # Even after a match the rest are compared: the time taken says nothing of which matched.
    assert len(compared) == 2 * 3


def test_a_signature_wrong_only_in_its_last_digit_is_a_mismatch():
    right = mac(SECRET, T, BODY)
    wrong = right[:-1] + ("0" if right[-1] != "0" else "1")
    assert reason(f"t={T},v1={wrong}") == "mismatch"
