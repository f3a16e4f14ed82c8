-- Contract 4: over the enterprises with a non-null score in the wave; sd is the sample sd (n - 1). Contract 8.1:
-- over the participants (the treated enterprises of a country with a frame).

with enterprise_scores as (
    select * from {{ ref('enterprise_scores') }}
    where (country, ruc) in {{ participants() }}
),

global_and_modules as (
    unpivot (select country, wave, ruc, global_score as "global", score_m1 as m1, score_m2 as m2, score_m3 as m3, score_m4 as m4, score_m5 as m5 from enterprise_scores)
    on "global", m1, m2, m3, m4, m5
    into name code value score
),

categories as (
    select country, wave, ruc, module || '.' || category as code, score
    from {{ ref('category_scores') }}
    where score is not null and (country, ruc) in {{ participants() }}
),

scores as (
    select country, wave, case when code = 'global' then 'global' else 'module' end as level, code, score from global_and_modules
    union all
    select country, wave, 'category' as level, code, score from categories
),

final as (
    select
        country,
        wave,
        level,
        code,
        count(score) as n_enterprises,
        avg(score) as mean,
        stddev_samp(score) as sd,
        median(score) as median
    from scores
    group by country, wave, level, code
)

select * from final
