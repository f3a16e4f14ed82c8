{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'self_assessment') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        respondent_role,
        self_rating_m1,
        self_rating_m2,
        self_rating_m3,
        self_rating_m4,
        self_rating_m5
    from source
)

select * from renamed
