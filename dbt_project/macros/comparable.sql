{#- Contract 4: every rank statistic and every zero test compares values rounded to 9 decimals. Scores are means
    of integers, so two equal scores computed along different float paths may differ in their last bits
    (2.2 - 1.2 = 1.0000000000000002): rounded, they compare equal. The Python statistics' twin of this rule is
    score_pipeline/stats.py (`comparable`, TIE_DECIMALS); tests/test_stats.py holds the two together. -#}
{% macro comparable(expression) -%}
    round({{ expression }}, 9)
{%- endmacro %}
