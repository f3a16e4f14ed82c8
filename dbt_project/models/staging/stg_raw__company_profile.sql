{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'company_profile') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        business_name,
        region,
        sector,
        size,
        cost_structure,
        workers,
        female_workers,
        annual_sales,
        monthly_payroll,
        capacity_use_pct,
        uses_productivity_indicators,
        gender_equality_policy,
        work_accidents,
        absenteeism_pct,
        staff_turnover_pct,
        defective_products_pct,
        raw_material_waste_pct,
        unit_cost,
        registered_on
    from source
)

select * from renamed
