{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'case_studies') }}
),

renamed as (
    select
        wave,
        ruc,
        title,
        modules,
        themes,
        word_count
    from source
)

select * from renamed
