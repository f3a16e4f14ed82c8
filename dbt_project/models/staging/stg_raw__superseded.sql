with source as (
    select * from {{ source('raw', 'superseded') }}
),

renamed as (
    select
        country,
        wave,
        instrument,
        row_number,
        ruc,
        submitted_at,
        superseded_by_row
    from source
)

select * from renamed
