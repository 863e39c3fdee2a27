"""PII accuracy benchmark: column-level precision and recall per entity on a generated, labelled corpus.

    .venv/bin/python bench/pii_accuracy.py [--rows 1000] [--seed 7]

The corpus (generated here, nothing committed): PII columns from Faker in eight locales, phonenumbers and
python-stdnum, at prevalences from 60% to 100% (the rest NULL, empty or filler), under hinted and neutral column names;
free text with email addresses inside sentences; and hard negatives (Luhn-invalid 16-digit ids, SSN-shaped order
numbers, version strings shaped like IPs, timestamps and numeric ids shaped like phone numbers, MAC addresses, UUIDs,
free text that mentions the word email, invalid IBANs, product and city names, dates that are not birth dates).

It runs the real scan (`dbt run-operation dango_monitors.pii_scan`) and, beside it, Dango's rule on the same corpus:
the same value detectors over the first 100 distinct values of each column, flagged on one hit (PERSON: 30%;
Dango has no DATE_OF_BIRTH entity, so it finds none).
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import phonenumbers
from faker import Faker
from pii_common import BenchDbt
from stdnum import luhn
from stdnum.iban import validate as iban_validate

LOCALES = ["en_US", "de_DE", "fr_FR", "en_GB", "it_IT", "es_ES", "nl_NL", "ja_JP", "pt_PT", "sv_SE", "pl_PL"]
EUROPEAN = ["de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL", "pt_PT", "sv_SE", "pl_PL", "en_GB"]
# Column names in the languages (de, fr, es, pt, it, nl, sv, pl) per entity: hinted names a team would write.
LOCAL_HINTS = {
    "PERSON": ["vorname", "nachname", "prenom", "nom_de_famille", "apellidos", "nome_completo", "cognome", "voornaam",
               "achternaam", "fornamn", "efternamn", "imie", "nazwisko"],
    "EMAIL_ADDRESS": ["correo", "courriel", "e_post", "posta_elettronica", "mail"],
    "PHONE_NUMBER": ["telefon", "telefono", "telefone", "telefoon", "handy", "komorka", "telephone_portable"],
    "STREET_ADDRESS": ["strasse", "adresse", "direccion", "indirizzo", "endereco", "adres", "gatuadress", "ulica"],
    "DATE_OF_BIRTH": ["geburtsdatum", "date_de_naissance", "fecha_nacimiento", "data_nascimento", "data_di_nascita",
                      "geboortedatum", "fodelsedatum", "data_urodzenia"],
}
TITLES = ["Dr.", "Prof.", "Prof. Dr.", "Herr", "Frau", "Mme", "Dott.", "Sr.", "dhr.", "Dr. med."]
DEGREES = ["MBA", "B.Sc.", "M.A.", "PhD", "Dipl.-Ing.", "LL.M."]
PARTICLES = ["van", "van der", "von", "de", "da", "dos", "di", "de la", "van den", "zu"]
ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "PERSON",
    "DATE_OF_BIRTH",
    "STREET_ADDRESS",
]
PREVALENCES = [0.6, 0.8, 0.95, 1.0]
REGIONS = ["US", "DE", "FR", "GB", "IT", "ES", "NL", "JP", "BR", "IN", "AU", "PL"]


class Corpus:
    def __init__(self, rows: int, seed: int) -> None:
        self.rows = rows
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + i)
        self.columns: list[tuple[str, str | None, list[str | None]]] = []  # (name, label, values)
        self.counter = 0

    def fake(self) -> Faker:
        return self.fakers[self.rng.choice(LOCALES)]

    def name(self, base: str) -> str:
        self.counter += 1
        return f"{base}_{self.counter}"

    def add(self, base: str, label: str | None, gen, prevalence: float = 1.0) -> None:
        fillers = [None, None, "", "n/a", "unknown", "-"]
        values = [gen() if self.rng.random() < prevalence else self.rng.choice(fillers) for _ in range(self.rows)]
        self.columns.append((self.name(base), label, values))

    # --- valid values -------------------------------------------------------------------------------------
    def phone(self) -> str:
        if self.rng.random() < 0.5:
            return self.fake().phone_number()
        while True:
            region = self.rng.choice(REGIONS)
            example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
            national = str(example.national_number)
            digits = "".join(self.rng.choice(string.digits) for _ in national[3:])
            num = phonenumbers.parse(f"+{example.country_code}{national[:3]}{digits}")
            if phonenumbers.is_valid_number(num):
                fmt = self.rng.choice(
                    [
                        phonenumbers.PhoneNumberFormat.E164,
                        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                        phonenumbers.PhoneNumberFormat.NATIONAL,
                    ]
                )
                return phonenumbers.format_number(num, fmt)

    def card(self) -> str:
        number = self.fakers["en_US"].credit_card_number()
        if self.rng.random() < 0.3 and len(number) == 16:
            return " ".join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def iban(self) -> str:
        value = self.fakers[self.rng.choice(["de_DE", "fr_FR", "en_GB", "nl_NL", "es_ES", "it_IT"])].iban()
        assert iban_validate(value)
        if self.rng.random() < 0.3:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def ip(self) -> str:
        f = self.fakers["en_US"]
        return self.rng.choice([f.ipv4_public, f.ipv4, f.ipv6, f.ipv4_private])()

    def dob(self) -> str:
        d = self.fake().date_of_birth(minimum_age=18, maximum_age=90)
        return d.strftime(self.rng.choice(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]))

    def full_name(self) -> str:
        """A full name with the shapes of issue 15: titles, particles, hyphenated surnames, degrees, diacritics."""
        f, r = self.fakers[self.rng.choice(EUROPEAN)], self.rng
        first, last = f.first_name(), f.last_name()
        shape = r.random()
        if shape < 0.15:
            last = f"{last}-{f.last_name()}"
        elif shape < 0.3:
            last = f"{r.choice(PARTICLES)} {last}"
        name = f"{first} {last}"
        if r.random() < 0.2:
            name = f"{r.choice(TITLES)} {name}"
        if r.random() < 0.1:
            name = f"{name}, {r.choice(DEGREES)}"
        if r.random() < 0.05:
            name = f"{last}, {first}"
        return name

    def valid_ipv4(self) -> str:
        """An IPv4-shaped build or version string that would pass IP validation (an octet >= 32)."""
        r = self.rng
        return f"{r.randint(32, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)}"

    def ssn_valid_order(self) -> str:
        """An order number that passes the SSN checks (area 001-665, 667-899; group and serial non-zero)."""
        r = self.rng
        area = r.choice([r.randint(1, 665), r.randint(667, 899)])
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    # --- hard negatives -----------------------------------------------------------------------------------
    def luhn_invalid_16(self) -> str:
        while True:
            s = self.rng.choice("3456") + "".join(self.rng.choice(string.digits) for _ in range(15))
            if not luhn.is_valid(s):
                return s

    def random_16(self) -> str:
        return self.rng.choice("3456") + "".join(self.rng.choice(string.digits) for _ in range(15))

    def ssn_shaped_order(self) -> str:
        return f"{self.rng.randint(100, 999)}-{self.rng.randint(10, 99)}-{self.rng.randint(1000, 9999)}"

    def version(self) -> str:
        r = self.rng
        return f"{r.randint(0, 12)}.{r.randint(0, 30)}.{r.randint(0, 40)}.{r.randint(0, 300)}"

    def timestamp(self) -> str:
        d = self.fakers["en_US"].date_time_between(start_date="-3y")
        return d.strftime(self.rng.choice(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y%m%d%H%M%S", "%Y-%m-%d"]))

    def numeric_id(self) -> str:
        return str(self.rng.randint(10**9, 10**13))

    def bad_iban(self) -> str:
        value = list(self.fakers["de_DE"].iban())
        value[-1] = str((int(value[-1]) + 1) % 10)
        return "".join(value)

    def mac(self) -> str:
        return ":".join(f"{self.rng.randint(0, 255):02x}" for _ in range(6))

    def mentions_email(self) -> str:
        return (
            self.rng.choice(
                [
                    "please email the customer",
                    "email sent",
                    "Email: pending",
                    "asked for an email receipt",
                    "no email on file",
                    "customer prefers email over phone",
                    "E-mail bounced, call instead",
                ]
            )
            + " "
            + self.fakers["en_US"].sentence(nb_words=4)
        )

    def text_with_email(self) -> str:
        f = self.fake()
        if self.rng.random() < 0.1:
            return f"{self.rng.choice(['Send the invoice to', 'Contact', 'cc'])} {f.email()} {f.sentence(nb_words=3)}"
        return f.sentence(nb_words=8)

    def build(self) -> None:
        r = self.rng
        for loc in LOCALES:
            f = self.fakers[loc]
            p = r.choice(PREVALENCES)
            self.add(r.choice(["email", "contact", "field"]), "EMAIL_ADDRESS", f.email, p)
            self.add(r.choice(["phone", "mobile", "field"]), "PHONE_NUMBER", f.phone_number, r.choice(PREVALENCES))
            self.add(r.choice(["first_name", "customer_name"]), "PERSON", f.first_name, r.choice(PREVALENCES))
            self.add(r.choice(["last_name", "full_name"]), "PERSON", f.name, r.choice(PREVALENCES))
            self.add(r.choice(["dob", "birth_date"]), "DATE_OF_BIRTH", self.dob, r.choice(PREVALENCES))
            self.add(
                r.choice(["address", "street", "shipping_address", "address_line1"]),
                "STREET_ADDRESS",
                f.street_address if r.random() < 0.6 else f.address,
                r.choice(PREVALENCES),
            )
        for p in PREVALENCES:
            self.add(r.choice(["value", "ref", "contact"]), "PHONE_NUMBER", self.phone, p)
            self.add(r.choice(["card_number", "pan", "field", "payment_ref"]), "CREDIT_CARD", self.card, p)
            self.add(r.choice(["iban", "account", "field"]), "IBAN_CODE", self.iban, p)
            self.add(r.choice(["ssn", "tax_ref", "field"]), "US_SSN", self.fakers["en_US"].ssn, p)
            self.add(r.choice(["ip", "client", "field", "source_addr"]), "IP_ADDRESS", self.ip, p)
            self.add(r.choice(["email_address", "login", "field"]), "EMAIL_ADDRESS", self.fakers["en_US"].free_email, p)
        for _ in range(3):
            self.add(r.choice(["notes", "comment", "message"]), "EMAIL_ADDRESS", self.text_with_email)
        # Names: full names under no hint (owner, field_n, nome, bare name) and under hints in eight languages.
        for base in ["owner", "field", "assignee", "nome", "naam", "name", "contact_person", "holder"]:
            self.add(base, "PERSON", self.full_name, r.choice(PREVALENCES))
        for entity, bases in LOCAL_HINTS.items():
            for base in r.sample(bases, 3):
                loc = r.choice(EUROPEAN)
                f = self.fakers[loc]
                gen = {
                    "PERSON": f.first_name if base in ("vorname", "prenom", "voornaam", "fornamn", "imie")
                    else f.last_name,
                    "EMAIL_ADDRESS": f.email,
                    "PHONE_NUMBER": f.phone_number,
                    "STREET_ADDRESS": f.street_address,
                    "DATE_OF_BIRTH": self.dob,
                }[entity]
                self.add(base, entity, gen, r.choice(PREVALENCES))
        # Hard negatives (label None), several of each.
        negatives = [
            ("tracking_id", self.luhn_invalid_16),
            ("account_id", self.random_16),
            ("order_number", self.ssn_shaped_order),
            ("order_ref", self.ssn_shaped_order),
            ("app_version", self.version),
            ("build", self.version),
            ("created_at", self.timestamp),
            ("event_time", self.timestamp),
            ("external_id", self.numeric_id),
            ("user_ref", self.numeric_id),
            ("request_id", lambda: str(uuid.UUID(int=self.rng.getrandbits(128)))),
            ("notes", self.mentions_email),
            ("comment", self.mentions_email),
            ("iban_draft", self.bad_iban),
            ("device_mac", self.mac),
            ("product_name", lambda: self.fake().catch_phrase().title()),
            ("city", lambda: self.fake().city()),
            ("company", lambda: self.fake().company()),
            ("order_date", lambda: self.fake().date_between(start_date="-2y").isoformat()),
            ("status", lambda: r.choice(["Completed", "Refunded", "Cancelled", "Pending"])),
            ("sku", lambda: f"{''.join(r.choices(string.ascii_uppercase, k=3))}-{r.randint(10000, 99999)}"),
            ("amount", lambda: f"{r.uniform(1, 99999):,.2f}"),
            ("zip", lambda: self.fake().postcode()),
            ("username", lambda: self.fakers["en_US"].user_name()),
            ("checksum", lambda: self.fakers["en_US"].md5()),
            ("address_type", lambda: r.choice(["Home", "Work", "Billing", "Shipping"])),
            ("address_id", self.numeric_id),
            ("delivery_note", lambda: f"{r.randint(1, 12)} {r.choice(['boxes', 'parcels', 'pallets'])}"),
            # Issue 15's look-alikes: product `name` columns, companies with legal forms, cities, IPv4-valid builds
            # and versions, SSN-valid order numbers.
            ("name", lambda: self.fake().catch_phrase().title()),
            ("name", lambda: f"{self.fakers['en_US'].color_name()} {r.choice(['Chair', 'Lamp', 'Desk', 'Sofa'])}"),
            ("company_name", lambda: self.fakers[r.choice(EUROPEAN)].company()),
            ("supplier", lambda: self.fakers[r.choice(EUROPEAN)].company()),
            ("city_name", lambda: self.fakers[r.choice(EUROPEAN)].city()),
            ("build", self.valid_ipv4),
            ("app_version", self.valid_ipv4),
            ("order_no", self.ssn_valid_order),
            ("invoice_number", self.ssn_valid_order),
        ]
        for base, gen in negatives:
            for _ in range(2):
                self.add(base, None, gen)


def load(corpus: Corpus, con: duckdb.DuckDBPyConnection, schema: str, distinct_first: int | None = None) -> dict:
    """Tables of 10 columns each; with `distinct_first`, each column keeps only its first N distinct values."""
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    labels = {}
    for t in range(0, len(corpus.columns), 10):
        chunk = corpus.columns[t : t + 10]
        table = f"t{t // 10:02d}"
        cols = []
        for name, label, values in chunk:
            if distinct_first:
                values = list(dict.fromkeys(v for v in values if v is not None))[:distinct_first]
            cols.append((name, values))
            labels[(f"{schema}.{table}", name)] = label
        # Parallel unnests zip the lists (shorter ones are padded with NULL).
        select = ", ".join(f"unnest(?::VARCHAR[]) AS {c}" for c, _ in cols)
        con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT {select}', [v for _, v in cols])
    return labels


def score(labels: dict, predicted: set[tuple[str, str, str]]) -> dict[str, tuple[int, int, int]]:
    """Per entity: (true positives, false positives, false negatives), column level."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (table, column), label in labels.items():
        found = {e for (t, c, e) in predicted if t == table and c == column}
        for e in found:
            out[e][0 if e == label else 1] += 1
        if label and label not in found:
            out[label][2] += 1
    return {e: tuple(v) for e, v in out.items()}


