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

final as (
    select
        effects.country,
        effects.wave,
        effects.ruc,
        replace(effects.effect_column, 'effect_', '') as outcome,
        effects.effect,
        influences.influence
    from effects
    left join influences
        on influences.country = effects.country
        and influences.wave = effects.wave
        and influences.ruc = effects.ruc
        and replace(influences.influence_column, 'influence_', '') = replace(effects.effect_column, 'effect_', '')
)

select * from final
