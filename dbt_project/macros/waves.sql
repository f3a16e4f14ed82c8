{#- The country x wave partitions being built: `and (country, wave) in (('pe', '2017-baseline'), ...)` when
    Dagster passes some (var `partitions`: [country, wave] pairs), nothing otherwise (every wave of every country). -#}
{% macro wave_filter() -%}
    {%- set partitions = var('partitions', none) -%}
    {%- if partitions %} and (country, wave) in ({% for country, wave in partitions %}('{{ country }}', '{{ wave }}'){{ ", " if not loop.last }}{% endfor %}){% endif -%}
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
