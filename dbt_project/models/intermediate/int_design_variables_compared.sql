-- Contract 8.3: each design variable (balance) and outcome (did) of every enterprise in the design (an arm, not
-- contaminated), at its country's first and last wave, with its change (last - first). Every variable has its
-- rows, null values included, so that a variable no enterprise has still gets its row in the marts.

{#- The variables and outcomes, in the order of the marts' rows (contract 8.3). -#}
{%- set variables = ['global_score', 'score_m1', 'score_m2', 'score_m3', 'score_m4', 'score_m5', 'workers',
                     'female_share_pct', 'annual_sales', 'monthly_payroll', 'capacity_use_pct', 'accidents',
                     'absenteeism', 'turnover', 'defects', 'raw_material_waste', 'unit_cost', 'worker_satisfaction'] %}

with arms as (
    select country, ruc, arm from {{ ref('int_enterprise_arms') }} where in_design
),

ends as (  -- the first and the last wave; one wave is both
    select country, wave, false as is_last from {{ ref('int_waves_ordered') }} where is_baseline
    union all
    select country, wave, true as is_last from {{ ref('int_waves_ordered') }} where is_endline
),

scores as (
    select country, wave, ruc, global_score, score_m1, score_m2, score_m3, score_m4, score_m5
    from {{ ref('enterprise_scores') }}
),

profile as (
    select
        country,
        wave,
        ruc,
        workers,
        female_workers / nullif(workers, 0) * 100 as female_share_pct,
        annual_sales,
        monthly_payroll,
        capacity_use_pct,
        {{ profile_kpis() }}
    from {{ ref('stg_raw__company_profile') }}
),

worker as (  -- the enterprise's overall figure, whatever its number of respondents (8.3)
    select country, wave, ruc, mean as worker_satisfaction
    from {{ ref('int_worker_enterprises_summarised') }}
    where item = 'overall'
),

wide as (
    select
        arms.country,
        arms.ruc,
        arms.arm,
        ends.is_last,
        {%- for variable in variables %}
        {{ variable }}::double as {{ variable }}{{ "," if not loop.last }}
        {%- endfor %}
    from arms
    inner join ends on ends.country = arms.country
    left join scores on scores.country = arms.country and scores.ruc = arms.ruc and scores.wave = ends.wave
    left join profile on profile.country = arms.country and profile.ruc = arms.ruc and profile.wave = ends.wave
    left join worker on worker.country = arms.country and worker.ruc = arms.ruc and worker.wave = ends.wave
),

unpivoted as (
    select * from wide
    unpivot include nulls (value for variable in ({{ variables | join(', ') }}))
),

final as (
    select
        country,
        ruc,
        arm,
        variable,
        list_position({{ variables }}, variable) as variable_order,
        max(value) filter (where not is_last) as first_wave_value,
        max(value) filter (where is_last) as last_wave_value,
        last_wave_value - first_wave_value as change
    from unpivoted
    group by country, ruc, arm, variable
)

select * from final
