{#- Contract 8.1: an enterprise's arm is its frame's `grupo` (`tratamiento`, `comparacion`); null when its country
    has no frame or the frame does not list it. The expression of a relation aliased `scored` with country and ruc. -#}
{% macro arm_of(alias) -%}
    (select frame.arm from {{ ref('stg_raw__sample_frame') }} as frame
     where frame.country = {{ alias }}.country and frame.ruc = {{ alias }}.ruc)
{%- endmacro %}

{#- The frame is in a country's first wave, and a wave-level table is rebuilt one wave at a time: after each build,
    the rows of every wave of the countries built take their arm again, so a changed frame (a new drop of the
    first wave) reaches the waves built before it. -#}
{% macro refresh_arms() -%}
    {%- set partitions = var('partitions', none) -%}
    update {{ this }} as scored set arm = {{ arm_of('scored') }}
    where true
    {%- if partitions %} and country in ({% for country in partitions | map('first') | unique %}'{{ country }}'{{ ", " if not loop.last }}{% endfor %}){% endif %}
{%- endmacro %}

{#- Contract 8.1: with a frame, the marts describing the programme's participants are over the treated
    enterprises only; without one, over every enterprise: `(country, ruc) in {{ participants() }}`. -#}
{% macro participants() -%}
    (select country, ruc from {{ ref('int_enterprise_arms') }} where is_participant)
{%- endmacro %}
