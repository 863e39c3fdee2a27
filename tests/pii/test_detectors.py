"""Value-level detectors and masks: valid and invalid values for every entity, and masks never leak a value."""

from __future__ import annotations

import duckdb
import pytest

VALID = {
    "EMAIL_ADDRESS": ["anna.schmidt@example.com", "j.o'brien+news@mail.example.co.uk", "X_9@sub.domain.io"],
    "PHONE_NUMBER": [
        "+491711969249",
        "+1-780-563-6083x7783",
        "(591)341-7776",
        "+33 1 83 41 77 76",
        "0638571821",
        "+44(0)115 4960914",
        "080-9141-7776",
    ],
    "CREDIT_CARD": [
        "4539578763621486",
        "4539 5787 6362 1486",
        "378282246310005",
        "6011454339595202",
        "6221260000000000019",  # 19 digits: the most an unsigned 64-bit Luhn check has to hold
    ],
    "IBAN_CODE": [
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "NO9386011117947",  # the shortest IBAN (15): too short for the fast path's halves
        "MT84MALT011000012345MTLCAST001S",  # letters all through the BBAN: the general mod-97 path
    ],
    "US_SSN": ["380-63-0485", "536-22-1234", "001-01-0001", "536 22 1234"],
    # Addresses whose four octets are all below 32 (8.8.8.8) look like version numbers and are not counted: a known
    # trade-off, invisible at column level where most addresses have a larger octet.
    "IP_ADDRESS": [
        "192.168.1.20",
        "203.0.113.7",
        "2001:db8:85a3::8a2e:370:7334",
        "88f3:4a3e:7288:e27d:7712:b3e4:4ffb:f7be",
    ],
    "PERSON": ["Anna", "Zoé-Claude Carlier", "Ludwig van Beethoven", "山本 浩", "O'Neil"],
    "DATE_OF_BIRTH": ["1984-03-17", "17.03.1984", "03/17/1984"],
    "STREET_ADDRESS": [
        "141 Hodges Mountains",
        "17066 Heather Grove Apt. 915",
        "8, rue Jeanne Henry",
        "rue de Gomes",
        "Jens-Drubin-Straße 47-26",
        "Via Elisa, 991 Appartamento 84",
        "al. Leśna 74/39",
        "97 Lynda Bridge\nSmithbury\nW88 6FJ",
        "Sarastraat 9\n5907JO\nHasselt",
        "埼玉県東久留米市松が谷8丁目23番5号",
    ],
}
INVALID = {
    "EMAIL_ADDRESS": ["please email us", "anna@", "@example.com", "a..b@example.com", "anna@example"],
    "PHONE_NUMBER": [
        "20231104123000",
        "1699101000",
        "2023-11-04",
        "12.03.2024",
        "10.20.30.40",
        "123-45-6789",
        "12345.67",
        "4915112345678",
        "12:30:45",
        "0001234567",
    ],
    "CREDIT_CARD": ["4539578763621487", "1234567812345678", "4539-5787-6362-148", "6221260000000000018"],
    "IBAN_CODE": [
        "DE89370400440532013001",
        "DE8937040044053201300",
        "XX89370400440532013000",
        "de89370400440532013000",
        "NO9386011117948",
        "MT84MALT011000012345MTLCAST001T",
    ],
    "US_SSN": ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120", "123456789"],
    "IP_ADDRESS": ["256.1.1.1", "1.2.3.4", "10.2.15.3", "01.2.3.400", "12:30:45", "aa:bb:cc:dd:ee:ff", "1:2:3"],
    "PERSON": ["completed", "ABC-123", "anna", "Room 12"],
    "DATE_OF_BIRTH": ["2099-01-01", "1850-05-05", "1984-13-45", "17.03.84"],
    # Only looked for in columns named like addresses, where these are the values that must not count.
    "STREET_ADDRESS": ["Home", "Billing", "12345", "n/a", "192.168.1.20", "anna@example.com", "Version 2.1", "true"],
}


@pytest.fixture(scope="module")
def detect(macros):
    sql = macros.compile("{{ dango_monitors.pii_value_entities('v') }}")
    con = duckdb.connect()

    def run(values: list[str]) -> dict[str, set[str]]:
        rows = con.execute(
            f"SELECT v, {sql} FROM unnest(?::VARCHAR[]) t(v)", [values]
        ).fetchall()
        return {v: set(filter(None, found.split(","))) for v, found in rows}

    return run


@pytest.mark.parametrize("entity", sorted(VALID))
def test_valid_values_are_detected(detect, entity: str) -> None:
    found = detect(VALID[entity])
    missed = [v for v, entities in found.items() if entity not in entities]
    assert not missed, f"{entity} not detected in {missed}"


@pytest.mark.parametrize("entity", sorted(INVALID))
def test_invalid_values_are_rejected(detect, entity: str) -> None:
    found = detect(INVALID[entity])
    wrong = [v for v, entities in found.items() if entity in entities]
    assert not wrong, f"{entity} wrongly detected in {wrong}"


def _longest_common_run(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


@pytest.mark.parametrize("entity", sorted(VALID))
def test_masks_never_leak_the_value(macros, entity: str) -> None:
    spec = next(e for e in macros.entities() if e["name"] == entity)
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT v, {spec['mask'].replace('{v}', 'v')} FROM unnest(?::VARCHAR[]) t(v)", [VALID[entity]]
    ).fetchall()
    for raw, masked in rows:
        assert masked and "*" in masked and masked != raw
        # At most a few characters survive (a first letter, a country prefix, the last four digits of a card).
        assert _longest_common_run(raw, masked) <= 5, (raw, masked)
        assert len(raw) < 6 or raw not in masked


def test_hint_only_entities_are_judged_only_in_columns_named_for_them(macros) -> None:
    """Addresses count in `shipping_address`, not in `email_address` or in a column of parcel counts."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE orders AS SELECT "
        "['141 Hodges Mountains', 'Thomstraat 7', '8, rue Jeanne Henry'][1 + i % 3] AS shipping_address, "
        "'user' || i || '@example.com' AS email_address, "
        "(1 + i % 9) || ' boxes' AS delivery_note "
        "FROM range(300) t(i)"
    )
    sql = macros.compile(
        "{{ dango_monitors.pii_verdict_sql('orders', 'main.orders', "
        "['shipping_address', 'email_address', 'delivery_note'], row_count=300) }}"
    )
    flagged = {(r[0], r[1]) for r in con.execute(f"SELECT column_name, entity FROM ({sql}) WHERE flagged").fetchall()}
    assert flagged == {("shipping_address", "STREET_ADDRESS"), ("email_address", "EMAIL_ADDRESS")}
