{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'training_records') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        module,
        started_on,
        finished_on,
        classroom_sessions,
        consulting_visits,
        contribution_usd
    from source
)

select * from renamed
