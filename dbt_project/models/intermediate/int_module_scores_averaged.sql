{{ wave_incremental_config() }}

-- Contract 2.1: module score = mean of its non-null category scores; null when none.

with categories as (
    select * from {{ ref('int_category_scores_averaged') }}
    where true {{ wave_filter() }}
),

final as (
    select
        country,
        wave,
        ruc,
        module,
        count(score) as n_categories_scored,
        avg(score) as score
    from categories
    group by country, wave, ruc, module
)

select * from final
