-- Contract 4: the wave figure is the mean of the enterprise figures over every
-- enterprise that has one (the 5-respondent rule is for per-enterprise figures). Contract 8.1: over the
-- participants (the treated enterprises of a country with a frame).

with enterprise_figures as (
    select * from {{ ref('int_worker_enterprises_summarised') }}
    where (country, ruc) in {{ participants() }}
),

final as (
    select
        country,
        wave,
        item,
        count(*) as n_enterprises,
        sum(n_respondents) as n_respondents,
        avg(mean) as mean
    from enterprise_figures
    group by country, wave, item
)

select * from final
