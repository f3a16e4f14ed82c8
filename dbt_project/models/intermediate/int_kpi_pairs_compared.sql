-- Contract 4 (kpi_change): an enterprise counts for a KPI when it reported it at
-- the baseline and the endline and the baseline value is above zero. Contract 8.1: a participant (a treated
-- enterprise of a country with a frame; kpi_change, headline_indicators and programme_summary are theirs).

with kpi_values as (
    select * from {{ ref('int_kpi_values_unpivoted') }}
),

waves as (
    select * from {{ ref('int_waves_ordered') }}
),

baseline as (
    select kpi_values.* from kpi_values
    inner join waves on waves.country = kpi_values.country and waves.wave = kpi_values.wave and waves.is_baseline
),

endline as (
    select kpi_values.* from kpi_values
    inner join waves on waves.country = kpi_values.country and waves.wave = kpi_values.wave and waves.is_endline
),

baseline_profile as (
    select profile.country, profile.ruc, profile.cost_structure
    from {{ ref('stg_raw__company_profile') }} as profile
    inner join waves on waves.country = profile.country and waves.wave = profile.wave and waves.is_baseline
),

final as (
    select
        baseline.country,
        baseline.ruc,
        baseline.kpi,
        baseline_profile.cost_structure,
        baseline.kpi_value as baseline_value,
        endline.kpi_value as endline_value,
        (endline.kpi_value - baseline.kpi_value) / baseline.kpi_value * 100 as pct_change
    from baseline
    inner join endline
        on endline.country = baseline.country and endline.ruc = baseline.ruc and endline.kpi = baseline.kpi
    left join baseline_profile on baseline_profile.country = baseline.country and baseline_profile.ruc = baseline.ruc
    where baseline.kpi_value > 0 and (baseline.country, baseline.ruc) in {{ participants() }}
)

select * from final
