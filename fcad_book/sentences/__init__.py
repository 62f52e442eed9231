"""The sentences a results page says about its numbers, one module per topic.

The numbers come from :mod:`fcad_lib` (which writes no Markdown); these modules put them into
words: :mod:`~fcad_book.sentences.review` (the review map, notebooks 07 and 09),
:mod:`~fcad_book.sentences.balakot` (notebook 09), :mod:`~fcad_book.sentences.hongkong`
(notebook 10), :mod:`~fcad_book.sentences.comparison` (verdicts and caveats, notebooks 05, 06
and 09), :mod:`~fcad_book.sentences.generated_area` (what the generated area builds in, and how
far one factor goes) and :mod:`~fcad_book.sentences.complexity` (notebook 03).
"""
