{{ config(tags=['wave']) }}

with source as (
    select * from {{ source('raw', 'management_practices') }}
),

renamed as (
    select
        country,
        wave,
        ruc,
        practice_id,
        score,
        answer_status,
        evaluator,
        visit_date,
        submitted_at
    from source
)

select * from renamed
