"""A deterministic dlt source for the demo: a small shop with customers and ~90 days of orders.

Same arguments, same rows: every value comes from a seeded random generator, and dates count back from `end_date`
(today by default, exclusive: the newest orders are from yesterday, the last complete day).

Two stories are planted for the checks to find:
- on the last day, EUR customers place far fewer orders (`eur_drop_last_day`): revenue falls, driven by EUR;
- order `notes` are free text, and over the last `notes_with_emails_days` days customers start leaving email
  addresses in them: PII appearing in a column that had none.
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
PLAIN_NOTES = [
    "Gift wrap please",
    "Leave at the door",
    "Deliver after 5pm",
    "Second order this month",
    "Fragile",
    "No plastic packaging",
    "Birthday present",
    "Ring the bell twice",
    "Urgent",
    "Combine with previous order",
]
EMAIL_NOTES = [
    "Please send the invoice to {email}",
    "Contact {email} about delivery",
    "{email}",
    "Questions? write to {email}",
]


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
    customers: int = 500,
    days: int = 90,
    orders_per_day: int = 40,
    seed: int = 42,
    end_date: str | None = None,
    eur_drop_last_day: float = 0.7,
    notes_with_emails_days: int = 7,
) -> Any:
    """Customers and orders of a small European shop."""
    end = _end_date(end_date)
    people = _customers(customers, seed, end)

    @dlt.resource(name="customers", primary_key="id", write_disposition="replace")
    def customers_resource() -> Iterator[dict[str, Any]]:
        yield from people

    @dlt.resource(
        name="orders", primary_key="id", write_disposition="replace", columns={"notes": {"data_type": "text"}}
    )
    def orders_resource() -> Iterator[dict[str, Any]]:
        rng = random.Random(seed + 1)
        currency_of = {c[0]: c[1] for c in COUNTRIES}
        order_id = 0
        for back in range(days, 0, -1):
            day = end - dt.timedelta(days=back)
            weekend = day.weekday() >= 5
            count = max(1, int(rng.gauss(orders_per_day * (1.3 if weekend else 1.0), 4)))
            for _ in range(count):
                order_id += 1
                customer = rng.choice(people)
                currency = currency_of[customer["country"]]
                dropped = back == 1 and currency == "EUR" and rng.random() < eur_drop_last_day
                created = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), dt.timezone.utc)
                note = None
                if rng.random() < 0.3:
                    note = rng.choice(PLAIN_NOTES)
                    if back <= notes_with_emails_days and rng.random() < 0.6:
                        note = rng.choice(EMAIL_NOTES).format(email=customer["email"])
                if dropped:
                    continue
                yield {
                    "id": order_id,
                    "customer_id": customer["id"],
                    "amount": round(rng.lognormvariate(3.6, 0.5), 2),
                    "currency": currency,
                    "status": rng.choice(STATUSES),
                    "notes": note,
                    "created_at": created,
                }

    return customers_resource, orders_resource
