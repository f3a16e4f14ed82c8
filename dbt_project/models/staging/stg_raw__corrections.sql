with source as (
    select * from {{ source('raw', 'corrections') }}
),

renamed as (
    select
        country,
        wave,
        instrument,
        log_line,
        action,
        status,
        log_sha256
    from source
)

select * from renamed
