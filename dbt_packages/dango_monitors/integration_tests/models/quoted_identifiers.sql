-- Every odd name from the seed becomes a real column, created through dango_monitors.quote_ident, in a schema whose
-- name has a space, mixed case and unicode (see schema.yml); the drift tests then read it back through the catalog.
{%- set names = ['plain', 'with space', 'with "quote"', 'select', 'ünïcode', 'MixedCase', 'order', "it's",
                 'dot.ted', 'Ünï Cödé 名前'] %}
select
{%- for n in names %}
    cast({{ loop.index }} as integer) as {{ dango_monitors.quote_ident(n) }}{{ "," if not loop.last }}
{%- endfor %}
