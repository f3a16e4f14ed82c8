{{ wave_incremental_config() }}
{{ config(post_hook="{{ refresh_arms() }}") }}

-- Contract 8.1: every enterprise, with its arm.

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
        score,
        {{ arm_of('categories') }} as arm
    from categories
)

select * from final
