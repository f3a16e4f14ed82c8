{#- The wave partitions being built: `and wave in ('<key>', ...)` when Dagster passes some (var `waves`),
    nothing otherwise (every wave). -#}
{% macro wave_filter(column='wave') -%}
    {%- set waves = var('waves', none) -%}
    {%- if waves %} and {{ column }} in ({% for wave in waves %}'{{ wave }}'{{ ", " if not loop.last }}{% endfor %}){% endif -%}
{%- endmacro %}

{#- Config shared by the wave-level models: rebuilt one wave at a time. The key is the wave alone while the wave
    partitions name one country's waves (issue 14 goes on); a table built before the country column gets it
    (appended), and a wave rebuilt replaces its rows of before. -#}
{% macro wave_incremental_config() -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='wave',
              on_schema_change='append_new_columns', tags=['wave']) }}
{%- endmacro %}

{#- The evaluation's enterprises: those listed in any wave's company profile sheet of their country (contracts 4
    and 7), as (country, ruc): `(country, ruc) in {{ known_enterprises() }}`. -#}
{% macro known_enterprises() -%}
    (select distinct country, ruc from {{ ref('stg_raw__company_profile') }})
{%- endmacro %}
