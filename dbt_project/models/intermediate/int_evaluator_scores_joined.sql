{{ wave_incremental_config() }}

-- Contract 6: each scored enterprise of a wave with the evaluator of its loaded (latest) submission,
-- trimmed and in upper case. An enterprise with an empty evaluator or no global score is left out.

with evaluators as (
    select distinct
        country,
        wave,
        ruc,
        upper(trim(evaluator)) as evaluator
    from {{ ref('stg_raw__management_practices') }}
    where nullif(trim(evaluator), '') is not null {{ wave_filter() }}
),

scored as (
    select country, wave, ruc, global_score
    from {{ ref('enterprise_scores') }}
    where global_score is not null {{ wave_filter() }}
),

final as (
    select
        scored.country,
        scored.wave,
        scored.ruc,
        evaluators.evaluator,
        scored.global_score
    from scored
    inner join evaluators
        on scored.country = evaluators.country and scored.wave = evaluators.wave and scored.ruc = evaluators.ruc
)

select * from final
