{#- The wave partition being built: `and wave = '<key>'` when Dagster passes one, nothing otherwise. -#}
{% macro wave_filter(column='wave') -%}
    {%- if var('wave', none) %} and {{ column }} = '{{ var("wave") }}'{% endif -%}
{%- endmacro %}

{#- Config shared by the wave-level models: rebuilt one wave at a time. -#}
{% macro wave_incremental_config() -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='wave', tags=['wave']) }}
{%- endmacro %}

{#- The evaluation's enterprises: those listed in any wave's company profile sheet (contract 4). -#}
{% macro known_enterprises() -%}
    (select distinct ruc from {{ ref('stg_raw__company_profile') }})
{%- endmacro %}
