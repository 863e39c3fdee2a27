"""A deterministic dlt source for the demo: a small shop with customers and ~90 days of orders.

Same arguments, same rows: every value comes from a seeded random generator, and dates count back from `end_date`
(today by default).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import dlt

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Klara",
    "Luca",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Quentin",
    "Rosa",
    "Sofia",
    "Tom",
    "Ulla",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
    "Marta",
    "Jakub",
    "Aoife",
    "Sean",
    "Lucia",
]
LAST_NAMES = [
    "Schmidt",
    "Martin",
    "Rossi",
    "Garcia",
    "Smith",
    "Novak",
    "Jansen",
    "Dubois",
    "Kowalski",
    "Silva",
    "Murphy",
    "Berg",
    "Weber",
    "Costa",
    "Moreau",
    "Lopez",
    "Nielsen",
    "Fischer",
    "Brown",
    "Keller",
]
# (country, currency, phone prefix, national number length, email domain)
COUNTRIES = [
    ("DE", "EUR", "+49", 10, "example.de"),
    ("FR", "EUR", "+33", 9, "example.fr"),
    ("IT", "EUR", "+39", 10, "example.it"),
    ("ES", "EUR", "+34", 9, "example.es"),
    ("GB", "GBP", "+44", 10, "example.co.uk"),
    ("US", "USD", "+1", 10, "example.com"),
]
STATUSES = ["completed"] * 8 + ["refunded", "cancelled"]


def _end_date(end_date: str | None) -> dt.date:
    return dt.date.fromisoformat(end_date) if end_date else dt.datetime.now(dt.timezone.utc).date()


def _customers(n: int, seed: int, end: dt.date) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, _, prefix, digits, domain = rng.choice(COUNTRIES)
        national = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
        rows.append(
            {
                "id": i,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@{domain}".lower(),
                "phone": f"{prefix}{national}",
                "country": country,
                "created_at": dt.datetime.combine(
                    end - dt.timedelta(days=rng.randint(90, 720)), dt.time(12), dt.timezone.utc
                ),
            }
        )
    return rows


@dlt.source(name="shop")
def shop(
    customers: int = 500, days: int = 90, orders_per_day: int = 40, seed: int = 42, end_date: str | None = None
) -> Any:
    """Customers and orders of a small European shop."""
    end = _end_date(end_date)
    people = _customers(customers, seed, end)

    @dlt.resource(name="customers", primary_key="id", write_disposition="replace")
    def customers_resource() -> Iterator[dict[str, Any]]:
        yield from people

    @dlt.resource(name="orders", primary_key="id", write_disposition="replace")
    def orders_resource() -> Iterator[dict[str, Any]]:
        rng = random.Random(seed + 1)
        currency_of = {c[0]: c[1] for c in COUNTRIES}
        order_id = 0
        for back in range(days - 1, -1, -1):
            day = end - dt.timedelta(days=back)
            weekend = day.weekday() >= 5
            count = max(1, int(rng.gauss(orders_per_day * (1.3 if weekend else 1.0), 4)))
            for _ in range(count):
                order_id += 1
                customer = rng.choice(people)
                created = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), dt.timezone.utc)
                yield {
                    "id": order_id,
                    "customer_id": customer["id"],
                    "amount": round(rng.lognormvariate(3.6, 0.5), 2),
                    "currency": currency_of[customer["country"]],
                    "status": rng.choice(STATUSES),
                    "created_at": created,
                }

    return customers_resource, orders_resource
