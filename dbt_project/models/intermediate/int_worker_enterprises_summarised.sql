{{ wave_incremental_config() }}

-- Per enterprise and item: the mean of the valid answers to the item (any
-- respondent); `overall`: the mean of the scored respondents' scores. The
-- 5-respondent rule decides whether a figure may be published per enterprise.

with answers as (
    unpivot (
        select country, wave, ruc, respondent_row, columns('^w[0-9]{2}$')  -- the survey's items (codebook_worker_items)
        from {{ ref('stg_raw__worker_survey') }}
        where (country, ruc) in {{ known_enterprises() }} {{ wave_filter() }}
    )
    on columns('^w[0-9]{2}$')
    into name item value answer
),

item_figures as (
    select country, wave, ruc, item, avg(answer) as mean, count(*) as n_respondents
    from answers
    group by country, wave, ruc, item
),

overall_figures as (
    select country, wave, ruc, 'overall' as item, avg(respondent_score) as mean, count(respondent_score) as n_respondents
    from {{ ref('int_worker_respondents_scored') }}
    where respondent_score is not null {{ wave_filter() }}
    group by country, wave, ruc
),

final as (
    select *, n_respondents >= 5 as is_publishable
    from (
        select * from item_figures
        union all
        select * from overall_figures
    )
)

select * from final
