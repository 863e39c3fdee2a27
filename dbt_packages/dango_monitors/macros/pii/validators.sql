{#- Value-level building blocks for PII detection: regex matching and the validators that run on matched rows only.
    Every helper dispatches (default__ / duckdb__ side by side) so another adapter can override it. `v` is an SQL
    expression holding one string value. -#}

{% macro pii_sql_string(text) -%}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro pii_full_match(v, pattern) -%}
    {{ return(adapter.dispatch('pii_full_match', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}
{% macro default__pii_full_match(v, pattern) -%}
    regexp_like({{ v }}, {{ dango_monitors.pii_sql_string('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}
{% macro duckdb__pii_full_match(v, pattern) -%}
    regexp_full_match({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro pii_contains_match(v, pattern) -%}
    {{ return(adapter.dispatch('pii_contains_match', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}
{% macro default__pii_contains_match(v, pattern) -%}
    regexp_like({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}
{% macro duckdb__pii_contains_match(v, pattern) -%}
    regexp_matches({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro pii_extract(v, pattern) -%}
    {{ return(adapter.dispatch('pii_extract', 'dango_monitors')(v, pattern)) }}
{%- endmacro %}
{% macro default__pii_extract(v, pattern) -%}
    regexp_substr({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}
{% macro duckdb__pii_extract(v, pattern) -%}
    regexp_extract({{ v }}, {{ dango_monitors.pii_sql_string(pattern) }})
{%- endmacro %}

{% macro pii_digits(v) -%}
    regexp_replace({{ v }}, '[^0-9]', '', 'g')
{%- endmacro %}

{#- Luhn checksum of the digits of `v` (credit cards). -#}
{% macro pii_luhn_valid(v) -%}
    {{ return(adapter.dispatch('pii_luhn_valid', 'dango_monitors')(v)) }}
{%- endmacro %}
{% macro default__pii_luhn_valid(v) -%}
    {#- Portable form: one term per position from the right (cards have at most 19 digits). -#}
    {%- set d = 'reverse(' ~ dango_monitors.pii_digits(v) ~ ')' -%}
    ((
    {%- for i in range(1, 20) %}
        {%- set digit = 'cast(coalesce(nullif(substr(' ~ d ~ ', ' ~ i ~ ', 1), \'\'), \'0\') as integer)' %}
        {%- if i % 2 == 0 %} + ({{ digit }} * 2 - case when {{ digit }} > 4 then 9 else 0 end)
        {%- else %} + {{ digit }}{% endif %}
    {%- endfor %}) % 10 = 0)
{%- endmacro %}
{% macro duckdb__pii_luhn_valid(v) -%}
    (list_sum(list_transform(string_split(reverse({{ dango_monitors.pii_digits(v) }}), ''),
        lambda x, i: case when i % 2 = 0 then cast(x as integer) * 2 - case when cast(x as integer) > 4 then 9 else 0 end
                          else cast(x as integer) end)) % 10 = 0)
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
    {%- set s = "upper(replace(" ~ v ~ ", ' ', ''))" -%}
    (case when {{ dango_monitors.pii_iban_length_ok(s) }}
          then {{ dango_monitors.pii_mod97(dango_monitors.pii_iban_digits(s), 'hugeint') }} = 1 else false end)
{%- endmacro %}

{#- US SSN: area 000, 666 and 900-999, group 00, serial 0000 and well-known fake numbers are invalid. -#}
{% macro pii_ssn_valid(v) -%}
    {%- set d = dango_monitors.pii_digits(v) -%}
    (substr({{ d }}, 1, 3) not in ('000', '666') and substr({{ d }}, 1, 1) <> '9' and substr({{ d }}, 4, 2) <> '00'
     and substr({{ d }}, 6, 4) <> '0000' and {{ d }} not in ('078051120', '219099999', '123456789'))
{%- endmacro %}

{#- IPv4: four octets 0-255 without leading zeros; values whose octets are all below 32 look like version
    numbers (1.2.10.3) and are not counted. IPv6: eight groups, or fewer with one `::`. -#}
{% macro pii_ip_valid(v) -%}
    {{ return(adapter.dispatch('pii_ip_valid', 'dango_monitors')(v)) }}
{%- endmacro %}
{% macro default__pii_ip_valid(v) -%}
    {{ exceptions.raise_compiler_error("dango_monitors: IP validation is not implemented for adapter " ~ adapter.type() ~ "; override pii_ip_valid") }}
{%- endmacro %}
{% macro duckdb__pii_ip_valid(v) -%}
    (case when contains({{ v }}, '.') then
        list_bool_and(list_transform(string_split({{ v }}, '.'),
            lambda o: cast(o as integer) <= 255 and (o = '0' or left(o, 1) <> '0')))
        and list_max(list_transform(string_split({{ v }}, '.'), lambda o: cast(o as integer))) >= 32
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
    {%- set p = "regexp_replace(" ~ v ~ ", ' ?(x|ext\\.?|#) ?[0-9]{1,6}$', '')" -%}
    {#- A CASE so each test only runs on the values that passed the previous ones. -#}
    (case when length({{ dango_monitors.pii_digits(p) }}) not between 7 and 15 then false
          when not (left({{ v }}, 1) in ('+', '(') or {{ dango_monitors.pii_contains_match(p, '[ ./()-]') }}
                    or {{ dango_monitors.pii_full_match(p, '0[1-9][0-9]{7,9}') }}) then false
          when length(replace({{ v }}, '(', '')) <> length(replace({{ v }}, ')', '')) then false
          when {{ dango_monitors.pii_full_match(p, '[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}|[0-9]{1,3}([.][0-9]{1,3}){3}|[0-9]{3}-[0-9]{2}-[0-9]{4}|-?[0-9]+[.,][0-9]+') }} then false
          else true end)
{%- endmacro %}

{% macro pii_email_valid(v) -%}
    (not contains({{ v }}, '..') and length(split_part({{ v }}, '@', 1)) <= 64)
{%- endmacro %}

{% macro pii_dob_valid(v) -%}
    {{ return(adapter.dispatch('pii_dob_valid', 'dango_monitors')(v)) }}
{%- endmacro %}
{% macro default__pii_dob_valid(v) -%}
    {{ exceptions.raise_compiler_error("dango_monitors: date-of-birth validation is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}
{% macro duckdb__pii_dob_valid(v) -%}
    (coalesce(try_strptime({{ v }}, '%Y-%m-%d'), try_strptime({{ v }}, '%d.%m.%Y'), try_strptime({{ v }}, '%m/%d/%Y'),
              try_strptime({{ v }}, '%d/%m/%Y')) between timestamp '1900-01-01' and current_date - interval 1 year)
{%- endmacro %}
