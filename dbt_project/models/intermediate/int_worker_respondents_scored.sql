{{ wave_incremental_config() }}

-- Contract 2.4: respondent score = mean of the valid answers to the items in the
-- overall score (the codebook's in_overall_score: w01..w14), null with fewer than
-- 10 valid answers.

with respondents as (
    select * from {{ ref('stg_raw__worker_survey') }}
    where (country, ruc) in {{ known_enterprises() }} {{ wave_filter() }}
),

answers as (  -- every item of every respondent, unanswered ones included (as nulls)
    select country, wave, ruc, respondent_row, item, answer
    from (select country, wave, ruc, respondent_row, columns('^w[0-9]{2}$') from respondents)
    unpivot include nulls (answer for item in (columns('^w[0-9]{2}$')))
),

overall_items as (
    select item_id as item from {{ ref('codebook_worker_items') }} where in_overall_score
),

scored as (
    select country, wave, ruc, respondent_row, count(answer) as n_valid_answers, avg(answer) as mean_answer
    from answers
    inner join overall_items using (item)
    group by country, wave, ruc, respondent_row
),

final as (
    select
        country,
        wave,
        ruc,
        respondent_row,
        n_valid_answers,
        case when n_valid_answers >= 10 then mean_answer end as respondent_score
    from scored
)

select * from final
