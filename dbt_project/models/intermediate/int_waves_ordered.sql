-- Each country's waves in key order: its first is its baseline, its last its endline (contracts 1 and 7).

with waves as (
    select distinct country, wave from {{ ref('stg_raw__ingest_log') }}
),

final as (
    select
        country,
        wave,
        row_number() over (partition by country order by wave) as wave_index,
        wave = min(wave) over (partition by country) as is_baseline,
        wave = max(wave) over (partition by country) as is_endline
    from waves
)

select * from final
