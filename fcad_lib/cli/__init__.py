"""The command-line path of a user's own area, one small module per command.

``fcad-new-area`` (:mod:`fcad_lib.data.new_area`) registers the files, then
``fcad-stack`` (:mod:`~fcad_lib.cli.stack`) writes the aligned factor stack,
``fcad-train`` (:mod:`~fcad_lib.cli.train`) trains a model bundle with the book's recipe,
``fcad-predict`` (:mod:`fcad_lib.predict.cli`) maps the area and
``fcad-evaluate`` (:mod:`~fcad_lib.cli.evaluate`) scores a bundle against the inventory.
See ``book/how_to_run.md``.
"""
