{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'self_assessment') }}
),

effects as (
    unpivot (select country, wave, ruc, columns('^effect_') from source)
    on columns('^effect_')
    into name effect_column value effect
),

influences as (
    unpivot (select country, wave, ruc, columns('^influence_') from source)
    on columns('^influence_')
    into name influence_column value influence
),

effect_answers as (
    select country, wave, ruc, replace(effect_column, 'effect_', '') as outcome, effect from effects
),

influence_answers as (
    select country, wave, ruc, replace(influence_column, 'influence_', '') as outcome, influence from influences
),

-- An unpivot leaves out empty answers: a full join keeps an influence answered beside an empty effect
-- (contract 4 counts every answer to each question on its own).
final as (
    select
        coalesce(effect_answers.country, influence_answers.country) as country,
        coalesce(effect_answers.wave, influence_answers.wave) as wave,
        coalesce(effect_answers.ruc, influence_answers.ruc) as ruc,
        coalesce(effect_answers.outcome, influence_answers.outcome) as outcome,
        effect_answers.effect,
        influence_answers.influence
    from effect_answers
    full outer join influence_answers
        on influence_answers.country = effect_answers.country
        and influence_answers.wave = effect_answers.wave
        and influence_answers.ruc = effect_answers.ruc
        and influence_answers.outcome = effect_answers.outcome
)

select * from final
