with source as (
    select * from {{ source('raw', 'ingest_log') }}
),

renamed as (
    select
        country,
        wave,
        instrument,
        rows_received,
        rows_rejected,
        duplicates_removed,
        values_invalid,
        loaded_at
    from source
)

select * from renamed
