with source as (
    select * from {{ source('raw', 'countries') }}
),

renamed as (
    select
        country,
        name,
        currency,
        enterprise_id
    from source
)

select * from renamed
