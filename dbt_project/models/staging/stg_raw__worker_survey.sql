{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'worker_survey') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        source_row as respondent_row,
        sex,
        age_band,
        tenure_band,
        worker_code,
        columns('^w[0-9]{2}$')  -- the items, w01..w15 (codebook_worker_items)
    from source
)

select * from renamed
