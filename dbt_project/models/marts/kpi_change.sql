with pairs as (
    select * from {{ ref('int_kpi_pairs_compared') }}
),

by_group as (
    select country, kpi, 'all' as cost_structure, pct_change from pairs
    union all
    select country, kpi, cost_structure, pct_change from pairs where cost_structure is not null
),

final as (
    select
        country,
        kpi,
        cost_structure,
        count(*) as n_enterprises,
        avg(pct_change) as mean_pct_change,
        median(pct_change) as median_pct_change
    from by_group
    group by country, kpi, cost_structure
)

select * from final
