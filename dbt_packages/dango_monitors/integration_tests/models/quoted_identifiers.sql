-- Every odd name from the seed becomes a real column, created through dango_monitors.quote_ident.
{%- set names = ['plain', 'with space', 'with "quote"', 'select', 'ünïcode'] %}
select
{%- for n in names %}
    {{ loop.index }} as {{ dango_monitors.quote_ident(n) }}{{ "," if not loop.last }}
{%- endfor %}
