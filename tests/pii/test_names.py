"""Names and look-alikes (issue 15, item 6): full names found with and without a column hint, in several European
languages, and the things that only look like PII (products, companies, cities, versions, order numbers) left alone."""

from __future__ import annotations

import duckdb

PEOPLE = [
    "Dr. Anna-Lena Müller-Lüdenscheidt", "Prof. Dr. med. Jürgen von der Heide", "Sophie van den Berg",
    "João da Silva Santos", "María José García y López", "Zoé Dubois-Martin, MBA", "Lars Andersson, B.Sc.",
    "Agnieszka Wiśniewska", "Giulia De Luca", "Herr Klaus Schmidt", "Mme Élodie Lefèvre", "Schmidt, Hannah",
]
PRODUCTS = ["Ergonomic Steel Chair", "Practical Granite Gloves", "Rustic Cotton Hat", "Smart Fresh Table",
            "Sleek Wooden Keyboard", "Incredible Rubber Shoes", "Gorgeous Metal Pizza", "Fantastic Soft Bike",
            "Licensed Plastic Towels", "Handmade Frozen Sausages", "Generic Concrete Mouse", "Refined Silk Ball"]
COMPANIES = ["Müller GmbH", "Schmidt & Partner", "Rossi S.p.A.", "Dubois et Fils", "Brown Ltd", "Jansen B.V.",
             "Garcia Holding", "Nowak Sp. z o.o.", "Andersson AB", "Weber AG", "Smith LLC", "Silva & Filhos Lda"]
CITIES = ["San Francisco", "Buenos Aires", "Bad Homburg", "Saint-Étienne", "Den Haag", "Nueva York", "Los Angeles",
          "Frankfurt am Main", "Porto Alegre", "Reggio Emilia", "Santa Cruz", "Rio de Janeiro"]


def _flagged(macros, table: str, columns: dict[str, list[str]]) -> set[tuple[str, str]]:
    con = duckdb.connect()
    n = 240
    select = ", ".join(
        f"(?::VARCHAR[])[1 + i % {len(vs)}] AS \"{name}\"" for name, vs in columns.items()
    )
    con.execute(f'CREATE TABLE "{table}" AS SELECT {select} FROM range({n}) t(i)', list(columns.values()))
    cols = "[" + ", ".join(repr(c) for c in columns) + "]"
    sql = macros.compile(
        f"{{{{ dango_monitors.pii_verdict_sql('\"{table}\"', 'main.{table}', {cols}, row_count={n}) }}}}"
    )
    return {(r[0], r[1]) for r in con.execute(f"SELECT column_name, entity FROM ({sql}) WHERE flagged").fetchall()}


def test_full_names_without_a_hint_and_bare_name_columns(macros) -> None:
    flagged = _flagged(macros, "assets", {
        "owner": PEOPLE, "field_7": PEOPLE, "name": PRODUCTS, "company": COMPANIES, "city": CITIES,
    })
    assert flagged == {("owner", "PERSON"), ("field_7", "PERSON")}


def test_bare_name_in_a_people_table_and_other_languages(macros) -> None:
    assert _flagged(macros, "kontakte", {"name": PEOPLE, "produkt": PRODUCTS}) == {("name", "PERSON")}
    assert ("nome", "PERSON") in _flagged(macros, "registos", {"nome": PEOPLE})
    hinted = _flagged(macros, "kunden", {
        "vorname": ["Anna", "Jürgen", "Zoé", "Lars"],
        "nazwisko": ["Kowalski", "Wiśniewska", "Nowak", "Wójcik"],
        "correo_electronico": ["ana@example.es", "luis@example.es", "eva@example.es", "paz@example.es"],
        "telefono": ["+34 612 345 678", "+34 699 111 222", "+34 655 987 654", "+34 633 222 111"],
        "geburtsdatum": ["17.03.1984", "01.12.1975", "23.07.1990", "05.05.1961"],
        "strasse": ["Hauptstraße 5", "Lindenweg 12a", "Am Markt 3", "Bahnhofstraße 27"],
        "voornaam": ["Sanne", "Daan", "Femke", "Bram"],
        "fodelsedatum": ["1984-03-17", "1975-12-01", "1990-07-23", "1961-05-05"],
    })
    assert hinted == {
        ("vorname", "PERSON"), ("nazwisko", "PERSON"), ("correo_electronico", "EMAIL_ADDRESS"),
        ("telefono", "PHONE_NUMBER"), ("geburtsdatum", "DATE_OF_BIRTH"), ("strasse", "STREET_ADDRESS"),
        ("voornaam", "PERSON"), ("fodelsedatum", "DATE_OF_BIRTH"),
    }


def test_look_alikes_in_columns_named_for_ids_and_versions(macros) -> None:
    ips = [f"{a}.{b}.{c}.{d}" for a, b, c, d in [(192, 168, 1, 20), (203, 0, 113, 7), (88, 12, 200, 3), (45, 77, 1, 9)]]
    ssns = ["380-63-0485", "536-22-1234", "123-45-6780", "219-09-9998"]
    cards = ["4539578763621486", "6011454339595202", "378282246310005", "4111111111111111"]
    flagged = _flagged(macros, "releases", {
        "build": ips, "app_version": ips, "order_no": ssns, "invoice_id": cards,
        "client_ip": ips, "ssn": ssns, "card_number": cards,
        "release_host": ["2001:db8::8a2e:370:7334", "fe80::1ff:fe23:4567:890a", "2001:db8:85a3::7334", "::ffff:1:2"],
    })
    assert flagged == {("client_ip", "IP_ADDRESS"), ("ssn", "US_SSN"), ("card_number", "CREDIT_CARD"),
                       ("release_host", "IP_ADDRESS")}
