-- Contract 8.1: over the participants (the treated enterprises of a country with a frame), who are
-- enterprises of the profile sheets.

with perceptions as (
    select * from {{ ref('stg_raw__perceived_effects') }}
    where (country, ruc) in {{ participants() }}
),

final as (
    select
        country,
        wave,
        outcome,
        count(effect) as n_responses,
        count(*) filter (where effect = 'positivo') * 100.0 / nullif(count(effect), 0) as pct_positive,
        count(*) filter (where influence in ('mucho', 'algo')) * 100.0 / nullif(count(influence), 0) as pct_influenced
    from perceptions
    group by country, wave, outcome
    having count(effect) > 0 or count(influence) > 0
)

select * from final
