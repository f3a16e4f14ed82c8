-- The training records are cumulative: the last wave's file holds all records to date. Contract 8.1: every
-- enterprise, with its arm.

with waves as (
    select * from {{ ref('int_waves_ordered') }}
),

records as (
    select records.*
    from {{ ref('stg_raw__training_records') }} as records
    inner join waves on waves.country = records.country and waves.wave = records.wave and waves.is_endline
),

arms as (
    select country, ruc, arm from {{ ref('int_enterprise_arms') }}
),

latest_profile as (
    select country, ruc, arg_max(size, wave) as size
    from {{ ref('stg_raw__company_profile') }}
    group by country, ruc
),

final as (
    select
        latest_profile.country,
        latest_profile.ruc,
        latest_profile.size,
        count(distinct records.module) filter (where records.finished_on is not null) as modules_completed,
        coalesce(sum(records.contribution_usd), 0) as contribution_usd,
        count(distinct records.module) filter (where records.finished_on is not null)
            * case latest_profile.size when 'Pequeña' then 500 when 'Mediana' then 1000 end as contribution_by_rule_usd,
        arms.arm
    from latest_profile
    inner join arms on arms.country = latest_profile.country and arms.ruc = latest_profile.ruc
    left join records on records.country = latest_profile.country and records.ruc = latest_profile.ruc
    group by latest_profile.country, latest_profile.ruc, latest_profile.size, arms.arm
)

select * from final
