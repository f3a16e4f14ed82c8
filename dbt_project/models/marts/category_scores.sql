{{ wave_incremental_config() }}

with categories as (
    select * from {{ ref('int_category_scores_averaged') }}
    where true {{ wave_filter() }}
),

final as (
    select
        country,
        ruc,
        wave,
        module,
        category,
        score
    from categories
)

select * from final
