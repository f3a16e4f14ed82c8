-- Contract 4: rows_rejected = rows set aside (at ingest, plus unknown enterprises);
-- rows_loaded = received - rejected - duplicates; values_invalid = invalid cells in loaded rows.
-- Contract 5: corrections_applied / corrections_not_applied = lines of the wave's corrections log.

with ingest_log as (
    select * from {{ ref('stg_raw__ingest_log') }}
),

rejects as (
    select * from {{ ref('stg_raw__rejects') }}
),

superseded as (
    select * from {{ ref('stg_raw__superseded') }}
),

unknown as (
    select * from {{ ref('int_unknown_enterprise_rows') }}
),

corrections as (
    select * from {{ ref('stg_raw__corrections') }}
),

correction_counts as (
    select
        country,
        wave,
        instrument,
        count(*) filter (where status = 'applied') as corrections_applied,
        count(*) filter (where status <> 'applied') as corrections_not_applied
    from corrections
    group by country, wave, instrument
),

unknown_counts as (
    select country, wave, instrument, count(*) as rows_unknown
    from unknown
    group by country, wave, instrument
),

invalid_counts as (
    select rejects.country, rejects.wave, rejects.instrument, count(*) as values_invalid
    from rejects
    where rejects.kind = 'value'
        and not exists (
            select 1 from superseded
            where superseded.country = rejects.country and superseded.wave = rejects.wave
                and superseded.instrument = rejects.instrument
                and superseded.row_number = rejects.row_number
        )
        and not exists (
            select 1 from unknown
            where unknown.country = rejects.country and unknown.wave = rejects.wave
                and unknown.instrument = rejects.instrument
                and unknown.row_number = rejects.row_number
        )
    group by rejects.country, rejects.wave, rejects.instrument
),

final as (
    select
        ingest_log.country,
        ingest_log.wave,
        ingest_log.instrument,
        ingest_log.rows_received,
        ingest_log.rows_received - ingest_log.rows_rejected - coalesce(unknown_counts.rows_unknown, 0)
            - ingest_log.duplicates_removed as rows_loaded,
        ingest_log.duplicates_removed,
        ingest_log.rows_rejected + coalesce(unknown_counts.rows_unknown, 0) as rows_rejected,
        coalesce(invalid_counts.values_invalid, 0) as values_invalid,
        coalesce(correction_counts.corrections_applied, 0) as corrections_applied,
        coalesce(correction_counts.corrections_not_applied, 0) as corrections_not_applied
    from ingest_log
    left join unknown_counts using (country, wave, instrument)
    left join invalid_counts using (country, wave, instrument)
    left join correction_counts using (country, wave, instrument)
)

select * from final
