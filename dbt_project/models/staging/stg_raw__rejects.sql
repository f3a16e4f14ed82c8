with source as (
    select * from {{ source('raw', 'rejects') }}
),

renamed as (
    select
        country,
        wave,
        instrument,
        source_file,
        row_number,
        column_name,
        raw_value,
        reason,
        kind,
        ruc
    from source
)

select * from renamed
