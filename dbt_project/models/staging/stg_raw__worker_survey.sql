{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'worker_survey') }}
),

renamed as (
    select
        wave,
        ruc,
        source_row as respondent_row,
        sex,
        age_band,
        tenure_band,
        w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14, w15
    from source
)

select * from renamed
