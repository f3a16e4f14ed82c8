{#- The country x wave partitions being built: `and ((country = 'pe' and wave in ('2017-baseline', ...)) or ...)`
    when Dagster passes some (var `partitions`: [country, wave] pairs), nothing otherwise (every wave of every
    country). Plain column comparisons, which DuckDB pushes into its scans: a row comparison `(country, wave) in
    (...)` of one partition was planned so badly that one wave of 5,200 enterprises took minutes. -#}
{% macro wave_filter() -%}
    {%- set partitions = var('partitions', none) -%}
    {%- if partitions %} and ({% for country, pairs in partitions | groupby(0) %}(country = '{{ country }}' and wave in ({% for pair in pairs %}'{{ pair[1] }}'{{ ", " if not loop.last }}{% endfor %})){{ " or " if not loop.last }}{% endfor %}){% endif -%}
{%- endmacro %}

{#- Config shared by the wave-level models: rebuilt one country's wave at a time, its rows of before replaced.
    A table built before the country column gets it (appended). -#}
{% macro wave_incremental_config() -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['country', 'wave'],
              on_schema_change='append_new_columns', tags=['wave']) }}
{%- endmacro %}

{#- The evaluation's enterprises: those listed in any wave's company profile sheet of their country (contracts 4
    and 7), as (country, ruc): `(country, ruc) in {{ known_enterprises() }}`. -#}
{% macro known_enterprises() -%}
    (select distinct country, ruc from {{ ref('stg_raw__company_profile') }})
{%- endmacro %}
