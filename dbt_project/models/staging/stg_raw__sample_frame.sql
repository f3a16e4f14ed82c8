{{ config(tags=['wave']) }}

-- The evaluation's sample frame (contract 8.1): each enterprise's assigned arm. Its rows of enterprises in none
-- of the country's profile sheets are rejected (int_unknown_enterprise_rows, counted in data_quality): left out.

with source as (
    select * from {{ source('raw', 'sample_frame') }}
),

renamed as (
    select
        country,
        ruc,
        arm,
        stratum
    from source
    where (country, ruc) in {{ known_enterprises() }}
)

select * from renamed
