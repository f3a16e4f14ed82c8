{{ wave_incremental_config() }}
{{ config(post_hook="{{ refresh_arms() }}") }}

-- Contract 2.1: global score = mean of the non-null module scores, null when
-- fewer than four of the five modules have a score. Contract 8.1: every
-- enterprise, with its arm.

with modules as (
    select * from {{ ref('int_module_scores_averaged') }}
    where true {{ wave_filter() }}
),

practices_scored as (
    select country, wave, ruc, count(score) as n_practices_scored
    from {{ ref('stg_raw__management_practices') }}
    where (country, ruc) in {{ known_enterprises() }} {{ wave_filter() }}
    group by country, wave, ruc
),

pivoted as (
    select
        country,
        wave,
        ruc,
        count(score) as n_modules_scored,
        avg(score) as mean_module_score,
        max(score) filter (where module = 'm1') as score_m1,
        max(score) filter (where module = 'm2') as score_m2,
        max(score) filter (where module = 'm3') as score_m3,
        max(score) filter (where module = 'm4') as score_m4,
        max(score) filter (where module = 'm5') as score_m5
    from modules
    group by country, wave, ruc
),

final as (
    select
        pivoted.country,
        pivoted.ruc,
        pivoted.wave,
        case when pivoted.n_modules_scored >= 4 then pivoted.mean_module_score end as global_score,
        pivoted.score_m1,
        pivoted.score_m2,
        pivoted.score_m3,
        pivoted.score_m4,
        pivoted.score_m5,
        practices_scored.n_practices_scored,
        {{ arm_of('pivoted') }} as arm
    from pivoted
    inner join practices_scored
        on practices_scored.country = pivoted.country
        and practices_scored.wave = pivoted.wave
        and practices_scored.ruc = pivoted.ruc
)

select * from final
