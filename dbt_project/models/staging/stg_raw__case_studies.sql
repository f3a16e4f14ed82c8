{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'case_studies') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        title,
        modules,
        themes,
        word_count
    from source
)

select * from renamed
