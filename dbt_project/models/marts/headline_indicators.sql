-- Contract 4: baseline / endline are the indicator's values at the first and the
-- last wave that has it; for the six KPIs, means over the enterprises counted,
-- with change_pct their mean_pct_change. Contract 7: within each country, money
-- in the country's currency.

with labels as (
    select sort_order, indicator, label, unit from {{ ref('headline_catalog') }}
),

countries as (
    select country, currency from {{ ref('stg_raw__countries') }}
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
    select country, indicator, baseline, endline, endline - baseline as change,
        (endline - baseline) / nullif(baseline, 0) * 100 as change_pct  -- contract 4: a baseline of 0 gives null
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

gain_indicator as (
    select
        country,
        'pct_enterprises_gain_gt1' as indicator,
        null::double as baseline,
        count(*) filter (where gained_over_one) * 100.0 / count(*) as endline,
        null::double as change,
        null::double as change_pct
    from {{ ref('int_global_scores_paired') }}
    group by country
),

final as (
    select
        figures.country, labels.indicator, labels.label,
        case when labels.unit = 'currency' then countries.currency else labels.unit end as unit,
        figures.baseline, figures.endline, figures.change, figures.change_pct
    from labels
    inner join (
        select * from series_indicators
        union all select * from kpi_indicators
        union all select * from gain_indicator
    ) as figures on figures.indicator = labels.indicator
    left join countries on countries.country = figures.country
    order by figures.country, labels.sort_order
)

select * from final
