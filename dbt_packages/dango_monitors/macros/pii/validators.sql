{#- Value-level building blocks for PII detection: regex matching and the validators that run on matched rows only.
    Every helper dispatches (default__ / duckdb__ side by side) so another adapter can override it. `v` is an SQL
    expression holding one string value. -#}

{% macro pii_sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- Regex matching goes through the cross-database helpers in utils/cross_db (regex_full_match, regex_search,
    regex_extract), which translate dango's portable regex subset for each warehouse. -#}
{% macro pii_full_match(v, pattern) -%}
    {{ return(dango_monitors.regex_full_match(v, pattern)) }}
{%- endmacro %}

{% macro pii_contains_match(v, pattern) -%}
    {{ return(dango_monitors.regex_search(v, pattern)) }}
{%- endmacro %}

{% macro pii_extract(v, pattern) -%}
    {{ return(dango_monitors.regex_extract(v, pattern)) }}
{%- endmacro %}

{% macro pii_has(v, text) -%}
    {{ return(dango_monitors.string_contains(v, dango_monitors.pii_sql_string(text))) }}
{%- endmacro %}

{% macro pii_digits(v) -%}
    regexp_replace({{ v }}, '[^0-9]', '', 'g')
{%- endmacro %}

{#- `body` with `name` bound to the value of `expr`, computed once. Validators run inside CASE branches (only on
    matched values), where DuckDB does not share repeated subexpressions: a Luhn check that names the number 38 times
    would convert it 38 times. On DuckDB a one-element list and a lambda evaluate `expr` once; elsewhere the
    expression is substituted. -#}
{% macro pii_let(name, expr, body) -%}
    {{ return(adapter.dispatch('pii_let', 'dango_monitors')(name, expr, body)) }}
{%- endmacro %}
{% macro default__pii_let(name, expr, body) -%}
    {{ return(body | replace(name, '(' ~ expr ~ ')')) }}
{%- endmacro %}
{% macro duckdb__pii_let(name, expr, body) -%}
    {{ return('list_transform([' ~ expr ~ '], lambda ' ~ name ~ ': ' ~ body ~ ')[1]') }}
{%- endmacro %}
{% macro postgres__pii_let(name, expr, body) -%}
    {#- PostgreSQL does not share common subexpressions either, and substitution repeats the work once per mention
        (a Luhn check on the card's digit string: 48 string operations per value). A scalar subquery over a one-row
        derived table binds `expr` once; `offset 0` keeps the planner from pulling the derived table up, which would
        substitute `expr` back into every mention. -#}
    {{ return('(select ' ~ body ~ ' from (select ' ~ expr ~ ' as ' ~ name ~ ' offset 0) as ' ~ name ~ '_let)') }}
{%- endmacro %}

{#- The digits of a value that matched the card pattern (only digits, spaces and hyphens): no regex needed. -#}
{% macro pii_card_digits(v) -%}
    replace(replace({{ v }}, ' ', ''), '-', '')
{%- endmacro %}

{#- Luhn checksum of `d`, a string of 13 to 19 digits (credit cards). -#}
{% macro pii_luhn_valid(d) -%}
    {{ return(adapter.dispatch('pii_luhn_valid', 'dango_monitors')(d)) }}
{%- endmacro %}
{% macro default__pii_luhn_valid(d) -%}
    {#- Portable form: one term per position from the right (cards have at most 19 digits). -#}
    ((
    {%- for i in range(1, 20) %}
        {%- set digit = 'cast(coalesce(nullif(substr(reverse(' ~ d ~ '), ' ~ i ~ ', 1), \'\'), \'0\') as integer)' %}
        {%- if i % 2 == 0 %} + ({{ digit }} * 2 - case when {{ digit }} > 4 then 9 else 0 end)
        {%- else %} + {{ digit }}{% endif %}
    {%- endfor %}) % 10 = 0)
{%- endmacro %}
{% macro duckdb__pii_luhn_valid(d) -%}
    {#- Integer arithmetic on the number itself (19 digits fit an unsigned 64-bit integer), converted once: about
        three times faster than splitting the string into a list of digits. -#}
    {%- set ns = namespace(terms=[]) -%}
    {%- for i in range(19) %}
        {%- set digit = '(pii_n // ' ~ (10 ** i) ~ ' % 10)' %}
        {%- do ns.terms.append((digit ~ ' * 2 - ' ~ digit ~ ' // 5 * 9') if i % 2 == 1 else digit) -%}
    {%- endfor %}
    {{- return(dango_monitors.pii_let('pii_n', 'cast(' ~ d ~ ' as ubigint)', '((' ~ ns.terms | join(' + ') ~ ') % 10 = 0)')) }}
{%- endmacro %}
{% macro postgres__pii_luhn_valid(d) -%}
    {#- The same integer arithmetic as on DuckDB, on two bigint halves (the last 9 digits and the rest: 19 digits do
        not fit a signed 64-bit integer), each converted once through pii_let: 6x faster than the portable form,
        which takes `reverse` and `substr` of the string 48 times. -#}
    {%- set ns = namespace(terms=[]) -%}
    {%- for i in range(19) %}
        {%- set digit = '(pii_lo / ' ~ (10 ** i) ~ ' % 10)' if i < 9 else '(pii_hi / ' ~ (10 ** (i - 9)) ~ ' % 10)' %}
        {%- do ns.terms.append((digit ~ ' * 2 - ' ~ digit ~ ' / 5 * 9') if i % 2 == 1 else digit) -%}
    {%- endfor %}
    {%- set halves = "cast(right(pii_d, 9) as bigint) as pii_lo, case when length(pii_d) > 9 then cast(left(pii_d, length(pii_d) - 9) as bigint) else 0 end as pii_hi" -%}
    {{- return('(select ((' ~ ns.terms | join(' + ') ~ ') % 10 = 0) from (select ' ~ halves ~ ' from (select ' ~ d
        ~ ' as pii_d offset 0) as pii_d_let offset 0) as pii_luhn_let)') }}
{%- endmacro %}

{#- IBAN: the length registered for its country (ISO 13616) and the mod-97 check. -#}
{% macro pii_iban_lengths() -%}
    {{ return({
        'AD': 24, 'AE': 23, 'AL': 28, 'AT': 20, 'AZ': 28, 'BA': 20, 'BE': 16, 'BG': 22, 'BH': 22, 'BR': 29,
        'BY': 28, 'CH': 21, 'CR': 22, 'CY': 28, 'CZ': 24, 'DE': 22, 'DK': 18, 'DO': 28, 'EE': 20, 'EG': 29,
        'ES': 24, 'FI': 18, 'FO': 18, 'FR': 27, 'GB': 22, 'GE': 22, 'GI': 23, 'GL': 18, 'GR': 27, 'GT': 28,
        'HR': 21, 'HU': 28, 'IE': 22, 'IL': 23, 'IQ': 23, 'IS': 26, 'IT': 27, 'JO': 30, 'KW': 30, 'KZ': 20,
        'LB': 28, 'LC': 32, 'LI': 21, 'LT': 20, 'LU': 20, 'LV': 21, 'MC': 27, 'MD': 24, 'ME': 22, 'MK': 19,
        'MR': 27, 'MT': 31, 'MU': 30, 'NL': 18, 'NO': 15, 'PK': 24, 'PL': 28, 'PS': 29, 'PT': 25, 'QA': 29,
        'RO': 24, 'RS': 22, 'SA': 24, 'SC': 31, 'SE': 24, 'SI': 19, 'SK': 24, 'SM': 27, 'ST': 25, 'SV': 28,
        'TL': 23, 'TN': 24, 'TR': 26, 'UA': 29, 'VA': 22, 'VG': 24, 'XK': 20
    }) }}
{%- endmacro %}

{% macro pii_iban_valid(v) -%}
    {{ return(adapter.dispatch('pii_iban_valid', 'dango_monitors')(v)) }}
{%- endmacro %}

{#- The IBAN rearranged (country and check digits moved to the end) with letters as numbers (A=10 ... Z=35). -#}
{% macro pii_iban_digits(s) -%}
    {%- set ns = namespace(expr='substr(' ~ s ~ ', 5) || left(' ~ s ~ ', 4)') -%}
    {%- for letter in 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' -%}
        {%- set ns.expr = "replace(" ~ ns.expr ~ ", '" ~ letter ~ "', '" ~ (10 + loop.index0) ~ "')" -%}
    {%- endfor -%}
    {{ return(ns.expr) }}
{%- endmacro %}

{#- mod 97 of a digit string of up to 72 digits, in two exact integer steps (no lambdas, no loops). -#}
{% macro pii_mod97(d, int_type) -%}
    (case when length({{ d }}) <= 36 then cast({{ d }} as {{ int_type }}) % 97
          else ((cast(left({{ d }}, length({{ d }}) - 36) as {{ int_type }}) % 97) * cast('1{{ "0" * 36 }}' as {{ int_type }})
                + cast(right({{ d }}, 36) as {{ int_type }})) % 97 end)
{%- endmacro %}

{% macro pii_iban_length_ok(s) -%}
    {%- set lengths = dango_monitors.pii_iban_lengths() -%}
    (length({{ s }}) = coalesce([{{ lengths.values() | join(', ') }}][list_position([
        {%- for c in lengths %}'{{ c }}'{{ ', ' if not loop.last }}{% endfor %}], left({{ s }}, 2))], -1))
{%- endmacro %}

{% macro default__pii_iban_valid(v) -%}
    {%- set s = "upper(replace(" ~ v ~ ", ' ', ''))" -%}
    (length({{ s }}) = case left({{ s }}, 2)
        {%- for country, n in dango_monitors.pii_iban_lengths().items() %} when '{{ country }}' then {{ n }}{% endfor %} else -1 end
     and {{ dango_monitors.pii_mod97(dango_monitors.pii_iban_digits(s), 'decimal(38, 0)') }} = 1)
{%- endmacro %}
{% macro duckdb__pii_iban_valid(v) -%}
    {#- The pattern only matches upper case. Most IBANs carry letters only in the country code: those take a fast
        path (the country's two letters as numbers, then mod 97 of two unsigned 64-bit halves); when the BBAN has
        letters too, the cast fails and the general form (every letter replaced) decides. -#}
    {%- set d = "substr(pii_s, 5) || cast(ascii(left(pii_s, 1)) - 55 as varchar) || cast(ascii(substr(pii_s, 2, 1)) - 55 as varchar) || substr(pii_s, 3, 2)" -%}
    {%- set fast = "(try_cast(left(pii_d, length(pii_d) - 17) as ubigint) % 97 * " ~ ((10 ** 17) % 97) ~ " + try_cast(right(pii_d, 17) as ubigint) % 97) % 97" -%}
    {%- set body -%}
        case when {{ dango_monitors.pii_iban_length_ok('pii_s') }}
             then coalesce({{ dango_monitors.pii_let('pii_d', d, fast) }},
                           {{ dango_monitors.pii_mod97(dango_monitors.pii_iban_digits('pii_s'), 'hugeint') }}) = 1
             else false end
    {%- endset -%}
    {{- return(dango_monitors.pii_let('pii_s', "replace(" ~ v ~ ", ' ', '')", body)) }}
{%- endmacro %}

{% macro postgres__pii_iban_valid(v) -%}
    {#- default__'s checks, with the normalised value bound once (pii_let) and, as on DuckDB, a fast path when only
        the country code has letters: its two letters as numbers, then one exact `numeric` mod 97 (2x faster than 26
        `replace` calls on every value). -#}
    {%- set fast = "substr(pii_s, 5) || cast(ascii(pii_s) - 55 as varchar) || cast(ascii(substr(pii_s, 2, 1)) - 55 as varchar) || substr(pii_s, 3, 2)" -%}
    {%- set body -%}
        case when length(pii_s) = case left(pii_s, 2)
            {%- for country, n in dango_monitors.pii_iban_lengths().items() %} when '{{ country }}' then {{ n }}{% endfor %} else -1 end
             then (case when translate(substr(pii_s, 5), '0123456789', '') = '' then cast({{ fast }} as numeric) % 97
                        else cast({{ dango_monitors.pii_iban_digits('pii_s') }} as numeric) % 97 end) = 1
             else false end
    {%- endset -%}
    {{- return(dango_monitors.pii_let('pii_s', "upper(replace(" ~ v ~ ", ' ', ''))", body)) }}
{%- endmacro %}

{#- US SSN: area 000, 666 and 900-999, group 00, serial 0000 and well-known fake numbers are invalid. `v` matched
    `[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}`, so the parts sit at fixed positions. -#}
{% macro pii_ssn_valid(v) -%}
    (substr({{ v }}, 1, 3) not in ('000', '666') and left({{ v }}, 1) <> '9' and substr({{ v }}, 5, 2) <> '00'
     and substr({{ v }}, 8, 4) <> '0000'
     and substr({{ v }}, 1, 3) || substr({{ v }}, 5, 2) || substr({{ v }}, 8, 4) not in ('078051120', '219099999', '123456789'))
{%- endmacro %}

{#- IPv4: four octets 0-255 without leading zeros; values whose octets are all below 32 look like version
    numbers (1.2.10.3) and are not counted. IPv6: eight groups, or fewer with one `::`. -#}
{% macro pii_ip_valid(v) -%}
    {{ return(adapter.dispatch('pii_ip_valid', 'dango_monitors')(v)) }}
{%- endmacro %}
{% macro default__pii_ip_valid(v) -%}
    {#- Portable form: the pattern already guarantees four groups of 1-3 digits, or hex groups and colons. -#}
    {%- set octets = [] -%}
    {%- for i in range(1, 5) %}{% do octets.append("cast(split_part(" ~ v ~ ", '.', " ~ i ~ ") as integer)") %}{% endfor -%}
    {%- set colons = "(length(" ~ v ~ ") - length(replace(" ~ v ~ ", ':', '')))" -%}
    (case when {{ dango_monitors.pii_has(v, '.') }} then
        {{ octets | join(' <= 255 and ') }} <= 255 and greatest({{ octets | join(', ') }}) >= 32
        and not {{ dango_monitors.pii_contains_match(v, '(^|[.])0[0-9]') }}
     else
        not {{ dango_monitors.pii_has(v, ':::') }}
        and case when {{ dango_monitors.pii_has(v, '::') }}
                 then (length({{ v }}) - length(replace({{ v }}, '::', ''))) = 2 and {{ colons }} <= 8
                 else {{ colons }} = 7 end
     end)
{%- endmacro %}
{% macro postgres__pii_ip_valid(v) -%}
    {{ return(dango_monitors.default__pii_ip_valid(v)) }}
{%- endmacro %}
{% macro duckdb__pii_ip_valid(v) -%}
    (case when contains({{ v }}, '.') then
        {{ dango_monitors.pii_let('pii_o', "list_transform(string_split(" ~ v ~ ", '.'), lambda o: cast(o as integer))",
            "list_bool_and(list_transform(pii_o, lambda o: o <= 255)) and list_max(pii_o) >= 32") }}
        and not regexp_matches({{ v }}, '(^|[.])0[0-9]')
     else
        (not contains({{ v }}, ':::'))
        and case when contains({{ v }}, '::') then len(string_split({{ v }}, '::')) = 2 and len(string_split({{ v }}, ':')) <= 9
                 else len(string_split({{ v }}, ':')) = 8 end
     end)
{%- endmacro %}

{#- Phone: 7-15 digits (extension aside), written with a leading + or ( or with separators, or a bare national
    number with its trunk prefix (0 then a non-zero digit, 9-11 digits: 0638571821); other bare digit strings are ids.
    Dates, IPv4 addresses, SSN-shaped values and plain decimals are not phone numbers. -#}
{% macro pii_phone_valid(v) -%}
    {{ return(adapter.dispatch('pii_phone_valid', 'dango_monitors')(v)) }}
{%- endmacro %}

{#- The value with a trailing extension (` x12`, ` ext. 12`, `#12`) cut, only when there can be one. -#}
{% macro pii_phone_without_extension(v) -%}
    {{ return("(case when " ~ dango_monitors.pii_has(v, 'x') ~ " or " ~ dango_monitors.pii_has(v, '#') ~ " then regexp_replace(" ~ v ~ ", ' ?(x|ext\\.?|#) ?[0-9]{1,6}$', '') else " ~ v ~ " end)") }}
{%- endmacro %}

{% macro default__pii_phone_valid(v) -%}
    {#- `v` matched the phone pattern: digits, the separators ` ()./-`, a leading `+` or `(` and maybe an extension.
        The extension is only cut when there can be one; digits are counted and separators found with small regexes
        (measured 3-4 times faster than stripping the non-digits and comparing lengths); the date / IP / SSN /
        decimal test only runs on values with `.`, `/` or `-`. A CASE runs each test only on the values that passed
        the previous ones. -#}
    {%- set p = dango_monitors.pii_phone_without_extension(v) -%}
    (case when not {{ dango_monitors.pii_full_match(p, '[^0-9]*(?:[0-9][^0-9]*){7,15}') }} then false
          when not ({{ dango_monitors.pii_contains_match(p, '[^0-9]') }}
                    or {{ dango_monitors.pii_full_match(p, '0[1-9][0-9]{7,9}') }}) then false
          when length(replace({{ v }}, '(', '')) <> length(replace({{ v }}, ')', '')) then false
          when ({{ dango_monitors.pii_has(p, '.') }} or {{ dango_monitors.pii_has(p, '/') }} or {{ dango_monitors.pii_has(p, '-') }})
               and {{ dango_monitors.pii_full_match(p, '[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}|[0-9]{1,3}([.][0-9]{1,3}){3}|[0-9]{3}-[0-9]{2}-[0-9]{4}|-?[0-9]+[.,][0-9]+') }} then false
          else true end)
{%- endmacro %}

{% macro postgres__pii_phone_valid(v) -%}
    {#- The same tests as default__, with the value bound once (pii_let) and the digits counted without a regex:
        `v` matched the phone pattern, so once the extension is cut it holds only digits, ` ()./-` and a leading `+`,
        and deleting those leaves the digits (the counting regex was 60 % of this validator's time on PostgreSQL).
        Every test is an equivalent of default__'s: "has a non-digit" is "fewer digits than characters". -#}
    {%- set stripped = namespace(expr='pii_p') -%}
    {%- for sep in [' ', '(', ')', '.', '/', '-', '+'] %}{% set stripped.expr = "replace(" ~ stripped.expr ~ ", '" ~ sep ~ "', '')" %}{% endfor -%}
    {%- set body -%}
    (case when not pii_n between 7 and 15 then false
          when not (pii_n < length(pii_p) or {{ dango_monitors.pii_full_match('pii_p', '0[1-9][0-9]{7,9}') }}) then false
          when length(replace({{ v }}, '(', '')) <> length(replace({{ v }}, ')', '')) then false
          when ({{ dango_monitors.pii_has('pii_p', '.') }} or {{ dango_monitors.pii_has('pii_p', '/') }} or {{ dango_monitors.pii_has('pii_p', '-') }})
               and {{ dango_monitors.pii_full_match('pii_p', '[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}|[0-9]{1,3}([.][0-9]{1,3}){3}|[0-9]{3}-[0-9]{2}-[0-9]{4}|-?[0-9]+[.,][0-9]+') }} then false
          else true end)
    {%- endset -%}
    {{- return('(select ' ~ body ~ ' from (select pii_p, length(' ~ stripped.expr ~ ') as pii_n from (select '
        ~ dango_monitors.pii_phone_without_extension(v) ~ ' as pii_p offset 0) as pii_p_let offset 0) as pii_phone_let)') }}
{%- endmacro %}

{% macro pii_email_valid(v) -%}
    (not {{ dango_monitors.pii_has(v, '..') }} and length(split_part({{ v }}, '@', 1)) <= 64)
{%- endmacro %}

{% macro pii_dob_valid(v) -%}
    {{ return(adapter.dispatch('pii_dob_valid', 'dango_monitors')(v)) }}
{%- endmacro %}
{% macro default__pii_dob_valid(v) -%}
    {#- Portable form, no parsing that can raise: the value matched YYYY-MM-DD or D.M.YYYY / M/D/YYYY / D/M/YYYY;
        each reading is checked as a calendar date between 1900-01-01 and a year ago (a slash date is valid when
        either reading is). -#}
    {%- set today = "(cast(extract(year from current_date) as integer) * 10000 - 10000 + cast(extract(month from current_date) as integer) * 100 + cast(extract(day from current_date) as integer))" -%}
    {%- set iso = [("left(" ~ v ~ ", 4)", "substr(" ~ v ~ ", 6, 2)", "substr(" ~ v ~ ", 9, 2)")] -%}
    {%- set dot = [("split_part(" ~ v ~ ", '.', 3)", "split_part(" ~ v ~ ", '.', 2)", "split_part(" ~ v ~ ", '.', 1)")] -%}
    {%- set slash = [("split_part(" ~ v ~ ", '/', 3)", "split_part(" ~ v ~ ", '/', 1)", "split_part(" ~ v ~ ", '/', 2)"),
                     ("split_part(" ~ v ~ ", '/', 3)", "split_part(" ~ v ~ ", '/', 2)", "split_part(" ~ v ~ ", '/', 1)")] -%}
    (case when {{ dango_monitors.pii_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }} then {{ dango_monitors.pii_ymd_ok(iso, today) }}
          when {{ dango_monitors.pii_full_match(v, '[0-9]{1,2}[.][0-9]{1,2}[.][0-9]{4}') }} then {{ dango_monitors.pii_ymd_ok(dot, today) }}
          when {{ dango_monitors.pii_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') }} then {{ dango_monitors.pii_ymd_ok(slash, today) }}
          else false end)
{%- endmacro %}
{% macro postgres__pii_dob_valid(v) -%}
    {{ return(dango_monitors.default__pii_dob_valid(v)) }}
{%- endmacro %}

{#- True when any (year, month, day) reading (digit-string expressions) is a real date in [1900-01-01, today). -#}
{% macro pii_ymd_ok(readings, today) -%}
    ({%- for y_, m_, d_ in readings %}
        {%- set y = 'cast(' ~ y_ ~ ' as integer)' %}{% set m = 'cast(' ~ m_ ~ ' as integer)' %}{% set d = 'cast(' ~ d_ ~ ' as integer)' %}
        (case when {{ m }} between 1 and 12
              and {{ d }} between 1 and (case when {{ m }} in (4, 6, 9, 11) then 30
                                             when {{ m }} = 2 then case when ({{ y }} % 4 = 0 and {{ y }} % 100 <> 0) or {{ y }} % 400 = 0 then 29 else 28 end
                                             else 31 end)
              then {{ y }} * 10000 + {{ m }} * 100 + {{ d }} between 19000101 and {{ today }}
              else false end){{ ' or ' if not loop.last }}
    {%- endfor %})
{%- endmacro %}
{% macro duckdb__pii_dob_valid(v) -%}
    (coalesce(try_strptime({{ v }}, '%Y-%m-%d'), try_strptime({{ v }}, '%d.%m.%Y'), try_strptime({{ v }}, '%m/%d/%Y'),
              try_strptime({{ v }}, '%d/%m/%Y')) between timestamp '1900-01-01' and current_date - interval 1 year)
{%- endmacro %}
