{#- The entities dango detects. Each has:
      prefilter  cheap SQL test run first ({v} = the value), so regexes only see plausible values
      pattern    RE2 regex (no lookaround) the whole value must match
      validator  SQL run only on values that matched the pattern
      mask       SQL giving the masked example stored in findings (never the raw value)
      hint       regex over the lower-cased column name (column-name hint: raises confidence, never flags alone)
      hint_exclude   optional regex: column names that match `hint` but are something else (email_address)
      hint_required  the entity is only looked for, and reported, in columns whose name hints at it (names, birth
                     dates and street addresses look like ordinary words, dates and labels elsewhere)
      min_valid_ratio  share of pattern matches that must also validate (random SSN-shaped order numbers validate
                       about 89% of the time, real SSNs 100%; phone numbers only 50%, since a bare national number
                       that fails is ambiguous rather than invalid)
      contains   also look for the entity inside free text (see pii_verdict_sql)
      bare_hint  PERSON: a bare `name` (nom, nome, naam...) column is hinted only in a table named for people
      unhinted_validator  PERSON: in columns without a hint a value counts only when it is a full name whose given
                     name is known (pii_first_names); the wide pass only runs `unhinted_prefilter` (no regex to
                     compile per column), the pattern and this validator run once per query on the values it kept
      negative_override  entities that ids, versions and order numbers imitate: in a column named like those
                     (pii_negative_hint_re) and not hinted for the entity, a value counts only when it also passes
                     this (the entity's own separators or context: a leading + for phones, grouped card digits,
                     IPv6 colons; never for SSNs)
-#}
{% macro pii_entities() -%}
    {{ return(adapter.dispatch('pii_entities', 'dango_monitors')()) }}
{%- endmacro %}

{% macro default__pii_entities() -%}
    {%- set has_at = dango_monitors.pii_has('{v}', '@') -%}
    {%- set email_re = "[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}" -%}
    {#- Full names: capitalised words with diacritics, apostrophes and hyphens (Zoé-Claude, O'Neil, d'Almeida),
        particles (van der, von, de la, da, dos, y), titles and abbreviations (Dr., Prof. Dr. med.), degrees after a
        comma (", MBA", ", B.Sc."), and "Last, First". Any number of words (the prefilter bounds the length): a
        bounded repeat of these Unicode classes made RE2's automaton 35 times slower. -#}
    {%- set name_part = "(?:[dDlL]['’])?[\\p{Lu}\\p{Lo}][\\p{L}\\p{M}'’.-]*" -%}
    {%- set name_particle = "(?:van|von|vom|zu|zur|de|del|della|dei|der|den|ter|ten|te|da|das|do|dos|di|du|la|le|y|e|i|af|bin|ibn|al|el)" -%}
    {%- set name_abbrev = "[\\p{Ll}]{2,5}[.]" -%}
    {%- set person_re = "(?:" ~ name_abbrev ~ " )?" ~ name_part ~ "(?:,? (?:" ~ name_part ~ "|" ~ name_particle ~ "|" ~ name_abbrev ~ "))*" -%}
    {#- Street lines: a house number before or after one to seven words ("141 Hodges Mountains", "8, rue Jeanne
        Henry", "Jens-Drubin-Straße 47-26", "Via Elisa, 991 Appartamento 84", "al. Leśna 74/39"), or a street type
        and words without a number ("rue de Gomes"), a Japanese chome address ("...1丁目8番10号"), an optional unit ("Apt. 915") and up to three more parts after
        commas or line breaks (postcode, city). Only looked for in columns named like addresses. -#}
    {%- set addr_word = "[\\p{L}][\\p{L}\\p{M}'’.-]*" -%}
    {%- set addr_num = "[0-9]{1,6}[A-Za-z]?(?:[-/][0-9]{1,4}[A-Za-z]?)?" -%}
    {%- set addr_street = addr_word ~ "(?: " ~ addr_word ~ "){0,6}" -%}
    {%- set addr_unit = "(?: (?:" ~ addr_word ~ " )?#?[0-9]{1,5}[A-Za-z]?)?" -%}
    {%- set addr_jp = "[\\p{Han}][\\p{Han}\\p{Hiragana}\\p{Katakana}ー]*[0-9]{1,3}丁目[0-9]{1,4}番(?:地)?(?:[0-9]{1,4}号)?(?: [^\\n]{1,40})?" -%}
    {#- Street types in lower case or capitalised (no inline flags: PostgreSQL has none). -#}
    {%- set addr_types = [] -%}
    {%- for t in ['rue', 'avenue', 'boulevard', 'chemin', 'allée', 'impasse', 'place', 'quai', 'route', 'via', 'viale', 'piazza',
                  'calle', 'avenida', 'plaza', 'paseo', 'camino', 'carrer', 'rua', 'praça', 'ulica', 'aleja', 'al\\.'] -%}
        {%- do addr_types.append('[' ~ t[0] ~ t[0] | upper ~ ']' ~ t[1:]) -%}
    {%- endfor -%}
    {%- set addr_type = "(?:" ~ addr_types | join('|') ~ ")" -%}
    {{ return([
        {
            'name': 'EMAIL_ADDRESS',
            'prefilter': has_at ~ " and length({v}) between 6 and 254",
            'pattern': email_re,
            'contains_pattern': email_re,
            'contains_prefilter': has_at,
            'validator': dango_monitors.pii_email_valid('{v}'),
            'mask': "left({v}, 1) || '***@' || left(split_part({v}, '@', 2), 1) || '***.' || split_part({v}, '.', -1)",
            'hint': '(^|_)(e_?mail|mail|correo(_?electr[oó]nico)?|courriel|e_?post|posta_?elettronica|mail_?adres|adres_?e_?mail)(_|$|addr|adres)',
            'hint_required': false,
            'min_valid_ratio': 0.9,
        },
        {
            'name': 'PHONE_NUMBER',
            'prefilter': "length({v}) between 7 and 32 and (left({v}, 1) in ('+', '(') or (left({v}, 1) between '0' and '9' and (left({v}, 1) = '0' or ltrim({v}, '0123456789') <> '')))",
            'pattern': "(?:\\+|\\()?[0-9][0-9 ()./-]{5,22}[0-9](?: ?(?:x|ext\\.?|#) ?[0-9]{1,6})?",
            'validator': dango_monitors.pii_phone_valid('{v}'),
            'mask': "left({v}, 3) || '******' || right(" ~ dango_monitors.pii_digits('{v}') ~ ", 2)",
            'hint': '(^|_)(phone|mobile|mobil|mobiel|m[oó]vil|cell|cellulare|celular|tel|telephone|t[eé]l[eé]phone|telefon|tel[eé]fono|telefone|telefoon|telefonnummer|fax|msisdn|handy|gsm|portable|kom[oó]rka|natel)(_|$|no|nr|number|nummer|numero)',
            'hint_required': false,
            'negative_override': "left({v}, 1) in ('+', '(')",
            'min_valid_ratio': 0.5,
        },
        {
            'name': 'CREDIT_CARD',
            'prefilter': "length({v}) between 13 and 23 and left({v}, 1) between '2' and '6'",
            'pattern': "[0-9]{4}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}|[0-9]{4}[ -]?[0-9]{6}[ -]?[0-9]{5}",
            'validator': "case when length(" ~ dango_monitors.pii_card_digits('{v}') ~ ") between 13 and 19 then " ~ dango_monitors.pii_luhn_valid(dango_monitors.pii_card_digits('{v}')) ~ " else false end",
            'mask': "'**** **** **** ' || right(" ~ dango_monitors.pii_card_digits('{v}') ~ ", 4)",
            'hint': '(^|_)(card|cc|ccn|pan|credit_?card|card_?number)(_|$)',
            'hint_required': false,
            'negative_override': dango_monitors.pii_full_match('{v}', '[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,7}'),
            'min_valid_ratio': 0.9,
        },
        {
            'name': 'IBAN_CODE',
            'prefilter': "length({v}) between 15 and 42 and left({v}, 1) between 'A' and 'Z'",
            'pattern': "[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}",
            'validator': dango_monitors.pii_iban_valid('{v}'),
            'mask': "left({v}, 2) || '** **** **** ' || right(replace({v}, ' ', ''), 4)",
            'hint': '(^|_)(iban|bank_?account|account_?(no|number|iban))(_|$)',
            'hint_required': false,
            'min_valid_ratio': 0.9,
        },
        {
            'name': 'US_SSN',
            'prefilter': "length({v}) = 11 and left({v}, 1) between '0' and '9'",
            'pattern': "[0-9]{3}([- ])[0-9]{2}[- ][0-9]{4}",
            'validator': dango_monitors.pii_ssn_valid('{v}'),
            'mask': "'***-**-' || right({v}, 4)",
            'hint': '(^|_)(ssn|social_?security(_?number)?|sozialversicherung)(_|$)',
            'hint_required': false,
            'negative_override': "false",
            'min_valid_ratio': 0.97,
        },
        {
            'name': 'IP_ADDRESS',
            'prefilter': "length({v}) between 2 and 45 and (" ~ dango_monitors.pii_has('{v}', '.') ~ " or " ~ dango_monitors.pii_has('{v}', ':') ~ ")",
            'pattern': "[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}",
            'validator': dango_monitors.pii_ip_valid('{v}'),
            'mask': "case when " ~ dango_monitors.pii_has('{v}', '.') ~ " then split_part({v}, '.', 1) || '.*.*.*' else split_part({v}, ':', 1) || ':****:****:****' end",
            'hint': '(^|_)(ip|ipv4|ipv6|ip_?addr(ess)?|remote_?addr|client_?ip|host_?addr)(_|$)',
            'hint_required': false,
            'negative_override': dango_monitors.pii_has('{v}', ':'),
            'min_valid_ratio': 0.9,
        },
        {
            'name': 'PERSON',
            'prefilter': "length({v}) between 2 and 60",
            'pattern': person_re,
            'validator': "true",
            'unhinted_validator': dango_monitors.pii_full_name_valid('{v}'),
            'unhinted_prefilter': "length({v}) between 3 and 60 and " ~ dango_monitors.pii_has('{v}', ' ') ~ " and left({v}, 1) <> lower(left({v}, 1))",
            'mask': "left({v}, 1) || '***'",
            'hint': '(^|_)(first_?name|last_?name|full_?name|given_?name|sur_?name|family_?name|middle_?name|maiden_?name|fore_?name|(customer|contact|person|employee|patient|recipient|billing|shipping|holder|account_?holder|cardholder|passenger|guest|member|owner|author|client|buyer|seller|sender|receiver|driver|student|teacher|doctor)_?name'
                ~ '|vor_?name|nach_?name|familien_?name|pr[eé]_?nom|nom_?(de_?famille|complet)|nombre_?(completo|y_?apellidos?)|apellidos?|nome_?completo|sobre_?nome|cognome'
                ~ '|voor_?naam|achter_?naam|familie_?naam|volledige_?naam|f[oö]r_?namn|efter_?namn|fullst[aä]ndigt_?namn|imi[eę]|nazwisko|imi[eę]_?i_?nazwisko)(_|$)',
            'bare_hint': '^(name|names|nom|nombre|nome|naam|namn|nazwa|full_name_raw)$',
            'hint_required': false,
            'min_valid_ratio': 0.0,
        },
        {
            'name': 'DATE_OF_BIRTH',
            'prefilter': "length({v}) between 8 and 10",
            'pattern': "(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[./][0-9]{1,2}[./](?:19|20)[0-9]{2}",
            'validator': dango_monitors.pii_dob_valid('{v}'),
            'mask': "'****-**-**'",
            'hint': '(^|_)(dob|birth_?date|date_?of_?birth|birth_?day|born(_on)?|bday|geburts_?datum|geburtstag|geb_?datum|(date_?de_?)?naissance|(fecha_?(de_?)?)?nacimiento|(data_?(de_?)?)?nascimento|(data_?di_?)?nascita|geboorte_?datum|geboren|f[oö]delse_?(datum|dag)|data_?urodzenia|urodziny)(_|$)',
            'hint_required': true,
            'min_valid_ratio': 0.9,
        },
        {
            'name': 'STREET_ADDRESS',
            'prefilter': "length({v}) between 5 and 200",
            'pattern': "(?:" ~ addr_num ~ ",? " ~ addr_street ~ addr_unit ~ "|" ~ addr_street ~ ",? " ~ addr_num ~ addr_unit ~ "|" ~ addr_type ~ " " ~ addr_street ~ "|" ~ addr_jp ~ ") ?(?:(?:\\n|, ?)[^\\n]{1,80}){0,3} ?",
            'validator': "true",
            'mask': "left({v}, 1) || '*** ****'",
            'hint': '(^|_)(address|street|street_?address|address_?line_?[123]?|addr_?line_?[123]?|stra(ss|ß)e|anschrift|adresse|direcci[oó]n|domicilio|indirizzo|endere[cç]o|morada|adres|adress|gatu_?adress|straat|ulica)(_?[123])?(_|$)',
            'hint_exclude': '(e_?mail|mail|correo|courriel|ip|ipv[46]|mac|web|url|remote|host|server|client|wallet|contract|memory|bitcoin|btc|eth)_?(address|addr|adresse|adres|adress|direcci[oó]n|indirizzo|endere[cç]o)',
            'hint_required': true,
            'min_valid_ratio': 0.0,
        },
    ]) }}
{%- endmacro %}

{#- Column names that say the values are ids, versions or order numbers (see negative_override). -#}
{% macro pii_negative_hint_re() -%}
    {{ return('(^|_)(id|ids|uuid|guid|version|ver|build|release|revision|order|order_?(no|nr|num|number|id|ref)|invoice|invoice_?(no|nr|num|number)|sku|serial|tracking|ticket|auftrag|bestellung|rechnung|commande|facture|pedido|factura|ordine|fattura|bestelling|factuur|faktura|zam[oó]wienie)(_|$)') }}
{%- endmacro %}

{#- Table names whose bare `name` column holds people (customers.name), for the PERSON hint. -#}
{% macro pii_person_tables_re() -%}
    {{ return('(customer|user|people|person|employee|staff|contact|member|client|patient|student|author|account|subscriber|lead|guest|passenger|kunde|kunden|mitarbeiter|personen|clients?|utilisateurs?|personnes?|clientes?|usuarios?|empleados?|contatti|utenti|dipendenti|klanten|gebruikers|medewerkers|kunder|anv[aä]ndare|anst[aä]llda|klienci|u[zż]ytkownicy|pracownicy)s?$') }}
{%- endmacro %}

{% macro pii_render(template, v) -%}
    {{ return(template | replace('{v}', v)) }}
{%- endmacro %}

{#- Value-level detection for one value expression: the names of the entities whose pattern matches and whose
    validator passes, comma-separated (for tests and ad-hoc checks; the scan itself works per column in
    pii_verdict_sql). Nested CASEs: validators only ever see values that matched their pattern. -#}
{% macro pii_value_entities(v) -%}
    concat_ws(','
    {%- for e in dango_monitors.pii_entities() -%}
        , case when {{ dango_monitors.pii_render(e.prefilter, v) }} and {{ dango_monitors.pii_full_match(v, e.pattern) }}
               then case when {{ dango_monitors.pii_render(e.validator, v) }} then {{ dango_monitors.pii_sql_string(e.name) }} end end
    {%- endfor -%})
{%- endmacro %}
