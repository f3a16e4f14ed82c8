{#- The wave partitions being built: `and wave in ('<key>', ...)` when Dagster passes some (var `waves`),
    nothing otherwise (every wave). -#}
{% macro wave_filter(column='wave') -%}
    {%- set waves = var('waves', none) -%}
    {%- if waves %} and {{ column }} in ({% for wave in waves %}'{{ wave }}'{{ ", " if not loop.last }}{% endfor %}){% endif -%}
{%- endmacro %}

{#- Config shared by the wave-level models: rebuilt one wave at a time. -#}
{% macro wave_incremental_config() -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='wave', tags=['wave']) }}
{%- endmacro %}

{#- The evaluation's enterprises: those listed in any wave's company profile sheet (contract 4). -#}
{% macro known_enterprises() -%}
    (select distinct ruc from {{ ref('stg_raw__company_profile') }})
{%- endmacro %}