def report(title: str, stats: dict[str, tuple[int, int, int]]) -> tuple[float, float]:
    print(f"\n{title}")
    print(f"  {'entity':<15} {'columns':>7} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    tp_all = fp_all = fn_all = 0
    for e in ENTITIES:
        tp, fp, fn = stats.get(e, (0, 0, 0))
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        print(f"  {e:<15} {tp + fn:>7} {tp:>4} {fp:>4} {fn:>4} {prec:>9.3f} {rec:>7.3f}")
    prec = tp_all / (tp_all + fp_all) if tp_all + fp_all else 1.0
    rec = tp_all / (tp_all + fn_all) if tp_all + fn_all else 1.0
    print(f"  {'overall':<15} {tp_all + fn_all:>7} {tp_all:>4} {fp_all:>4} {fn_all:>4} {prec:>9.3f} {rec:>7.3f}")
    return prec, rec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-errors", action="store_true", help="list misclassified columns (masked examples)")
    args = parser.parse_args()
    corpus = Corpus(args.rows, args.seed)
    corpus.build()
    n_pos = sum(1 for _, label, _ in corpus.columns if label)
    print(f"corpus: {len(corpus.columns)} columns x {args.rows} rows ({n_pos} PII, {len(corpus.columns) - n_pos} not)")
    work = Path(tempfile.mkdtemp(prefix="pii_accuracy_"))
    warehouse = work / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        labels = load(corpus, con, "corpus")
        load(corpus, con, "dango_rule", distinct_first=100)
    dbt = BenchDbt(work / "dbt", warehouse)

    t0 = time.monotonic()
    dbt.invoke(["--quiet", "run-operation", "dango_monitors.pii_scan", "--args", "{run_id: bench, schemas: [corpus]}"])
    elapsed = time.monotonic() - t0
    with duckdb.connect(str(warehouse)) as con:
        ours = {
            tuple(r)
            for r in con.execute(
                "SELECT table_name, column_name, entity FROM dango.dango_pii_findings WHERE run_id = 'bench'"
            ).fetchall()
        }
        examples = {
            (r[0], r[1], r[2]): r[3]
            for r in con.execute(
                "SELECT table_name, column_name, entity, example FROM dango.dango_pii_findings WHERE run_id = 'bench'"
            ).fetchall()
        }
    # Dango's rule: the same value detectors over the first 100 distinct values; one hit flags (PERSON: >= 30%).
    dango: set[tuple[str, str, str]] = set()
    with duckdb.connect(str(warehouse)) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'dango_rule' ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'dango_rule' "
                    "AND table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            # Every entity on every column: Dango has no column-name gate.
            sql = dbt.verdict_sql("dango_rule", table, cols, full=True, row_count=None, skip_unhinted=False)
            for column, entity, _mode, matches, prevalence in con.execute(
                f"SELECT column_name, entity, match_mode, matches, prevalence FROM ({sql})"
            ).fetchall():
                # Dango has no DATE_OF_BIRTH or STREET_ADDRESS; Presidio finds entities inside text too, so both
                # modes count.
                if entity in ("DATE_OF_BIRTH", "STREET_ADDRESS") or not matches:
                    continue
                if entity != "PERSON" or prevalence >= 0.3:
                    dango.add((f"corpus.{table}", column, entity))
    ours_stats = score(labels, ours)
    prec, rec = report(f"dango (sampled scan, column verdicts; {elapsed:.1f} s incl. dbt start-up)", ours_stats)
    report("Dango's rule (one hit among the first 100 distinct values flags the column)", score(labels, dango))
    if args.show_errors:
        print("\nmisclassified columns (ours):")
        for (table, column), label in sorted(labels.items()):
            found = {e for (t, c, e) in ours if t == table and c == column}
            if found != ({label} if label else set()):
                print(
                    f"  {table}.{column}: label={label} found={sorted(found)} "
                    f"{[examples.get((table, column, e)) for e in found]}"
                )
    worst = min(
        (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0) for tp, fp, fn in ours_stats.values()
    )
    tp, fp, fn = ours_stats.get("PERSON", (0, 0, 0))
    person = (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)
    ok = prec >= 0.97 and rec >= 0.97 and min(person) >= 0.95 and min(worst) >= 0.9
    print(
        f"\ntargets (overall precision and recall >= 0.97, PERSON >= 0.95 each, no entity below 0.9): "
        f"{'met' if ok else 'NOT met'} (PERSON precision {person[0]:.3f}, recall {person[1]:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
