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
            work_accidents as accidents,
            absenteeism_pct as absenteeism,
            staff_turnover_pct as turnover,
            defective_products_pct as defects,
            raw_material_waste_pct as raw_material_waste,
            unit_cost
        from profile
    )
    on accidents, absenteeism, turnover, defects, raw_material_waste, unit_cost
    into name kpi value kpi_value
)

select * from final
