-- Every KPI x (`all` and each cost structure written in the country's baseline profile sheet): a group that
-- no enterprise counts for has its row, with n_enterprises 0 and null figures (contract 4: a mean of nothing
-- is null). Contract 8.1: over the participants (the treated enterprises of a country with a frame).

with pairs as (
    select * from {{ ref('int_kpi_pairs_compared') }}
),

waves as (
    select * from {{ ref('int_waves_ordered') }}
),

kpis as (
    select distinct kpi from {{ ref('int_kpi_values_unpivoted') }}
),

baseline_structures as (
    select distinct profile.country, profile.cost_structure
    from {{ ref('stg_raw__company_profile') }} as profile
    inner join waves on waves.country = profile.country and waves.wave = profile.wave and waves.is_baseline
    where profile.cost_structure is not null and (profile.country, profile.ruc) in {{ participants() }}
),

groups as (
    select country, 'all' as cost_structure from waves where is_baseline
    union all
    select country, cost_structure from baseline_structures
),

by_group as (
    select country, kpi, 'all' as cost_structure, pct_change from pairs
    union all
    select country, kpi, cost_structure, pct_change from pairs where cost_structure is not null
),

final as (
    select
        groups.country,
        kpis.kpi,
        groups.cost_structure,
        count(by_group.pct_change) as n_enterprises,
        avg(by_group.pct_change) as mean_pct_change,
        median(by_group.pct_change) as median_pct_change
    from groups
    cross join kpis
    left join by_group
        on by_group.country = groups.country and by_group.kpi = kpis.kpi
        and by_group.cost_structure = groups.cost_structure
    group by groups.country, kpis.kpi, groups.cost_structure
)

select * from final
