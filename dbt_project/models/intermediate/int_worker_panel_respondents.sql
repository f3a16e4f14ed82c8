-- Contract 8.3 (worker_panel): the scored respondents of each country's first and last wave, each once per wave,
-- with their worker code (null: anonymous), in the enterprises of every arm (every enterprise of a country
-- without a frame); an enterprise without an arm in a country with a frame is left out.

with enterprises as (
    select country, ruc from {{ ref('int_enterprise_arms') }} where in_design or not has_frame
),

ends as (  -- the first and the last wave; one wave is both
    select country, wave, false as is_endline from {{ ref('int_waves_ordered') }} where is_baseline
    union all
    select country, wave, true as is_endline from {{ ref('int_waves_ordered') }} where is_endline
),

scored as (
    select country, wave, ruc, respondent_row, respondent_score
    from {{ ref('int_worker_respondents_scored') }}
    where respondent_score is not null
),

codes as (
    select country, wave, ruc, respondent_row, worker_code from {{ ref('stg_raw__worker_survey') }}
),

final as (
    select
        scored.country,
        scored.ruc,
        ends.is_endline,
        codes.worker_code,
        scored.respondent_score as score
    from scored
    inner join ends on ends.country = scored.country and ends.wave = scored.wave
    inner join enterprises on enterprises.country = scored.country and enterprises.ruc = scored.ruc
    inner join codes
        on codes.country = scored.country and codes.wave = scored.wave and codes.ruc = scored.ruc
        and codes.respondent_row = scored.respondent_row
)

select * from final
