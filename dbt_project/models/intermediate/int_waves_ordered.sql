-- Waves in key order: the first is the baseline, the last the endline (contract 1).

with waves as (
    select distinct wave from {{ ref('stg_raw__ingest_log') }}
),

final as (
    select
        wave,
        row_number() over (order by wave) as wave_index,
        wave = min(wave) over () as is_baseline,
        wave = max(wave) over () as is_endline
    from waves
)

select * from final
