"""``python -m fcad_lib.data.generator OUT_DIR --seed 42 --size 1024``."""

from fcad_lib.data.generator.writer import main

main()
