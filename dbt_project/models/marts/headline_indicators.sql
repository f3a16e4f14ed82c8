-- Contract 4: baseline / endline are the indicator's values at the first and the
-- last wave that has it; for the six KPIs, means over the enterprises counted,
-- with change_pct their mean_pct_change. Contract 7: within each country.

with labels as (
    select sort_order, indicator, label, unit from {{ ref('headline_catalog') }}
),

business as (
    select * from {{ ref('business_results') }}
),

wave_series as (
    select country, 'global_score' as indicator, wave, mean as value from {{ ref('wave_summary') }} where level = 'global'
    union all select country, 'capacity_use_pct', wave, capacity_use_pct from business
    union all select country, 'annual_sales', wave, annual_sales_mean from business
    union all select country, 'workers', wave, workers_mean from business
    union all select country, 'monthly_payroll', wave, monthly_payroll_mean from business
    union all select country, 'sales_per_worker', wave, sales_per_worker from business
    union all select country, 'pct_using_productivity_indicators', wave, pct_using_productivity_indicators from business
    union all select country, 'female_share_pct', wave, female_share_pct from business
    union all select country, 'n_gender_policy', wave, n_gender_policy from business
    union all select country, 'worker_satisfaction', wave, mean from {{ ref('worker_satisfaction') }} where item = 'overall'
    union all
    select country, 'pct_positive_effects', wave, sum(pct_positive * n_responses) / sum(n_responses)
    from {{ ref('perceived_effects') }}
    group by country, wave
),

first_and_last as (
    select
        country,
        indicator,
        arg_min(value, wave) as baseline,
        arg_max(value, wave) as endline
    from wave_series
    where value is not null
    group by country, indicator
),

series_indicators as (
    select country, indicator, baseline, endline, endline - baseline as change, (endline - baseline) / baseline * 100 as change_pct
    from first_and_last
),

kpi_indicators as (
    select
        pairs.country,
        pairs.kpi as indicator,
        avg(pairs.baseline_value) as baseline,
        avg(pairs.endline_value) as endline,
        avg(pairs.endline_value) - avg(pairs.baseline_value) as change,
        any_value(kpi_change.mean_pct_change) as change_pct
    from {{ ref('int_kpi_pairs_compared') }} as pairs
    inner join {{ ref('kpi_change') }} as kpi_change
        on kpi_change.country = pairs.country and kpi_change.kpi = pairs.kpi and kpi_change.cost_structure = 'all'
    group by pairs.country, pairs.kpi
),

waves as (
    select * from {{ ref('int_waves_ordered') }}
),

global_pairs as (
    select baseline.country, baseline.ruc, endline.global_score - baseline.global_score as gain
    from {{ ref('enterprise_scores') }} as baseline
    inner join waves as first_wave
        on first_wave.country = baseline.country and first_wave.wave = baseline.wave and first_wave.is_baseline
    inner join {{ ref('enterprise_scores') }} as endline on endline.country = baseline.country and endline.ruc = baseline.ruc
    inner join waves as last_wave
        on last_wave.country = endline.country and last_wave.wave = endline.wave and last_wave.is_endline
    where baseline.global_score is not null and endline.global_score is not null
),

gain_indicator as (
    select
        country,
        'pct_enterprises_gain_gt1' as indicator,
        null::double as baseline,
        count(*) filter (where gain > 1) * 100.0 / count(*) as endline,
        null::double as change,
        null::double as change_pct
    from global_pairs
    group by country
),

final as (
    select
        figures.country, labels.indicator, labels.label, labels.unit,
        figures.baseline, figures.endline, figures.change, figures.change_pct
    from labels
    inner join (
        select * from series_indicators
        union all select * from kpi_indicators
        union all select * from gain_indicator
    ) as figures on figures.indicator = labels.indicator
    order by figures.country, labels.sort_order
)

select * from final
