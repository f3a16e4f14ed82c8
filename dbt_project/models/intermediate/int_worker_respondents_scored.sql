{{ wave_incremental_config() }}

-- Contract 2.4: respondent score = mean of the valid answers to the items in the
-- overall score (w01..w14), null with fewer than 10 valid answers.

with respondents as (
    select * from {{ ref('stg_raw__worker_survey') }}
    where ruc in {{ known_enterprises() }} {{ wave_filter() }}
),

scored_items as (
    select
        wave,
        ruc,
        respondent_row,
        list_filter([w01, w02, w03, w04, w05, w06, w07, w08, w09, w10, w11, w12, w13, w14], lambda x: x is not null) as answers
    from respondents
),

final as (
    select
        wave,
        ruc,
        respondent_row,
        len(answers) as n_valid_answers,
        case when len(answers) >= 10 then list_avg(answers) end as respondent_score
    from scored_items
)

select * from final
