{#- The wave-level models' incremental refresh (delete+insert on [country, wave]), replacing dbt-duckdb's. Its
    `delete ... using <new rows>` joins on the key, which every row of a wave shares: each new row met each old row
    of its wave, and one wave of 5,200 enterprises took minutes to replace. Here the old rows go when their key is
    among the new rows' distinct keys (a semi join), then the new rows are inserted. -#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- if unique_key %}
        {%- set keys = [unique_key] if unique_key is string else unique_key %}
    delete from {{ target }} as replaced_rows
    where exists (
        select 1 from (select distinct {{ keys | join(', ') }} from {{ source }}) as new_keys
        where {% for key in keys %}new_keys.{{ key }} = replaced_rows.{{ key }}{{ " and " if not loop.last }}{% endfor %}
    ){% for predicate in incremental_predicates or [] %} and {{ predicate }}{% endfor %};
    {%- endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
