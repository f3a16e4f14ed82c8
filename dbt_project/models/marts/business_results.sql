-- Contract 4: every mean over the enterprises that reported the value. Contract 8.1: over the participants (the
-- treated enterprises of a country with a frame).

with profile as (
    select * from {{ ref('stg_raw__company_profile') }}
    where (country, ruc) in {{ participants() }}
),

final as (
    select
        country,
        wave,
        count(*) as n_enterprises,
        avg(capacity_use_pct) as capacity_use_pct,
        avg(annual_sales) as annual_sales_mean,
        avg(workers) as workers_mean,
        avg(monthly_payroll) as monthly_payroll_mean,
        avg(annual_sales) / nullif(avg(workers), 0) as sales_per_worker,
        count(*) filter (where uses_productivity_indicators) * 100.0
            / nullif(count(uses_productivity_indicators), 0) as pct_using_productivity_indicators,
        avg(female_workers / workers * 100) filter (where workers > 0) as female_share_pct,
        count(*) filter (where gender_equality_policy) as n_gender_policy
    from profile
    group by country, wave
)

select * from final
