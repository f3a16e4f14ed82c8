-- The six firm KPIs of the profile sheet, long: one row per country x wave x enterprise x reported KPI.

with profile as (
    select * from {{ ref('stg_raw__company_profile') }}
),

final as (
    unpivot (
        select
            country,
            wave,
            ruc,
            cost_structure,
            {{ profile_kpis() }}
        from profile
    )
    on accidents, absenteeism, turnover, defects, raw_material_waste, unit_cost
    into name kpi value kpi_value
)

select * from final
