{#- The six firm KPIs of the profile sheet under their contract names (section 4's kpi codes), one home for the
    rename: the KPI marts and the design marts select them alike. -#}
{% macro profile_kpis() -%}
    work_accidents as accidents,
    absenteeism_pct as absenteeism,
    staff_turnover_pct as turnover,
    defective_products_pct as defects,
    raw_material_waste_pct as raw_material_waste,
    unit_cost
{%- endmacro %}
